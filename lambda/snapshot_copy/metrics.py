"""Counts per invocation as CloudWatch Embedded Metric Format: a log line, no API call, no extra permission."""

from __future__ import annotations

import logging
import time
from collections import Counter

logger = logging.getLogger(__name__)

# Metric name for each outcome status; the DeadLettered alarm in the module reads the last one.
METRIC_NAMES = {
    "started": "CopiesStarted",
    "exists": "CopiesAlreadyPresent",
    "ignored": "EventsIgnored",
    "wait": "CopySlotWaits",
    "retry": "Retries",
    "retry_limited": "Retries",
    "dead_lettered": "DeadLettered",
}


def emit(counts: Counter[str], namespace: str, function_name: str) -> dict[str, object]:
    """Log the counts as one EMF record (Lambda's JSON log format puts `extra` at the top level)."""
    values: Counter[str] = Counter()
    for status, count in counts.items():
        if status in METRIC_NAMES:
            values[METRIC_NAMES[status]] += count
    names = sorted(set(METRIC_NAMES.values()))
    record: dict[str, object] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in names],
                }
            ],
        },
        "FunctionName": function_name,
        **{name: values.get(name, 0) for name in names},
    }
    logger.info("copy metrics", extra=record)
    return record
