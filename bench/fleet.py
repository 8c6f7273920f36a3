"""The reconciler against a large fleet: its API calls, its time on a simulated API, and its peak memory.

The real `reconcile.reconcile` (what `reconcile_snapshots.lambda_handler` calls) against a model of a
fleet: N sources (DB instances, and Aurora clusters with their member instances), each with S daily
automated snapshots in the source region, every one copied to the destination except a few missing. The
copies are this deployment's as its copier makes them (ownership.py: the copier's name, the deployment and
source-time tags), so the reconciler judges each one as it judges a real copy.
The run is a task on bench.sim's simulated clock: each API call takes a fixed simulated latency (LATENCY)
of the calling listing, and survey()'s six listings run through `Sim.all`, at once in simulated time as
the function runs them in threads, so the run takes as long as its slowest listing, then the table and
queue calls. The function reads its remaining time from that clock; the run is judged against its timeout
(reconcile_lambda_timeout, 900 s). `sequential_seconds` is the sum of every call's latency (the run
without the threads), for comparison.

    python -m bench.fleet                                  # 1,000 and 5,000 sources x 35 snapshots
    python -m bench.fleet --sources 2000 --snapshots-per-source 14 --missing 50 --cluster-share 0.2

Progress goes to stderr; a table and, last, one JSON object go to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from snapshot_copy import copy_requests
from snapshot_copy.config import DEFAULT_DEPLOYMENT_NAME
from snapshot_copy.kinds import KINDS
from snapshot_copy.naming import target_identifier
from snapshot_copy.reconcile import Clients, ReconcileOutOfTimeError, reconcile
from snapshot_copy.reconcile_config import ReconcileConfig
from snapshot_copy.runtime import Runtime
from snapshot_copy.tagging import copy_tags

from .fake_aws import strict
from .fake_dynamodb import Table
from .fake_rds import LIST_OPTIONS, paged
from .sim import Sim

SOURCE_REGION = "us-east-1"
DESTINATION_REGION = "us-west-2"
ACCOUNT = "123456789012"
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
QUEUE_URL = f"https://sqs.{SOURCE_REGION}.amazonaws.com/{ACCOUNT}/rds-snapshot-copy-events"
TABLE = "rds-snapshot-copy-copy-requests"
FUNCTION_TIMEOUT = 900.0  # reconcile_lambda_timeout's default
# Simulated latency of one call, seconds: listings of 100 snapshots are slow (as in bench/prune.py), a page
# of 100 databases a little less; SQS and DynamoDB batches are quick.
LATENCY = {
    "DescribeDBSnapshots": 0.35,
    "DescribeDBClusterSnapshots": 0.35,
    "DescribeDBInstances": 0.3,
    "DescribeDBClusters": 0.3,
    "SendMessageBatch": 0.02,
    "BatchGetItem": 0.01,
    "BatchWriteItem": 0.01,
}
PAGE = 100


@dataclass
class Api:
    """The simulated clock and the calls made, per "region:Operation"."""

    sim: Sim = field(default_factory=Sim)
    calls: Counter[str] = field(default_factory=Counter)
    sequential: float = 0.0  # every call's latency added up
    on_call: Callable[[], None] = lambda: None

    @property
    def now(self) -> float:
        return self.sim.now

    def call(self, where: str, operation: str) -> None:
        self.calls[f"{where}:{operation}"] += 1
        self.sequential += LATENCY[operation]
        self.sim.sleep(LATENCY[operation])
        self.on_call()

    def by_operation(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for key, count in self.calls.items():
            totals[key.split(":", 1)[1]] += count
        return dict(sorted(totals.items()))


@dataclass(frozen=True, slots=True)
class Snap:
    """One snapshot, kept small: the fake renders RDS's dict per page, as boto3 builds one per answer."""

    identifier: str
    source: str
    created: datetime
    source_arn: str | None = None  # a copy's source snapshot (None: a source snapshot)


