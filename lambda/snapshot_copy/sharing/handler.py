"""One invocation of the source side: an RDS snapshot-created event (bare, from its EventBridge rule, or in SQS
records, with partial batch failures as the copier reports them) or the scheduled clean-up event.

Each event ends as one status, with a metric and a JSON log line: shared, share_copy_started, unshareable,
ignored, pending (our share copy is not available yet: its own event or the clean-up shares it) are done;
retry and failed come back (the SQS record is reported failed; a bare event raises, so that Lambda retries
it and then hands it to the function's failure destination).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import MalformedEventError, SnapshotCopyError
from ..events import Ignored, parse_body, parse_event, parse_snapshot_arn
from ..filters import SourceTags, decide_for_snapshot
from ..kinds import KINDS
from ..listing import describe_one
from ..outcomes import SOURCE_GONE_CODES, classify_exception, error_code
from ..queue import sqs_records
from ..runtime import Runtime
from . import metrics
from .cleanup import clean_up
from .config import ShareConfig, Vault
from .decide import IGNORE, NOT_READY, PENDING, SHARE_AS_IS, SHARE_COPY, UNSHAREABLE, Plan, decide
from .naming import is_share_copy
from .share import UnshareableError, delete_share_copy, original_data_time, share_and_announce, start_share_copy

logger = logging.getLogger("share_snapshot")

SCHEDULED_SOURCE = "aws.events"
SCHEDULED_DETAIL_TYPE = "Scheduled Event"
DONE = frozenset({"shared", "share_copy_started", "unshareable", "ignored", "pending"})
METRIC_OF = {
    "shared": metrics.SHARED,
    "share_copy_started": metrics.SHARE_COPIES_STARTED,
    "unshareable": metrics.UNSHAREABLE,
    "ignored": metrics.IGNORED,
    "retry": metrics.FAILED,
    "failed": metrics.FAILED,
}


class SharingFailedError(SnapshotCopyError):
    """A bare event that did not end well: raised so that Lambda retries it; `code` says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Result:
    status: str
    code: str
    reason: str
    snapshot: str | None = None
    target: str | None = None  # the share copy's identifier

    @property
    def done(self) -> bool:
        return self.status in DONE


@dataclass(frozen=True)
class Clients:
    rds: Any  # the source region's
    sqs: Any  # the source region's: every vault's queue is there (config.py)
    vault_rds: Callable[[Vault], Any]  # a vault's RDS client in its destination region, as its reader role
    source_tags: dict[str, Any] = field(default_factory=dict)  # the source filter's memory (filters.SourceTags)


def handle(event: Any, config: ShareConfig, clients: Clients, runtime: Runtime) -> dict[str, Any]:
    now = datetime.fromtimestamp(runtime.clock(), UTC)
    tags = SourceTags(clients.rds, runtime.clock, clients.source_tags)
    if _is_scheduled(event):
        counts = clean_up(
            clients.rds,
            clients.sqs,
            clients.vault_rds,
            config,
            now,
            runtime.seconds_left,
            catch_up=lambda snapshot, kind: _catch_up(snapshot, kind, config, clients, tags, now),
        )
        metrics.emit(counts, config.metric_namespace, runtime.function_name, runtime.clock)
        summary = {name: count for name, count in sorted(counts.items()) if count}
        logger.info("clean-up done", extra={"counts": summary})
        status = "failed" if counts[metrics.FAILED] else "done"
        return {"status": status, "code": "CleanUp", "reason": f"clean-up: {summary or 'nothing to do'}"}

    try:
        records = sqs_records(event)
    except MalformedEventError as exc:
        metrics.emit(Counter({metrics.FAILED: 1}), config.metric_namespace, runtime.function_name, runtime.clock)
        logger.error(str(exc), extra={"code": exc.code})
        raise
    if records is not None:
        counts: Counter[str] = Counter()
        failures = []
        for record in records:
            result = _record(record, config, clients, tags, now)
            counts.update(_metric(result))
            if not result.done:
                failures.append({"itemIdentifier": record["messageId"]})
        metrics.emit(counts, config.metric_namespace, runtime.function_name, runtime.clock)
        return {"batchItemFailures": failures}

    try:
        result = handle_event(event, config, clients, tags, now)
    except MalformedEventError as exc:
        result = _logged(Result("failed", exc.code, str(exc)))
    metrics.emit(Counter(_metric(result)), config.metric_namespace, runtime.function_name, runtime.clock)
    if not result.done:
        raise SharingFailedError(result.reason, result.code)
    answer = {"status": result.status, "code": result.code, "reason": result.reason}
    return answer | ({"target": result.target} if result.target else {})


def _metric(result: Result) -> list[str]:
    """The metric a Result counts under (none for `pending`: the share happens later, and counts then)."""
    return [METRIC_OF[result.status]] if result.status in METRIC_OF else []


def _is_scheduled(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and event.get("source") == SCHEDULED_SOURCE
        and event.get("detail-type") == SCHEDULED_DETAIL_TYPE
    )


def _record(record: dict[str, Any], config: ShareConfig, clients: Clients, tags: SourceTags, now: datetime) -> Result:
    """One SQS record's Result, never an exception (a bug in one record must not stop the batch)."""
    try:
        body = record.get("body")
        if not isinstance(body, str) or not body:
            raise MalformedEventError(f"SQS record has no body ({body!r})")
        return handle_event(parse_body(body), config, clients, tags, now)
    except MalformedEventError as exc:
        return _logged(Result("failed", exc.code, str(exc)))
    except Exception as exc:
        logger.exception("unexpected error handling a record", extra={"message_id": record.get("messageId")})
        return Result("failed", "UnexpectedError", f"{type(exc).__name__}: {exc}")


