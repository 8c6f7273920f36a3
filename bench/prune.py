"""How the pruner's API calls and time grow with the number of copies in the destination.

The real `prune_snapshots.prune` against a model of RDS in the destination: DescribeDB(Cluster)Snapshots
pages of 100, DeleteDB(Cluster)Snapshot, Service Quotas listings, each taking a simulated latency (the
function's time budget is read from the same simulated clock). Two days of a fleet are modelled:

- steady: a daily run, so only about a day's worth of copies has expired since the last one;
- backlog: the first run after pruning is switched on, when everything older than the retention is due.

Then the retention rules over time (`simulate_retention`): two simulated years of one DB and one Aurora
source, snapshotted daily, each snapshot copied (incremental or full as RDS decides: an available copy of the
same source under the same key, snapshot_copy.incremental) and the real prune() run after each day's copy,
under the default rules (retention_days 35, keep_last 3) and a GFS example (keep_daily 7, keep_weekly 4,
keep_monthly 12 over retention_days 1, keep_last 1). It reports the copies held per source, their peak
against AWS's default manual snapshot quota, snapshot_copy.sizing's steady state for the same rules, and full
versus incremental copies with the transfer they imply under a stated model: a full copy moves the allocated
storage (ALLOCATED_GIB), an incremental one CHANGE_RATE of it per day since the previous copy; Aurora always
copies in full.

    python -m bench.prune                       # 1k, 10k and 50k copies, and the two retention simulations
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
from snapshot_copy.incremental import incremental_base
from snapshot_copy.kinds import KINDS
from snapshot_copy.naming import target_identifier
from snapshot_copy.prune_config import PruneConfig
from snapshot_copy.runtime import Runtime
from snapshot_copy.sizing import steady_state_copies
from snapshot_copy.sources import source_key
from snapshot_copy.tagging import copy_tags
from snapshot_copy.tiers import Tiers

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


# The retention simulation: the rules compared, the transfer model, the calendar simulated.
RETENTION_RULES: dict[str, dict[str, int]] = {
    "default": {"retention_days": 35, "keep_last": 3},
    "gfs": {"retention_days": 1, "keep_last": 1, "keep_daily": 7, "keep_weekly": 4, "keep_monthly": 12},
}
ALLOCATED_GIB = 100  # each source's allocated storage: what a full copy moves
CHANGE_RATE = 0.05  # the share of it an incremental copy moves per day since the previous copy
SIMULATED_DAYS = 730
FIRST_SNAPSHOT = datetime(2025, 6, 1, 4, 0, tzinfo=UTC)  # daily at 04:00; the two years hold 2026-W53
KMS_KEY = f"arn:aws:kms:{DESTINATION_REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _daily_copy(kind: str, source: str, taken: datetime) -> dict[str, Any]:
    """The copy of `source`'s snapshot taken `taken`, as the copier makes it, encrypted with KMS_KEY."""
    table = KINDS[kind]
    source_identifier = f"rds:{source}-{taken:%Y-%m-%d-%H-%M}"
    source_arn = table.arn("aws", SOURCE_REGION, ACCOUNT, source_identifier)
    times = {"OriginalSnapshotCreateTime": taken} if kind == "db" else {}
    return {
        table.identifier_key: target_identifier(source_identifier, source_arn, kind),
        table.source_identifier_key: source,
        "Status": "available",
        "SnapshotCreateTime": taken,
        **times,
        "KmsKeyId": KMS_KEY,
        "TagList": copy_tags([], SOURCE_REGION, source_arn, DEFAULT_DEPLOYMENT_NAME, taken),
    }


