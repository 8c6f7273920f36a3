"""How the pruner's API calls and time grow with the number of copies in the destination.

The real `prune_snapshots.prune` against a model of RDS in the destination: DescribeDB(Cluster)Snapshots
pages of 100, DeleteDB(Cluster)Snapshot, Service Quotas listings, each taking a simulated latency (the
function's time budget is read from the same simulated clock). Two days of a fleet are modelled:

- steady: a daily run, so only about a day's worth of copies has expired since the last one;
- backlog: the first run after pruning is switched on, when everything older than the retention is due.

    python -m bench.prune                       # 1k, 10k and 50k copies
    python -m bench.prune --copies 2000 --timeout 300

Progress goes to stderr; a table and, last, one JSON object go to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import prune_snapshots

from snapshot_copy.config import DEFAULT_DEPLOYMENT_NAME
from snapshot_copy.kinds import KINDS
from snapshot_copy.naming import target_identifier
from snapshot_copy.prune_config import PruneConfig
from snapshot_copy.runtime import Runtime
from snapshot_copy.tagging import copy_tags

SOURCE_REGION = "us-east-1"
DESTINATION_REGION = "us-west-2"
ACCOUNT = "123456789012"
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
# Simulated latency of one call, seconds (RDS listings of 100 snapshots are slow; deletes are quick).
LATENCY = {"describe": 0.35, "delete": 0.12, "quotas": 0.1}


@dataclass
class SimClock:
    now: float = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeRds:
    """Manual snapshots of both kinds in the destination, paged as RDS pages them."""

    clock: SimClock
    snapshots: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"db": [], "cluster": []})
    calls: dict[str, int] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    def _count(self, name: str, latency: float) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        self.clock.advance(latency)

    def _page(self, kind: str, key: str, **kwargs: Any) -> dict[str, Any]:
        self._count(f"Describe{key}", LATENCY["describe"])
        start = int(kwargs.get("Marker", 0))
        size = kwargs.get("MaxRecords", 100)
        found = self.snapshots[kind]
        page: dict[str, Any] = {key: found[start : start + size]}
        if start + size < len(found):
            page["Marker"] = str(start + size)
        return page

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._page("db", "DBSnapshots", **kwargs)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._page("cluster", "DBClusterSnapshots", **kwargs)

    def _delete(self, kind: str, identifier: str) -> dict[str, Any]:
        self._count(f"Delete{kind}", LATENCY["delete"])
        self.deleted.add(identifier)
        return {}

    def delete_db_snapshot(self, DBSnapshotIdentifier: str) -> dict[str, Any]:
        return self._delete("db", DBSnapshotIdentifier)

    def delete_db_cluster_snapshot(self, DBClusterSnapshotIdentifier: str) -> dict[str, Any]:
        return self._delete("cluster", DBClusterSnapshotIdentifier)


@dataclass
class FakeQuotas:
    clock: SimClock
    calls: int = 0

    def list_service_quotas(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        self.clock.advance(LATENCY["quotas"])
        return {
            "Quotas": [
                {"QuotaName": "Manual DB instance snapshots", "Value": 100000.0},
                {"QuotaName": "Manual DB cluster snapshots", "Value": 100000.0},
            ]
        }


def fleet(copies: int, retention_days: int, scenario: str) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """`copies` daily copies, a fifth of them Aurora, of databases copied once a day. In the steady state
    the copies reach back one day past the retention; in the backlog, twice as far. Each is this
    deployment's as the copier makes it: its name (naming.target_identifier) and its tags (tagging.copy_tags)."""
    days = retention_days + 1 if scenario == "steady" else 2 * retention_days
    sources = max(1, copies // days)
    out: dict[str, list[dict[str, Any]]] = {"db": [], "cluster": []}
    made = 0
    for s in range(sources):
        kind = KINDS["cluster" if s % 5 == 0 else "db"]
        for d in range(days):
            if made >= copies:
                break
            source_identifier = f"src{s:05d}-day{d:03d}"
            source_arn = kind.arn("aws", SOURCE_REGION, ACCOUNT, source_identifier)
            taken = NOW - timedelta(days=d, hours=1)
            # A DB copy keeps the source's time in OriginalSnapshotCreateTime; a cluster copy has none.
            times = {"OriginalSnapshotCreateTime": taken} if kind.name == "db" else {}
            out[kind.name].append(
                {
                    kind.identifier_key: target_identifier(source_identifier, source_arn, kind.name),
                    kind.source_identifier_key: f"src{s:05d}",
                    "Status": "available",
                    "SnapshotCreateTime": taken,
                    **times,
                    "TagList": copy_tags([], SOURCE_REGION, source_arn, DEFAULT_DEPLOYMENT_NAME, taken),
                }
            )
            made += 1
    return out, sources


def run_once(copies: int, scenario: str, retention_days: int, keep_last: int, timeout: float) -> dict[str, Any]:
    clock = SimClock()
    rds = FakeRds(clock)
    rds.snapshots, sources = fleet(copies, retention_days, scenario)
    made = sum(len(snapshots) for snapshots in rds.snapshots.values())
    quotas = FakeQuotas(clock)
    config = PruneConfig(
        source_region=SOURCE_REGION,
        destination_region=DESTINATION_REGION,
        retention_days=retention_days,
        keep_last=keep_last,
    )
    wall = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        runtime = Runtime(
            function_name="bench-prune", clock=lambda: clock.now, seconds_left=lambda: timeout - clock.now
        )
        result = prune_snapshots.prune(config, prune_snapshots.Clients(rds=rds, service_quotas=quotas), NOW, runtime)
    listing_calls = sum(v for k, v in rds.calls.items() if k.startswith("Describe"))
    delete_calls = sum(v for k, v in rds.calls.items() if k.startswith("Delete"))
    return {
        "copies": copies,
        "scenario": scenario,
        "sources": sources,
        "made": made,  # whole sources only: up to a source's worth fewer than `copies`
        "examined": result["examined"],  # those that are this deployment's: all of them
        "deleted": len(result["deleted"]),
        "kept": result["kept"],
        "incomplete": result["incomplete"],
        "listing_calls": listing_calls,
        "delete_calls": delete_calls,
        "quota_calls": quotas.calls,
        "api_calls": listing_calls + delete_calls + quotas.calls,
        "simulated_seconds": round(clock.now, 1),
        "timeout_seconds": timeout,
        "wall_seconds": round(time.perf_counter() - wall, 2),
    }


@contextlib.contextmanager
def quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.prune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, nargs="*", default=[1000, 10000, 50000])
    parser.add_argument("--retention-days", type=int, default=35)
    parser.add_argument("--keep-last", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0, help="the function's timeout (prune_lambda_timeout)")
    args = parser.parse_args(argv)
    rows = []
    with quiet("prune_snapshots", "snapshot_copy"):  # a log line per snapshot costs time and says nothing here
        for copies in args.copies:
            for scenario in ("steady", "backlog"):
                print(f"[prune] {copies} copies, {scenario}", file=sys.stderr, flush=True)
                rows.append(run_once(copies, scenario, args.retention_days, args.keep_last, args.timeout))
    print(
        f"{'copies':>7} {'scenario':>8} {'deleted':>8} {'listing':>8} {'deletes':>8} {'api calls':>10} "
        f"{'sim s':>8} {'wall s':>7}  done"
    )
    for r in rows:
        print(
            f"{r['copies']:>7} {r['scenario']:>8} {r['deleted']:>8} {r['listing_calls']:>8} {r['delete_calls']:>8} "
            f"{r['api_calls']:>10} {r['simulated_seconds']:>8} {r['wall_seconds']:>7}  "
            f"{'no: the next run goes on' if r['incomplete'] else 'yes'}"
        )
    report = {"retention_days": args.retention_days, "keep_last": args.keep_last, "latency": LATENCY, "runs": rows}
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