def handle_event(event: Any, config: ShareConfig, clients: Clients, tags: SourceTags, now: datetime) -> Result:
    """One RDS event: its Result, logged. Raises MalformedEventError for an enabled event it cannot read."""
    parsed = parse_event(event, config.enabled_event_ids)
    if isinstance(parsed, Ignored):
        return _logged(Result("ignored", "NotASnapshotEvent", parsed.reason))
    if parsed.region != config.source_region:
        return _logged(
            Result("ignored", "OtherRegion", f"{parsed.arn} is in {parsed.region}, not {config.source_region}")
        )
    doing = f"sharing {parsed.arn}"
    try:
        snapshot = describe_one(clients.rds, parsed.kind, parsed.identifier)
        if snapshot is None:
            return _logged(Result("ignored", "SnapshotGone", f"{parsed.arn} no longer exists", parsed.arn))

        def selected() -> Any:
            return decide_for_snapshot(
                config.source_filter, snapshot, parsed.kind, tags, parsed.partition, parsed.region, parsed.account
            )

        plan = decide(snapshot, parsed.kind, config, clients.rds, selected)
        return _logged(_carry_out(plan, snapshot, parsed.kind, config, clients, now))
    except ClientError as exc:
        if error_code(exc) in SOURCE_GONE_CODES:
            return _logged(Result("ignored", "SnapshotGone", f"{doing}: {parsed.arn} no longer exists", parsed.arn))
        outcome = classify_exception(exc, doing)
    except BotoCoreError as exc:
        outcome = classify_exception(exc, doing)
    status = "failed" if outcome.status == "failed" else "retry"
    return _logged(Result(status, outcome.code, outcome.reason, parsed.arn))


def _catch_up(
    snapshot: dict[str, Any], kind: str, config: ShareConfig, clients: Clients, tags: SourceTags, now: datetime
) -> Counter[str]:
    """A listed snapshot whose created event never came, done as its event would have had it (shared, or its
    share copy started): the metrics' counts, MissedEventsCaughtUp among them once done. Nothing is done, or
    counted, where its event would have done nothing, or would have reported it unshareable: every hourly run
    of the day would report it again (the vault's recovery point alarm tells of a source whose snapshots do
    not come)."""
    ref = parse_snapshot_arn(snapshot.get(KINDS[kind].arn_key), kind, "catch-up")

    def selected() -> Any:
        return decide_for_snapshot(config.source_filter, snapshot, kind, tags, ref.partition, ref.region, ref.account)

    plan = decide(snapshot, kind, config, clients.rds, selected)
    if plan.action not in (SHARE_AS_IS, SHARE_COPY):
        return Counter()
    result = _logged(_carry_out(plan, snapshot, kind, config, clients, now))
    logger.warning(
        f"{snapshot.get(KINDS[kind].identifier_key)}: its created event never came; caught up ({result.status})",
        extra={"snapshot": ref.arn, "kind": kind, "status": result.status, "code": result.code},
    )
    return Counter(_metric(result) + ([metrics.CAUGHT_UP] if result.done else []))


def _carry_out(
    plan: Plan, snapshot: dict[str, Any], kind: str, config: ShareConfig, clients: Clients, now: datetime
) -> Result:
    arn = snapshot[KINDS[kind].arn_key]
    if plan.action == IGNORE:
        return Result("ignored", plan.code, plan.reason, arn)
    if plan.action == PENDING:
        return Result("pending", plan.code, plan.reason, arn)
    if plan.action == NOT_READY:
        return Result("retry", plan.code, plan.reason, arn)
    if plan.action == UNSHAREABLE:
        return Result("unshareable", plan.code, plan.reason, arn)
    if plan.action == SHARE_COPY:
        data_time = original_data_time(clients.rds, snapshot, kind)
        target, started = start_share_copy(clients.rds, snapshot, kind, config, data_time)
        if not started:
            reason = f"share copy {target} exists already ({plan.reason})"
            return Result("pending", "ShareCopyExists", reason, arn, target)
        return Result("share_copy_started", plan.code, f"started share copy {target}: {plan.reason}", arn, target)
    if plan.action == SHARE_AS_IS:
        try:
            added = share_and_announce(clients.rds, clients.sqs, snapshot, kind, config, now)
        except UnshareableError as exc:
            if is_share_copy(snapshot, kind, config.deployment_name):
                # Useless now: RDS will not share it (the clean-up would delete it at its timeout).
                delete_share_copy(clients.rds, kind, snapshot[KINDS[kind].identifier_key])
                return Result("unshareable", exc.code, f"{exc}; deleted the share copy", arn)
            return Result("unshareable", exc.code, str(exc), arn)
        vaults = ", ".join(vault.name for vault in config.vaults)
        reason = f"{plan.reason}; shared with {added or 'the vault accounts (again)'}; sent to {vaults}"
        return Result("shared", plan.code, reason, arn)
    raise AssertionError(f"unknown plan {plan.action}")


def _logged(result: Result) -> Result:
    extra = {"status": result.status, "code": result.code, "snapshot": result.snapshot, "target": result.target}
    if result.done and result.status != "unshareable":
        logger.info(result.reason, extra=extra)
    else:
        logger.error(result.reason, extra=extra)
    return result
