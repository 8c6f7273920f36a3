"""The pruner: delete this deployment's expired copies in the destination region, and measure the
destination's manual snapshot quota (prune_snapshots.lambda_handler's core; the benchmark drives it).

Ownership: only copies `ownership.classify` calls OURS are ever deleted: this deployment's tag and source
region's tag AND the identifier the copier gives a copy of the source in its tag; a tag alone is never
enough. Copies made by 0.4.x (LEGACY: no deployment tag) are never deleted; they are named once a run, in
the result (`legacy`) and in the LegacyCopies metric, so they cannot fill the quota unseen.
Time: a copy's age is when its data was taken (snapshot_time.data_time), never when it was copied.
The decisions are retention.py's (retention_days, keep_last, the keep_* tiers, the min_retention_days lock);
this module pages, deletes, publishes the metrics and reports: each copy's verdict is logged with the rule
that kept or expired it, and a dry run's result names it too (`reasons` for the copies it would delete,
`kept_reasons` for the others).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import metrics, quota
from .errors import SnapshotCopyError
from .kinds import KINDS
from .listing import pages
from .outcomes import SNAPSHOT_BUSY_CODES, SOURCE_GONE_CODES, error_code
from .prune_config import PruneConfig
from .retention import LEGACY_REASON, MIN_RETENTION_DAYS, decide
from .runtime import Runtime
from .tiers import SETTINGS, TIERS

# Named for the function, as before this code left the entry file: log filters and queries keep working.
logger = logging.getLogger("prune_snapshots")

# Stop deleting this long before the function's timeout; the next run goes on where this one stopped.
TIME_MARGIN_SECONDS = 20


class PruneFailedError(SnapshotCopyError):
    """Some expired copies could not be deleted; each is named with its error code."""

    code = "PruneFailed"


@dataclass(frozen=True)
class Clients:
    rds: Any  # the destination region's
    service_quotas: Any  # the destination region's


def prune(config: PruneConfig, clients: Clients, now: datetime, runtime: Runtime) -> dict[str, Any]:
    """Page through every manual snapshot of both kinds, delete what retention says, publish the quota.

    `now` (timezone-aware) is what ages are judged against; `runtime` gives the deadline (deletes stop
    TIME_MARGIN_SECONDS before it, `incomplete` True), the metrics' clock and FunctionName. Returns the
    handler's result (see prune_snapshots.py); raises PruneFailedError, after the metrics, when a delete failed.
    """
    seconds_left = runtime.seconds_left
    deleted: list[str] = []
    reasons: dict[str, str] = {}
    kept_reasons: dict[str, str] = {}
    locked = 0  # copies only the lock keeps: what the other rules would have deleted
    failed: list[str] = []
    kept = examined = 0
    incomplete = False
    # Every listing first (the quota needs them all), then the deletes, as many as the time allows.
    listed = {name: list(pages(clients.rds, name, SnapshotType="manual")) for name in KINDS}
    used = {name: len(snapshots) for name, snapshots in listed.items()}
    decisions = {
        name: decide(
            listed[name],
            name,
            config.owner,
            now,
            config.retention_days,
            config.keep_last,
            config.tiers,
            config.min_retention_days,
        )
        for name in KINDS
    }
    legacy_counts = {name: len(d.legacy) for name, d in decisions.items()}
    legacy = [identifier for d in decisions.values() for identifier in d.legacy]
    if legacy:
        # Once a run, not once a copy: the operator's action is one command for all of them.
        more = f" and {len(legacy) - 20} more" if len(legacy) > 20 else ""
        logger.warning(
            f"{len(legacy)} copies kept, never deleted: {LEGACY_REASON}: {', '.join(legacy[:20])}{more}",
            extra={"legacy": legacy_counts},
        )
    for name, kind in KINDS.items():
        for verdict in decisions[name].verdicts:
            examined += 1
            log = {
                "snapshot": verdict.identifier,
                "source": verdict.source,
                "account": verdict.account,
                "kind": name,
                "dry_run": config.dry_run,
                "rules": list(verdict.rules),
            }
            if not verdict.delete:
                kept += 1
                locked += verdict.rules == (MIN_RETENTION_DAYS,)
                logger.info(f"keep {verdict.identifier}: {verdict.reason}", extra=log)
                if config.dry_run:
                    kept_reasons[verdict.identifier] = verdict.reason
                continue
            if incomplete or seconds_left() < TIME_MARGIN_SECONDS:
                incomplete = True
                continue
            if config.dry_run:
                logger.info(f"would delete {verdict.identifier}: {verdict.reason}", extra=log)
                deleted.append(verdict.identifier)
                reasons[verdict.identifier] = verdict.reason
                continue
            try:
                getattr(clients.rds, kind.delete_operation)(**{kind.identifier_key: verdict.identifier})
            except ClientError as exc:
                code = error_code(exc)
                # Gone, or being copied, shared or deleted meanwhile: left for the next run.
                if code in SOURCE_GONE_CODES or code in SNAPSHOT_BUSY_CODES:
                    logger.warning(f"not deleted {verdict.identifier}: {code}", extra=log)
                    continue
                failed.append(f"{verdict.identifier}: {code}")
                logger.error(f"could not delete {verdict.identifier}: {code}: {exc}", extra=log)
                continue
            except BotoCoreError as exc:
                failed.append(f"{verdict.identifier}: {type(exc).__name__}")
                logger.error(f"could not delete {verdict.identifier}: {exc}", extra=log)
                continue
            deleted.append(verdict.identifier)
            used[name] -= 1
            logger.info(f"deleted {verdict.identifier}: {verdict.reason}", extra=log)

    usage = _usage(clients.service_quotas, used)
    _publish(
        config,
        runtime,
        usage,
        legacy_counts,
        deleted=0 if config.dry_run else len(deleted),
        expired=len(deleted),
        locked=locked,
    )
    if incomplete:
        logger.warning("stopped before the timeout; the next run deletes the rest", extra={"deleted": len(deleted)})
    result = {
        "deleted": deleted,
        "dry_run": config.dry_run,
        "pruning": config.retention_days is not None,
        "retention_days": config.retention_days,
        "keep_last": config.keep_last,
        **{SETTINGS[tier]: getattr(config.tiers, tier) for tier in TIERS},
        "min_retention_days": config.min_retention_days,
        "locked": locked,  # kept only by the lock
        "examined": examined,
        "kept": kept,
        "incomplete": incomplete,
        "failed": failed,
        "legacy": legacy,  # 0.4.x copies, never deleted
        "quota": {
            u.kind: {"used": u.used, "quota": u.quota, "percent": u.percent, "quota_source": u.quota_source}
            for u in usage
        },
    }
    if config.dry_run:
        result["reasons"] = reasons  # why each would be deleted
        result["kept_reasons"] = kept_reasons  # why each other copy of ours stays
    if failed:
        raise PruneFailedError(f"{len(failed)} expired copies could not be deleted: {'; '.join(failed[:20])}")
    return result


def _usage(service_quotas: Any, used: dict[str, int]) -> list[quota.Usage]:
    limits = quota.quotas(service_quotas)
    return [quota.Usage(kind, used[kind], *limits[kind]) for kind in KINDS]


def _publish(
    config: PruneConfig,
    runtime: Runtime,
    usage: list[quota.Usage],
    legacy: dict[str, int],
    *,
    deleted: int,
    expired: int,
    locked: int,
) -> None:
    namespace, function_name, clock = config.metric_namespace, runtime.function_name, runtime.clock
    metrics.put(
        metrics.emf_record(
            namespace,
            {"FunctionName": function_name},
            # SnapshotsLocked: copies the min_retention_days lock alone keeps, which the other rules expire.
            {"SnapshotsDeleted": deleted, "SnapshotsExpired": expired, "SnapshotsLocked": locked},
            clock=clock,
        )
    )
    for u in usage:
        metrics.put(
            metrics.emf_record(
                namespace,
                {"FunctionName": function_name, "SnapshotKind": u.kind},
                {
                    "ManualSnapshots": u.used,
                    "ManualSnapshotQuota": u.quota,
                    "ManualSnapshotQuotaUsedPercent": u.percent,
                    # 0.4.x copies the pruner never deletes: an alarm can see them fill the quota.
                    "LegacyCopies": legacy[u.kind],
                },
                units={"ManualSnapshotQuotaUsedPercent": "Percent"},
                clock=clock,
            )
        )