@dataclass
class Fleet:
    """Both regions' databases and snapshots."""

    instances: list[tuple[str, str | None]] = field(default_factory=list)  # (identifier, its cluster or None)
    clusters: list[str] = field(default_factory=list)
    source: dict[str, list[Snap]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    copies: dict[str, list[Snap]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    missing: list[str] = field(default_factory=list)  # source snapshot ARNs without a copy

    @property
    def sources(self) -> int:
        return sum(1 for _, cluster in self.instances if cluster is None) + len(self.clusters)


def arn_of(kind: str, identifier: str, region: str = SOURCE_REGION) -> str:
    return KINDS[kind].arn("aws", region, ACCOUNT, identifier)


def _kind_of(arn: str) -> str:
    resource_type = arn.split(":")[5]
    return next(kind for kind, table in KINDS.items() if table.arn_resource_type == resource_type)


def make_fleet(sources: int, per_source: int, missing: int, cluster_share: float, members: int) -> Fleet:
    """`sources` databases, round(sources x cluster_share) of them Aurora clusters of `members` instances;
    each with `per_source` daily snapshots (the newest an hour old), all copied but `missing`, spread evenly."""
    if sources < 1 or per_source < 1:
        raise ValueError(f"sources and snapshots per source must be at least 1, got {sources} and {per_source}")
    if not 0 <= cluster_share <= 1:
        raise ValueError(f"cluster share must be 0 to 1, got {cluster_share}")
    total = sources * per_source
    if not 0 <= missing <= total:
        raise ValueError(f"missing must be 0 to {total} (every snapshot), got {missing}")
    fleet = Fleet()
    clusters = round(sources * cluster_share)
    skip = {round((i + 0.5) * total / missing) for i in range(missing)} if missing else set()
    number = 0
    for s in range(sources):
        kind = "cluster" if s < clusters else "db"
        source = f"{'aurora' if kind == 'cluster' else 'db'}-{s:05d}"
        if kind == "cluster":
            fleet.clusters.append(source)
            fleet.instances.extend((f"{source}-instance-{m}", source) for m in range(members))
        else:
            fleet.instances.append((source, None))
        for day in range(per_source):
            taken = NOW - timedelta(days=day, hours=1)
            identifier = f"rds:{source}-{taken:%Y-%m-%d-%H-%M}"
            source_arn = arn_of(kind, identifier)
            fleet.source[kind].append(Snap(identifier, source, taken))
            if number in skip:
                fleet.missing.append(source_arn)
            else:
                copy_id = target_identifier(identifier, source_arn, kind)
                fleet.copies[kind].append(Snap(copy_id, source, taken, source_arn))
            number += 1
    return fleet


_SOURCE_TAGS = [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}]


def _tags(snap: Snap | None = None) -> list[dict[str, str]]:
    """A source's (or source snapshot's) tags; a copy's, as the copier of the default deployment writes them."""
    if snap is None or snap.source_arn is None:
        return list(_SOURCE_TAGS)
    return copy_tags(_SOURCE_TAGS, SOURCE_REGION, snap.source_arn, DEFAULT_DEPLOYMENT_NAME, snap.created)


def render(kind: str, snap: Snap, region: str) -> dict[str, Any]:
    """RDS's description of a snapshot (the fields reconcile reads, and a few more as RDS sends them)."""
    table = KINDS[kind]
    view: dict[str, Any] = {
        table.identifier_key: snap.identifier,
        table.arn_key: arn_of(kind, snap.identifier, region),
        table.source_identifier_key: snap.source,
        "SnapshotType": "automated" if snap.source_arn is None else "manual",
        "Status": "available",
        "SnapshotCreateTime": snap.created,
        "Engine": "aurora-postgresql" if kind == "cluster" else "postgres",
        "AllocatedStorage": 100,
        "Encrypted": True,
        "KmsKeyId": f"arn:aws:kms:{region}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555",
        "TagList": _tags(snap),
    }
    if kind == "db":  # RDS gives every DB snapshot its data's time, kept through copies
        view["OriginalSnapshotCreateTime"] = snap.created
    return view


class FleetRds:
    """One region's RDS: the describe calls the reconciler makes, paged by 100."""

    def __init__(self, api: Api, fleet: Fleet, region: str) -> None:
        self.api = api
        self.fleet = fleet
        self.region = region
        self.where = "source" if region == SOURCE_REGION else "destination"

    def _snapshots(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        strict(f"{operation} ({self.where})", kwargs, LIST_OPTIONS - {"Filters"})
        self.api.call(self.where, operation)
        wanted = kwargs.pop("SnapshotType", None)
        snaps = self.fleet.source[kind] if self.where == "source" else self.fleet.copies[kind]
        # The source holds automated snapshots only, the destination manual ones only (the copies).
        if wanted is not None and wanted != ("automated" if self.where == "source" else "manual"):
            snaps = []
        return paged(snaps, KINDS[kind].answer_key, operation, view=lambda s: render(kind, s, self.region), **kwargs)

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._snapshots("db", "DescribeDBSnapshots", kwargs)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._snapshots("cluster", "DescribeDBClusterSnapshots", kwargs)

    def describe_db_instances(self, **kwargs: Any) -> dict[str, Any]:
        strict("DescribeDBInstances", kwargs, {"MaxRecords", "Marker"})
        self.api.call(self.where, "DescribeDBInstances")
        instances = self.fleet.instances if self.where == "source" else []

        def view(instance: tuple[str, str | None]) -> dict[str, Any]:
            identifier, cluster = instance
            return {
                "DBInstanceIdentifier": identifier,
                "DBInstanceStatus": "available",
                "InstanceCreateTime": NOW - timedelta(days=400),
                "BackupRetentionPeriod": 35,
                **({"DBClusterIdentifier": cluster} if cluster else {}),
                "TagList": _tags(),
            }

        return paged(instances, "DBInstances", "DescribeDBInstances", view=view, **kwargs)

    def describe_db_clusters(self, **kwargs: Any) -> dict[str, Any]:
        strict("DescribeDBClusters", kwargs, {"MaxRecords", "Marker"})
        self.api.call(self.where, "DescribeDBClusters")
        clusters = self.fleet.clusters if self.where == "source" else []

        def view(identifier: str) -> dict[str, Any]:
            return {
                "DBClusterIdentifier": identifier,
                "Status": "available",
                "ClusterCreateTime": NOW - timedelta(days=400),
                "BackupRetentionPeriod": 35,
                "TagList": _tags(),
            }

        return paged(clusters, "DBClusters", "DescribeDBClusters", view=view, **kwargs)


class FleetSqs:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.sent: list[str] = []  # snapshot ARNs, in order

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        strict("SendMessageBatch", kwargs, {"QueueUrl", "Entries"})
        self.api.call("source", "SendMessageBatch")
        entries = kwargs["Entries"]
        if kwargs["QueueUrl"] != QUEUE_URL or not 1 <= len(entries) <= 10:
            raise ValueError(f"SendMessageBatch: bad queue or {len(entries)} entries")
        for entry in entries:
            self.sent.append(json.loads(entry["MessageBody"])["detail"]["SourceArn"])
        return {"Successful": [{"Id": entry["Id"], "MessageId": entry["Id"]} for entry in entries], "Failed": []}


class FleetDynamoDb:
    def __init__(self, api: Api, table: Table) -> None:
        self.api = api
        self.table = table

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        strict("BatchGetItem", kwargs, {"RequestItems"})
        self.api.call("source", "BatchGetItem")
        return self.table.batch_get(**kwargs)

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        strict("BatchWriteItem", kwargs, {"RequestItems"})
        self.api.call("source", "BatchWriteItem")
        return self.table.batch_write(**kwargs)


def expected_calls(fleet: Fleet) -> dict[str, int]:
    """What the reconciler must call, per operation: every listing pages by 100 (an empty one takes one call);
    the table is read for the snapshots without a copy (100 keys a call), which are sent 10 a call and
    recorded 25 a call."""

    def pages(count: int) -> int:
        return max(1, math.ceil(count / PAGE))

    missing = len(fleet.missing)
    return {
        "BatchGetItem": math.ceil(missing / copy_requests.BATCH_GET_LIMIT),
        "BatchWriteItem": math.ceil(missing / copy_requests.BATCH_WRITE_LIMIT),
        "DescribeDBClusterSnapshots": pages(len(fleet.source["cluster"])) + pages(len(fleet.copies["cluster"])),
        "DescribeDBClusters": pages(len(fleet.clusters)),
        "DescribeDBInstances": pages(len(fleet.instances)),
        "DescribeDBSnapshots": pages(len(fleet.source["db"])) + pages(len(fleet.copies["db"])),
        "SendMessageBatch": math.ceil(missing / 10),
    }


def run_once(
    sources: int,
    per_source: int,
    missing: int,
    cluster_share: float,
    members: int,
    timeout: float,
    out: Any = sys.stderr,
) -> dict[str, Any]:
    fleet = make_fleet(sources, per_source, missing, cluster_share, members)
    api = Api()
    started = time.perf_counter()

    def tick() -> None:
        calls = sum(api.calls.values())
        if calls % 500 == 0:
            print(
                f"[fleet {sources}] {calls} calls, sim {api.now:6.1f} s (wall {time.perf_counter() - started:.1f} s)",
                file=out,
                flush=True,
            )

    api.on_call = tick
    sqs = FleetSqs(api)
    table = Table(TABLE, copy_requests.HASH_KEY)
    clients = Clients(
        source_rds=FleetRds(api, fleet, SOURCE_REGION),
        destination_rds=FleetRds(api, fleet, DESTINATION_REGION),
        sqs=sqs,
        dynamodb=FleetDynamoDb(api, table),
    )
    config = ReconcileConfig(
        source_region=SOURCE_REGION,
        destination_region=DESTINATION_REGION,
        copy_queue_url=QUEUE_URL,
        requests_table=TABLE,
        grace_minutes=15,
        rerequest_after_hours=73,
    )
    print(
        f"[fleet {sources}] {fleet.sources} sources ({len(fleet.clusters)} Aurora), "
        f"{sum(map(len, fleet.source.values()))} source snapshots, {sum(map(len, fleet.copies.values()))} copies, "
        f"{len(fleet.missing)} missing",
        file=out,
        flush=True,
    )
    metrics_out = io.StringIO()
    outcome: dict[str, Any] = {}

    def invocation() -> dict[str, Any]:
        runtime = Runtime(
            function_name="bench-reconcile",
            clock=lambda: NOW.timestamp() + api.now,
            sleep=api.sim.sleep,
            seconds_left=lambda: timeout - api.now,
        )
        return reconcile(config, clients, NOW, runtime=runtime, run_listings=api.sim.all)

    def done(task: Any) -> None:
        outcome["result"], outcome["error"] = task.result, task.error

    tracemalloc.start()
    tracemalloc.reset_peak()
    wall = time.perf_counter()
    try:
        with contextlib.redirect_stdout(metrics_out):
            api.sim.spawn(invocation, done)
            api.sim.run()
        wall = time.perf_counter() - wall
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        api.sim.close()
    error = outcome.get("error")
    if isinstance(error, ReconcileOutOfTimeError):
        # The function's answer to a fleet it cannot list in time: no message, no metric, an error.
        result = {
            "enqueued": [],
            "already_copied": 0,
            "legacy_copies": 0,
            "broken_copies": 0,
            "skipped": {},
            "incomplete": True,
            "metrics": {},
        }
        out_of_time: str | None = str(error)
    elif error is not None:
        raise error
    else:
        result = outcome["result"]
        out_of_time = None
    expected = expected_calls(fleet)
    return {
        "sources": fleet.sources,
        "aurora_clusters": len(fleet.clusters),
        "snapshots_per_source": per_source,
        "source_snapshots": sum(map(len, fleet.source.values())),
        "copies": sum(map(len, fleet.copies.values())),
        "missing": len(fleet.missing),
        "missing_by_kind": {kind: sum(1 for arn in fleet.missing if _kind_of(arn) == kind) for kind in KINDS},
        "enqueued": len(result["enqueued"]),
        "enqueued_are_the_missing": sorted(result["enqueued"]) == sorted(fleet.missing) == sorted(sqs.sent),
        "recorded_in_table": len(table.items),
        "already_copied": result["already_copied"],
        "legacy_copies": result["legacy_copies"],
        "broken_copies": result["broken_copies"],
        "skipped": result["skipped"],
        "incomplete": result["incomplete"],
        "api_calls": sum(api.calls.values()),
        "api_calls_by_operation": api.by_operation(),
        "api_calls_by_region": dict(sorted(api.calls.items())),
        "expected_calls_by_operation": expected,
        "simulated_seconds": round(api.now, 1),
        "sequential_seconds": round(api.sequential, 1),
        "out_of_time": out_of_time,
        "timeout_seconds": timeout,
        # Done within the timeout: listed, sent and published (not stopped by ReconcileOutOfTimeError).
        "within_timeout": api.now <= timeout and out_of_time is None,
        "share_of_timeout": round(api.now / timeout, 3),
        "wall_seconds": round(wall, 2),
        "peak_memory_mib": round(peak / 2**20, 1),
        "metrics": result["metrics"],
        "emf_records": sum(1 for line in metrics_out.getvalue().splitlines() if '"_aws"' in line),
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


COLUMNS = (
    ("sources", "sources", 8),
    ("snaps", "source_snapshots", 8),
    ("copies", "copies", 8),
    ("missing", "missing", 8),
    ("enqueued", "enqueued", 9),
    ("api calls", "api_calls", 10),
    ("sim s", "simulated_seconds", 8),
    ("of timeout", "share_of_timeout", 11),
    ("wall s", "wall_seconds", 8),
    ("peak MiB", "peak_memory_mib", 9),
)


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["".join(f"{label:>{width}}" for label, _, width in COLUMNS) + "  fits"]
    for r in rows:
        fits = (
            "yes"
            if r["within_timeout"]
            else "no: out of time while listing"
            if r["out_of_time"]
            else f"no: over {r['timeout_seconds']:g} s"
        )
        lines.append("".join(f"{r[key]!s:>{width}}" for _, key, width in COLUMNS) + f"  {fits}")
    operations = sorted({op for r in rows for op in r["api_calls_by_operation"]})
    lines.append("")
    lines.append(f"{'API calls by operation':28}" + "".join(f"{r['sources']:>10}" for r in rows))
    for op in operations:
        lines.append(f"{op:28}" + "".join(f"{r['api_calls_by_operation'].get(op, 0):>10}" for r in rows))
    return "\n".join(lines)


def main(argv: list[str] | None = None, out: Any = None, err: Any = None) -> dict[str, Any]:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, nargs="+", default=[1000, 5000], help="sources (one row each)")
    parser.add_argument("--snapshots-per-source", type=int, default=35, help="daily snapshots of each source")
    parser.add_argument("--missing", type=int, default=10, help="source snapshots without a copy")
    parser.add_argument("--cluster-share", type=float, default=0.5, help="share of the sources that are Aurora")
    parser.add_argument("--aurora-members", type=int, default=2, help="instances of each Aurora cluster")
    parser.add_argument("--timeout", type=float, default=FUNCTION_TIMEOUT, help="the function's timeout, s")
    args = parser.parse_args(argv)
    rows = []
    with quiet("snapshot_copy"):  # the run's summary line says nothing here
        for sources in args.sources:
            rows.append(
                run_once(
                    sources,
                    args.snapshots_per_source,
                    args.missing,
                    args.cluster_share,
                    args.aurora_members,
                    args.timeout,
                    err,
                )
            )
    print(table(rows), file=out)
    report = {
        "snapshots_per_source": args.snapshots_per_source,
        "cluster_share": args.cluster_share,
        "aurora_members": args.aurora_members,
        "latency_seconds": LATENCY,
        "runs": rows,
    }
    print(json.dumps(report), file=out, flush=True)
    return report


if __name__ == "__main__":
    main()
