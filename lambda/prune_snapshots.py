"""Lambda entry point: delete this deployment's expired copies in the destination region, and measure
the destination's manual snapshot quota.

Runs on a schedule. Contract: `lambda_handler(event, context)`; environment SOURCE_REGION,
DESTINATION_REGION, RETENTION_DAYS (absent: no pruning, the quota is still measured), KEEP_LAST,
DRY_RUN (true/false), METRIC_NAMESPACE, DEPLOYMENT_NAME (absent: "rds-snapshot-copy", the module's default
name); returns a dict whose `deleted` lists the identifiers deleted (or, in a dry run, that would be).

Ownership: only copies `ownership.classify` calls OURS are ever deleted: this deployment's tag and source
region's tag AND the identifier the copier gives a copy of the source in its tag; a tag alone is never
enough. Copies made by 0.4.x (LEGACY: no deployment tag) are never deleted; they are named once a run, in
the result (`legacy`) and in the LegacyCopies metric, so they cannot fill the quota unseen.
Time: a copy's age is when its data was taken (snapshot_time.data_time), never when it was copied.
The decisions are snapshot_copy.retention's; this file pages, deletes, publishes the metrics and reports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from snapshot_copy import metrics, quota, runtime
from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.errors import SnapshotCopyError
from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import pages
from snapshot_copy.outcomes import SOURCE_GONE_CODES, error_code
from snapshot_copy.prune_config import PruneConfig
from snapshot_copy.retention import LEGACY_REASON, decide

logger = logging.getLogger("prune_snapshots")

# Stop deleting this long before the function's timeout; the next run goes on where this one stopped.
TIME_MARGIN_SECONDS = 20
# A snapshot being copied, shared or deleted meanwhile: left for the next run.
BUSY_CODES = frozenset({"InvalidDBSnapshotState", "InvalidDBSnapshotStateFault", "InvalidDBClusterSnapshotStateFault"})


class PruneFailedError(SnapshotCopyError):
    """Some expired copies could not be deleted; each is named with its error code."""

    code = "PruneFailed"


@dataclass(frozen=True)
class Clients:
    rds: Any  # the destination region's
    service_quotas: Any  # the destination region's


@lru_cache(maxsize=4)
def clients_for(destination_region: str) -> Clients:
    session = boto3.session.Session()
    return Clients(
        rds=session.client("rds", region_name=destination_region, config=BOTO_CONFIG),
        service_quotas=session.client("service-quotas", region_name=destination_region, config=BOTO_CONFIG),
    )


def prune(
    config: PruneConfig,
    clients: Clients,
    now: datetime,
    seconds_left: Callable[[], float],
    function_name: str,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Page through every manual snapshot of both kinds, delete what retention says, publish the quota."""
    deleted: list[str] = []
    reasons: dict[str, str] = {}
    failed: list[str] = []
    kept = examined = 0
    incomplete = False
    # Every listing first (the quota needs them all), then the deletes, as many as the time allows.
    listed = {name: list(pages(clients.rds, name, SnapshotType="manual")) for name in KINDS}
    used = {name: len(snapshots) for name, snapshots in listed.items()}
    decisions = {
        name: decide(listed[name], name, config.owner, now, config.retention_days, config.keep_last) for name in KINDS
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
            log = {"snapshot": verdict.identifier, "source": verdict.source, "kind": name, "dry_run": config.dry_run}
            if not verdict.delete:
                kept += 1
                logger.info(f"keep {verdict.identifier}: {verdict.reason}", extra=log)
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
                if code in SOURCE_GONE_CODES or code in BUSY_CODES:
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
    _publish(config, function_name, usage, legacy_counts, 0 if config.dry_run else len(deleted), len(deleted), clock)
    if incomplete:
        logger.warning("stopped before the timeout; the next run deletes the rest", extra={"deleted": len(deleted)})
    result = {
        "deleted": deleted,
        "dry_run": config.dry_run,
        "pruning": config.retention_days is not None,
        "retention_days": config.retention_days,
        "keep_last": config.keep_last,
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
    if failed:
        raise PruneFailedError(f"{len(failed)} expired copies could not be deleted: {'; '.join(failed[:20])}")
    return result


def _usage(service_quotas: Any, used: dict[str, int]) -> list[quota.Usage]:
    limits = quota.quotas(service_quotas)
    return [quota.Usage(kind, used[kind], *limits[kind]) for kind in KINDS]


def _publish(
    config: PruneConfig,
    function_name: str,
    usage: list[quota.Usage],
    legacy: dict[str, int],
    deleted: int,
    expired: int,
    clock: Callable[[], float],
) -> None:
    namespace = config.metric_namespace
    metrics.put(
        metrics.emf_record(
            namespace,
            {"FunctionName": function_name},
            {"SnapshotsDeleted": deleted, "SnapshotsExpired": expired},
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


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    config = PruneConfig.from_env()
    return prune(
        config,
        clients_for(config.destination_region),
        datetime.now(UTC),
        runtime.seconds_left(context),
        runtime.function_name(context, "prune_snapshots"),
    )
