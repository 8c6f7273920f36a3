"""CloudWatch metrics as Embedded Metric Format: one JSON line on stdout, no API call, no permission.

Written straight to stdout, not through `logging`: Lambda sends stdout to the log group whatever the
function's log level, so a log level of WARN cannot starve the alarms that read these metrics.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import IO, Any

# The copier's count of broken copies (failed, incompatible-restore) of its own it deleted to copy again;
# which status each had is in the log line of each (field `replaced`).
BROKEN_COPY_REPLACED = "broken_copy_replaced"
# The copies started, full or incremental (incremental.py; the copy's incremental_base tag says which).
FULL_COPY = "full_copy"
INCREMENTAL_COPY = "incremental_copy"
# Metric name for each outcome status of the copier (and BROKEN_COPY_REPLACED); the DeadLettered alarm in
# the module reads it. WaitingForQuota: events waiting because the destination's manual snapshot quota is
# full (the pruner frees room; past copy_wait_max_hours they are dead-lettered).
METRIC_NAMES = {
    "started": "CopiesStarted",
    "exists": "CopiesAlreadyPresent",
    "ignored": "EventsIgnored",
    "wait": "CopySlotWaits",
    "wait_quota": "WaitingForQuota",
    "retry": "Retries",
    "retry_limited": "Retries",
    "dead_lettered": "DeadLettered",
    BROKEN_COPY_REPLACED: "BrokenCopiesReplaced",
    FULL_COPY: "FullCopies",
    INCREMENTAL_COPY: "IncrementalCopies",
}
COPY_METRICS = sorted(set(METRIC_NAMES.values()))

# The reconciler's, dimensions {FunctionName}; the module's recovery_point alarm reads SOURCES_PAST_RPO.
RECOVERY_POINT_AGE_WORST = "RecoveryPointAgeWorstHours"
SOURCES_PAST_RPO = "SourcesPastRpo"
SNAPSHOTS_ENQUEUED = "SnapshotsEnqueued"
SOURCES_RECONCILED = "SourcesReconciled"
RECONCILE_METRICS = (RECOVERY_POINT_AGE_WORST, SOURCES_PAST_RPO, SNAPSHOTS_ENQUEUED, SOURCES_RECONCILED)
# Also the reconciler's, dimensions {FunctionName}: copies of this deployment in listing.BROKEN_STATUSES
# (their snapshots are enqueued again; the copier replaces them and counts BrokenCopiesReplaced).
BROKEN_COPIES = "BrokenCopies"
# Optional, one per source: dimensions {FunctionName, SnapshotKind, SourceIdentifier}.
RECOVERY_POINT_AGE = "RecoveryPointAgeHours"

# Restore drills (`rds-snapshot-copy drill --publish-metric`, in the destination region, dimension
# SourceRegion): the time of the last drill that passed, and its RTO and RPO per source. The reconciler reads
# the first back and publishes the days since it, which an alarm can compare with a limit (CloudWatch alarms
# look back at most seven days, so an alarm cannot watch a metric published once a quarter directly).
LAST_DRILL_TIMESTAMP = "LastDrillTimestamp"
DRILL_RTO = "DrillRtoSeconds"
DRILL_RPO = "DrillRpoSeconds"
DRILL_SOURCE_REGION_DIMENSION = "SourceRegion"
DAYS_SINCE_LAST_DRILL = "DaysSinceLastDrill"


def emf_record(
    namespace: str,
    dimensions: Mapping[str, str],
    values: Mapping[str, float],
    units: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """One EMF record: every value under the same dimensions; the unit is Count unless `units` names another."""
    units = units or {}
    return {
        "_aws": {
            "Timestamp": int(clock() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [sorted(dimensions)],
                    "Metrics": [{"Name": name, "Unit": units.get(name, "Count")} for name in sorted(values)],
                }
            ],
        },
        **dimensions,
        **values,
    }


def put(record: dict[str, Any], out: IO[str] | None = None) -> dict[str, Any]:
    """Write the record as one line; Lambda forwards stdout to CloudWatch Logs, which extracts the metrics."""
    stream = sys.stdout if out is None else out
    stream.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
    stream.flush()
    return record


def emit(
    counts: Counter[str], namespace: str, function_name: str, clock: Callable[[], float] = time.time
) -> dict[str, Any]:
    """The copier's counts of one invocation, every metric present (zero where nothing happened)."""
    values: Counter[str] = Counter()
    for status, count in counts.items():
        if status in METRIC_NAMES:
            values[METRIC_NAMES[status]] += count
    record = emf_record(
        namespace, {"FunctionName": function_name}, {name: values.get(name, 0) for name in COPY_METRICS}, clock=clock
    )
    return put(record)
