"""What the functions' listings read over a run, and what that means for the CPU the run can take.

The functions list: the copier its copy slots every 15 minutes while it works, the reconciler two regions
every hour, the pruner the destination daily, the source side (backup-account mode) its account hourly.
Every item read is a dict from RDS's answer (fake_aws.CallStats.read counts them per function). Figures:
- `items_read`, per function: deterministic for a seed;
- `least_look_us`: the least CPU any Python code can spend on one item and still tell a copy of this
  deployment that is available (its status, one tag compared by the list's own `in`, the newest per
  database kept): timed on this machine, so it varies with the load (best of 5 passes over 20,000 items);
  the real functions also prove the identifier (ownership.py), read the data's time and count slots;
- `floor_seconds`: items read x least_look_us, the CPU the run takes at the very least;
- `run_cpu_seconds` and `run_us_per_item`: what the whole run took (the process's CPU: the functions, the
  fakes that build the answers, the simulator), and that per item read;
- `budget_us_per_item`: what issue 19's 120 s for the default year leaves per item read (for that run only).
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
    ours = {"Key": "snapshot_copy_deployment", "Value": "snapshot_copy_deployment-1"}
    for item in items:
        if item["Status"] == "available" and ours in item["TagList"]:
            source, when = item["DBInstanceIdentifier"], item["SnapshotCreateTime"]
            if source not in newest or newest[source] < when:
                newest[source] = when
    return len(newest)


def least_look_us(count: int = 20_000, repeats: int = 5) -> float:
    """Microseconds of CPU per item for `_least_look`, the best of `repeats` passes over `count` items."""
    items = _items(count)
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        _least_look(items)
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def floor(read: dict[str, int], cpu_started: float) -> dict[str, Any]:
    """The figures (the module docstring's), at the run's end; `cpu_started`: process_time at its start."""
    run_cpu = time.process_time() - cpu_started
    us = least_look_us()
    total = max(1, sum(read.values()))
    return {
        "items_read": read,
        "timed": {
            "least_look_us": round(us, 2),
            "floor_seconds": round(total * us / 1e6, 1),
            "run_cpu_seconds": round(run_cpu, 1),
            "run_us_per_item": round(run_cpu / total * 1e6, 2),
        },
        "budget_us_per_item": round(DEFAULT_YEAR_BUDGET_SECONDS / total * 1e6, 3),
    }