def simulate_retention(name: str, rules: dict[str, int], days: int = SIMULATED_DAYS) -> dict[str, Any]:
    """`days` of daily snapshots of one DB and one Aurora source, each copied and then pruned by the real
    prune(): the copies held per source after each prune (and their peak, just before one), full and
    incremental copies, and the transfer they imply."""
    clock = SimClock()
    rds, quotas = FakeRds(clock), FakeQuotas(clock)
    tiers = Tiers(
        **{tier: rules[f"keep_{tier}"] for tier in ("daily", "weekly", "monthly", "yearly") if f"keep_{tier}" in rules}
    )
    config = PruneConfig(
        source_region=SOURCE_REGION,
        destination_region=DESTINATION_REGION,
        retention_days=rules["retention_days"],
        keep_last=rules["keep_last"],
        tiers=tiers,
    )
    runtime = Runtime(function_name="bench-prune", clock=lambda: clock.now, seconds_left=lambda: 900.0)
    sources = {"db": "orders", "cluster": "aurora"}
    full = dict.fromkeys(KINDS, 0)
    incremental = dict.fromkeys(KINDS, 0)
    held: dict[str, list[int]] = {kind: [] for kind in KINDS}
    peak = dict.fromkeys(KINDS, 0)
    for day in range(days):
        taken = FIRST_SNAPSHOT + timedelta(days=day)
        for kind, source in sources.items():
            copy = _daily_copy(kind, source, taken)
            base = incremental_base(rds.snapshots[kind], kind, source_key(copy, kind), KMS_KEY)
            (incremental if base else full)[kind] += 1
            rds.snapshots[kind].append(copy)
            peak[kind] = max(peak[kind], len(rds.snapshots[kind]))
        with contextlib.redirect_stdout(io.StringIO()):
            prune_snapshots.prune(
                config, prune_snapshots.Clients(rds=rds, service_quotas=quotas), taken + timedelta(hours=1), runtime
            )
        for kind in KINDS:
            table = KINDS[kind]
            rds.snapshots[kind] = [s for s in rds.snapshots[kind] if s[table.identifier_key] not in rds.deleted]
            held[kind].append(len(rds.snapshots[kind]))
    sizing = steady_state_copies(**rules)
    quota = {kind: KINDS[kind].default_manual_snapshot_quota for kind in KINDS}
    transfer = {
        "db": full["db"] * ALLOCATED_GIB + incremental["db"] * ALLOCATED_GIB * CHANGE_RATE,
        "cluster": full["cluster"] * ALLOCATED_GIB,  # Aurora: always full
    }
    second_year = {kind: counts[days // 2 :] for kind, counts in held.items()}
    return {
        "rules": name,
        "settings": rules,
        "days": days,
        "held_last": {kind: counts[-1] for kind, counts in held.items()},
        "held_second_year": {kind: [min(c), max(c)] for kind, c in second_year.items()},
        "peak": peak,
        "sizing": {"copies": sizing.copies, "low": sizing.low, "peak": sizing.peak},
        "quota": quota,
        "sources_within_quota": {kind: quota[kind] // peak[kind] for kind in KINDS},
        "full_copies": full,
        "incremental_copies": incremental,
        "transfer_gib": {kind: round(gib, 1) for kind, gib in transfer.items()},
        "transfer_gib_all_full": {kind: days * ALLOCATED_GIB for kind in KINDS},
    }


def print_retention(sims: list[dict[str, Any]]) -> None:
    print(
        f"\nretention over {sims[0]['days']} days of daily snapshots, one DB and one Aurora source "
        f"({ALLOCATED_GIB} GiB allocated; full copy = {ALLOCATED_GIB} GiB, incremental = {CHANGE_RATE:.0%} a day)"
    )
    print(
        f"{'rules':>8} {'kind':>8} {'held (2nd year)':>16} {'peak':>5} {'sizing':>7} {'quota':>6} "
        f"{'sources':>8} {'full':>5} {'incr':>5} {'transfer GiB':>13} {'if all full':>12}"
    )
    for sim in sims:
        for kind in KINDS:
            low, high = sim["held_second_year"][kind]
            print(
                f"{sim['rules']:>8} {kind:>8} {f'{low}-{high}':>16} {sim['peak'][kind]:>5} "
                f"{sim['sizing']['peak']:>7} {sim['quota'][kind]:>6} {sim['sources_within_quota'][kind]:>8} "
                f"{sim['full_copies'][kind]:>5} {sim['incremental_copies'][kind]:>5} "
                f"{sim['transfer_gib'][kind]:>13} {sim['transfer_gib_all_full'][kind]:>12}"
            )


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
    parser.add_argument("--simulated-days", type=int, default=SIMULATED_DAYS, help="days of the retention simulation")
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
    sims = []
    with quiet("prune_snapshots", "snapshot_copy"):
        for name, rules in RETENTION_RULES.items():
            print(f"[prune] retention: {name}, {args.simulated_days} days", file=sys.stderr, flush=True)
            sims.append(simulate_retention(name, rules, args.simulated_days))
    print_retention(sims)
    report = {
        "retention_days": args.retention_days,
        "keep_last": args.keep_last,
        "latency": LATENCY,
        "runs": rows,
        "retention": {
            "model": {"allocated_gib": ALLOCATED_GIB, "change_rate_per_day": CHANGE_RATE, "aurora": "always full"},
            "simulations": sims,
        },
    }
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
