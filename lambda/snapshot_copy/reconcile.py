"""Reconciliation's actions: enqueue an event, shaped like RDS's own, for each source snapshot the survey
found without a copy (survey.py: the listings, the rules of whose copies count and of time, the candidates),
record them in the copy requests table, publish the recovery point metrics, and report.

The reconciler function, `rds-snapshot-copy status` / `backfill` and the benchmark call the same two
functions with their own clients, runtime and window:

  survey(config, clients, now, *, window_days=None, runtime=None, run_listings=None) -> Survey
      Read-only (survey.py). Raises ReconcileOutOfTimeError when the listings have not ended
      TIME_MARGIN_SECONDS before the timeout.
  reconcile(config, clients, now, *, ...) -> dict
      survey(), then SendMessageBatch (10 a call) to the copier's queue, the sent ones recorded in the table,
      with DRILL_MAX_AGE_DAYS the days since the last drill (drill_age.py, one GetMetricData in the
      destination), the EMF metrics, and the result (see its docstring). Raises ReconcileFailedError after
      publishing when any snapshot could not be sent (the result on its `result`).

The survey's names (Clients, Survey, SourceState, Snapshot, SKIP_REASONS, in_threads, in_turn, ...) are
re-exported here: status, backfill and the benchmark import them from this module.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import copy_requests, drill_age, metrics
from .errors import SnapshotCopyError
from .events import enabled_snapshot_types, snapshot_created_event
from .listing import BROKEN_STATUSES
from .reconcile_config import ReconcileConfig
from .runtime import Runtime
from .survey import SKIP_REASONS, Clients, Snapshot, SourceState, Survey, survey
from .survey_listings import TIME_MARGIN_SECONDS, ReconcileOutOfTimeError, Runner, in_threads, in_turn

__all__ = [
    "FUNCTION_NAME",
    "ORIGINS",
    "SEND_BATCH_LIMIT",
    "SKIP_REASONS",
    "TIME_MARGIN_SECONDS",
    "Clients",
    "ReconcileFailedError",
    "ReconcileOutOfTimeError",
    "Runner",
    "Snapshot",
    "SourceState",
    "Survey",
    "enabled_snapshot_types",
    "in_threads",
    "in_turn",
    "reconcile",
    "survey",
]

logger = logging.getLogger(__name__)

SEND_BATCH_LIMIT = 10  # SQS's entries per SendMessageBatch
ORIGINS = ("reconciler", "backfill")
# The metrics' FunctionName when no Lambda context names the function (reconcile_snapshots.py's default too).
FUNCTION_NAME = "reconcile_snapshots"


class ReconcileFailedError(SnapshotCopyError):
    """Some snapshots to enqueue could not be sent; each is named with its error code. `result` is what
    reconcile() would have returned (the others were sent, recorded and the metrics published)."""

    code = "ReconcileFailed"

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result


def reconcile(
    config: ReconcileConfig,
    clients: Clients,
    now: datetime,
    *,
    window_days: float | None = None,
    dry_run: bool = False,
    origin: str = "reconciler",
    progress: Callable[[int, int], None] | None = None,
    publish_metrics: bool | None = None,
    runtime: Runtime | None = None,
    run_listings: Runner | None = None,
) -> dict[str, Any]:
    """survey(), then enqueue the candidates (unless `dry_run`), record them, publish the metrics.

    `origin` ("reconciler" or "backfill") goes on each message (MessageAttribute `origin`) and on each table
    item (`by`). Metrics are published when `publish_metrics`, which defaults to: origin is "reconciler" and
    not a dry run (a workstation's backfill must not feed the function's alarms). `progress(done, total)` is
    called before the first and after every SendMessageBatch. Sending stops, `incomplete` True, when
    `runtime.seconds_left()` drops under TIME_MARGIN_SECONDS (the next run sends the rest). When it drops under
    that during the listings, survey() raises ReconcileOutOfTimeError: nothing sent, no metric published (the
    function's errors alarm and its missing-data-breaching RPO alarm see it). `runtime.sleep` paces the copy
    requests table's retries, `runtime.clock` stamps its items and the metrics, whose FunctionName is
    `runtime.function_name` (`runtime` None: no deadline, the real clock and sleep, FUNCTION_NAME);
    `run_listings` runs survey()'s listings (None: in_threads).

    Returns {"enqueued": [source snapshot ARNs sent, or in a dry run those that would be],
    "sources": [SourceState.entry ...], "dry_run", "origin", "window_days" (None: all), "candidates",
    "already_copied", "legacy_copies" (0.4.x copies: adopt them), "broken_copies" (in BROKEN_STATUSES),
    "skipped": {code: count}, "failed": ["ARN: code"], "unrecorded" (table writes missed),
    "incomplete", "metrics": {name: value}}; with config.drill_max_age_days and clients.cloudwatch, "metrics"
    also holds DaysSinceLastDrill (drill_age.NO_DRILL_DAYS when none is on record; left out when it could not
    be read, which is logged and fails nothing). Raises ReconcileFailedError (after the metrics, with that
    result as its `result`) when any candidate could not be sent.
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
    runtime = runtime or Runtime(function_name=FUNCTION_NAME)
    seconds_left = runtime.seconds_left
    found = survey(config, clients, now, window_days=window_days, runtime=runtime, run_listings=run_listings)
    candidates = found.candidates
    enqueued: list[str] = []
    failed: list[str] = []
    incomplete = False
    unrecorded = 0
    if progress is not None:
        progress(0, len(candidates))
    if dry_run:
        enqueued = [snapshot.arn for snapshot in candidates]
        if progress is not None:
            progress(len(candidates), len(candidates))
    else:
        for start in range(0, len(candidates), SEND_BATCH_LIMIT):
            if seconds_left() < TIME_MARGIN_SECONDS:
                incomplete = True
                break
            batch = candidates[start : start + SEND_BATCH_LIMIT]
            sent, errors = _send(clients.sqs, config.copy_queue_url, batch, now, origin)
            enqueued.extend(sent)
            failed.extend(errors)
            if progress is not None:
                progress(min(start + SEND_BATCH_LIMIT, len(candidates)), len(candidates))
        unrecorded = _record(config, clients, enqueued, runtime.clock(), origin, runtime.sleep)

    values = _metric_values(found, len(enqueued) if not dry_run else 0)
    days = _days_since_last_drill(config, clients, now, seconds_left)
    if days is not None:
        values[metrics.DAYS_SINCE_LAST_DRILL] = days
    if publish_metrics if publish_metrics is not None else (origin == "reconciler" and not dry_run):
        _publish(config, runtime, found, values)
    result = {
        "enqueued": enqueued,
        "sources": found.entries(),
        "dry_run": dry_run,
        "origin": origin,
        "window_days": found.window_days if math.isfinite(found.window_days) else None,
        "candidates": len(candidates),
        "already_copied": found.copied,
        "legacy_copies": found.legacy,
        "broken_copies": found.broken,
        "skipped": found.skipped_counts(),
        "failed": failed,
        "unrecorded": unrecorded,
        "incomplete": incomplete,
        "metrics": values,
    }
    logger.info(
        f"{'would enqueue' if dry_run else 'enqueued'} {len(enqueued)} of {len(candidates)} snapshot(s) without a "
        f"copy; {values[metrics.SOURCES_PAST_RPO]} of {values[metrics.SOURCES_RECONCILED]} source(s) past the RPO",
        extra={k: result[k] for k in ("candidates", "already_copied", "skipped", "incomplete", "origin", "dry_run")},
    )
    if incomplete:
        logger.warning("stopped before the timeout; the next run sends the rest", extra={"sent": len(enqueued)})
    for count, what in (
        (found.broken, f"{' or '.join(sorted(BROKEN_STATUSES))} (their snapshots are enqueued again)"),
        (found.legacy, "made by 0.4.x (never a recovery point until `rds-snapshot-copy adopt` tags them)"),
    ):
        if count:
            logger.warning(f"copies of this deployment {what}: {count}", extra={"copies": count})
    if failed:
        raise ReconcileFailedError(
            f"{len(failed)} snapshot(s) could not be enqueued: {'; '.join(failed[:20])}", result=result
        )
    return result


def _send(sqs: Any, queue_url: str, batch: list[Snapshot], now: datetime, origin: str) -> tuple[list[str], list[str]]:
    """One SendMessageBatch: (ARNs sent, ["ARN: code"] not sent)."""
    entries = [
        {
            "Id": str(index),
            "MessageBody": json.dumps(snapshot_created_event(s.arn, s.kind, s.snapshot_type, s.created, now)),
            "MessageAttributes": {"origin": {"DataType": "String", "StringValue": origin}},
        }
        for index, s in enumerate(batch)
    ]
    try:
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        logger.error(f"could not send {len(batch)} message(s): {exc}", extra={"code": code})
        return [], [f"{s.arn}: {code}" for s in batch]
    except BotoCoreError as exc:
        logger.error(f"could not send {len(batch)} message(s): {exc}", extra={"code": type(exc).__name__})
        return [], [f"{s.arn}: {type(exc).__name__}" for s in batch]
    sent = [batch[int(ok["Id"])].arn for ok in answer.get("Successful", [])]
    errors = []
    for bad in answer.get("Failed", []):
        arn = batch[int(bad["Id"])].arn
        errors.append(f"{arn}: {bad.get('Code', 'Unknown')}")
        logger.error(f"could not enqueue {arn}: {bad.get('Code')}: {bad.get('Message', '')}", extra={"arn": arn})
    return sent, errors


def _record(
    config: ReconcileConfig,
    clients: Clients,
    arns: list[str],
    epoch: float,
    origin: str,
    sleep: Callable[[float], None],
) -> int:
    """Record the sent snapshots in the table; how many were not (logged, never raised: a miss costs a duplicate)."""
    if not arns or not config.requests_table or clients.dynamodb is None:
        return 0
    requests = [copy_requests.Request(arn, "enqueued", epoch, origin) for arn in arns]
    try:
        unwritten = copy_requests.write(
            clients.dynamodb, config.requests_table, requests, config.rerequest_after_hours * 3600, sleep=sleep
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning(f"could not record {len(arns)} request(s) in {config.requests_table}: {exc}")
        return len(arns)
    if unwritten:
        logger.warning(f"{unwritten} request(s) not recorded in {config.requests_table} (unprocessed)")
    return unwritten


def _days_since_last_drill(
    config: ReconcileConfig, clients: Clients, now: datetime, seconds_left: Callable[[], float]
) -> float | None:
    """DaysSinceLastDrill's value; None when there is no check, no time left or no answer (drill_age.published)."""
    if config.drill_max_age_days is None or clients.cloudwatch is None:
        return None
    if seconds_left() < TIME_MARGIN_SECONDS:
        logger.error("no time left to read the last drill's time; DaysSinceLastDrill not published this run")
        return None
    return drill_age.published(
        clients.cloudwatch,
        config.metric_namespace,
        config.source_region,
        config.destination_region,
        config.drill_max_age_days,
        now,
    )


def _metric_values(found: Survey, enqueued: int) -> dict[str, float]:
    states = found.sources.values()
    return {
        metrics.RECOVERY_POINT_AGE_WORST: round(
            max((s.metric_age_hours(found.now, found.rpo_hours) for s in states), default=0.0), 3
        ),
        metrics.SOURCES_PAST_RPO: sum(1 for s in states if s.past_rpo(found.now, found.rpo_hours)),
        metrics.SNAPSHOTS_ENQUEUED: enqueued,
        metrics.SOURCES_RECONCILED: len(found.sources),
        metrics.BROKEN_COPIES: found.broken,
    }


def _publish(config: ReconcileConfig, runtime: Runtime, found: Survey, values: dict[str, float]) -> None:
    function_name, clock = runtime.function_name, runtime.clock
    # CloudWatch has no hour or day unit
    hours = {metrics.RECOVERY_POINT_AGE_WORST: "None", metrics.DAYS_SINCE_LAST_DRILL: "None"}
    metrics.put(
        metrics.emf_record(config.metric_namespace, {"FunctionName": function_name}, values, units=hours, clock=clock)
    )
    if not config.per_source_metrics:
        return
    for state in found.sources.values():
        dimensions = {"FunctionName": function_name, "SnapshotKind": state.kind, "SourceIdentifier": state.source}
        if state.account is not None:  # backup-account mode: two accounts may name a database alike
            dimensions["SourceAccount"] = state.account
        age = round(state.metric_age_hours(found.now, found.rpo_hours), 3)
        metrics.put(
            metrics.emf_record(
                config.metric_namespace,
                dimensions,
                {metrics.RECOVERY_POINT_AGE: age},
                units={metrics.RECOVERY_POINT_AGE: "None"},
                clock=clock,
            )
        )
