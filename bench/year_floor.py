"""The least CPU the year's work can take: what the functions' listings read, times the least any Python code
can spend on one listed item.

The functions list (the copier its copy slots every 15 minutes while it works, the reconciler two regions
every hour, the pruner the destination daily); every item read is a dict from RDS's answer that must at least
be looked at. `per_item_floor_us` times the least such a look can be, on this machine: the item's tags read
into a dict, its deployment tag and status compared, the newest per database kept; nothing else (the real
functions also prove the identifier, read times, count slots). The floor is that time by the items the
run's functions read (fake_aws.CallStats.read); the simulator's own cost (the fakes building the answers,
the clock, the queue) comes on top. If the floor is above the budget, no faster code meets the budget: only
fewer items read would.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

# Issue 19's budget for the default year (200 sources, 365 days), one process on 2 cores.
DEFAULT_YEAR_BUDGET_SECONDS = 120.0

_TAGS = ("source_snapshot_arn", "source_region", "snapshot_copy_deployment", "source_snapshot_time", "team", "env")


def _items(count: int) -> list[dict[str, Any]]:
    """`count` destination snapshots as RDS describes them: a copy's fields and six tags."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "DBSnapshotIdentifier": f"db-{n % 200}-{n:06d}",
            "DBInstanceIdentifier": f"db-{n % 200}",
            "Status": "available" if n % 50 else "copying",
            "SnapshotCreateTime": start + timedelta(hours=n),
            "TagList": [{"Key": key, "Value": f"{key}-{n % 7}"} for key in _TAGS],
        }
        for n in range(count)
    ]


def _least_look(items: list[dict[str, Any]]) -> int:
    newest: dict[str, datetime] = {}
    for item in items:
        tags = {tag["Key"]: tag["Value"] for tag in item["TagList"]}
        if tags.get("snapshot_copy_deployment") == "snapshot_copy_deployment-1" and item["Status"] == "available":
            source, when = item["DBInstanceIdentifier"], item["SnapshotCreateTime"]
            if source not in newest or newest[source] < when:
                newest[source] = when
    return len(newest)


def per_item_floor_us(count: int = 20_000, repeats: int = 5) -> float:
    """Microseconds of CPU per item for `_least_look`, the best of `repeats` passes over `count` items."""
    items = _items(count)
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        _least_look(items)
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def floor(read: dict[str, int], budget_seconds: float) -> dict[str, Any]:
    """The figures: items read per function, the per-item floor, and the CPU seconds they make at least."""
    us = per_item_floor_us()
    total = sum(read.values())
    return {
        "items_read": read,
        "us_per_item": round(us, 2),
        "seconds": round(total * us / 1e6, 1),
        "budget_seconds": budget_seconds,
    }
