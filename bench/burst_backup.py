"""The burst in backup-account mode: what the source side's extra share step costs, per snapshot.

    python -m bench.burst --mode backup-account --events 1000

The same burst of N snapshots within minutes, in a source account, twice, on a simulated clock, through the
real share function (`snapshot_copy.sharing.handler.handle`) against fake RDS and SQS (bench/fake_sharing.py:
fake_aws's latencies, injected throttling and 5xx per request, botocore-like retries):

- shared as-is: manual snapshots under a key listed in SHAREABLE_KMS_KEY_ARNS: one event each -> describe,
  restore attribute (describe + modify), one message to the vault's queue;
- share copy: automated snapshots (or aws/rds ones): the event starts an in-region copy under the share key
  (lognormal duration, median --share-copy-median-minutes); RDS's created event of the share copy then shares it.

An invocation whose event does not end (retry, or an error raised) is tried again --redelivery-seconds later
(the source queue's visibility timeout), up to --max-receives times, then it goes to the source side's
dead-letter queue (the vault never hears of the snapshot: `lost`); SQS batching is not modelled (one event
per invocation). After the burst, with every vault copy available (the vault's copy step is the single-account
burst's: `python -m bench.burst`), the scheduled clean-up (hourly, each run stopping near the function's timeout)
unshares and deletes the share copies until nothing is shared: its runs and calls are the rest of the extra cost.
Progress on stderr; a table and, last, one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from snapshot_copy.events import snapshot_created_event
from snapshot_copy.naming import target_identifier
from snapshot_copy.runtime import Runtime
from snapshot_copy.sharing import handler as sharing
from snapshot_copy.sharing.config import ShareConfig

from .fake_aws import CallStats, Faults
from .fake_sharing import SharingRds, VaultQueue, VaultReader
from .sim import Sim, SimClock

SOURCE_ACCOUNT = "210987654321"
VAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"
VAULT_REGION = "us-west-2"
EPOCH = datetime(2024, 6, 1, 3, 0, tzinfo=UTC).timestamp()
SHARE_KEY = f"arn:aws:kms:{REGION}:{SOURCE_ACCOUNT}:key/5a5a5a5a-0000-4000-8000-000000000001"
APP_KEY = f"arn:aws:kms:{REGION}:{SOURCE_ACCOUNT}:key/a99a99a9-0000-4000-8000-000000000002"
AWS_RDS_KEY = f"arn:aws:kms:{REGION}:{SOURCE_ACCOUNT}:key/aw5aw5aw-0000-4000-8000-000000000003"
FUNCTION_NAME = "rds-snapshot-share-us-east-1"
VARIANTS = ("as-is", "share-copy")


@dataclass
class ShareScenario:
    events: int = 1000
    seed: int = 1
    burst_minutes: float = 30.0
    share_copy_median_minutes: float = 15.0  # an in-region copy under another key: a full copy (assumption)
    share_copy_sigma: float = 0.5
    # The source account's manual snapshot quota in the region (RDS's default is 100); 0: raised above the burst.
    source_manual_snapshot_quota: int = 0
    throttle_rate: float = 0.05
    internal_error_rate: float = 0.01
    client_max_attempts: int = 3
    function_timeout: int = 300  # modules/source-account's `timeout`
    redelivery_seconds: float = 1800.0  # the source queue's visibility timeout (6 x the function's timeout)
    max_receives: int = 5  # the source queue's redrive policy (maxReceiveCount), then its dead-letter queue
    cleanup_every_minutes: float = 60.0  # cleanup_schedule, rate(1 hour)
    max_cleanup_runs: int = 48


def config() -> ShareConfig:
    """The share function's settings as modules/source-account deploys them (one vault)."""
    vault = {
        "account_id": VAULT_ACCOUNT,
        "queue_url": f"https://sqs.{REGION}.amazonaws.com/{VAULT_ACCOUNT}/rds-snapshot-copy-events",
        "reader_role_arn": f"arn:aws:iam::{VAULT_ACCOUNT}:role/rds-snapshot-copy-vault-reader",
        "destination_region": VAULT_REGION,
        "deployment_name": "rds-snapshot-copy",
        "copier_role_arn": f"arn:aws:iam::{VAULT_ACCOUNT}:role/rds-snapshot-copy",
    }
    return ShareConfig.from_env(
        {
            "DEPLOYMENT_NAME": "rds-snapshot-share",
            "SOURCE_REGION": REGION,
            "VAULTS": json.dumps([vault]),
            "SHARE_KMS_KEY_ID": SHARE_KEY,
            "SHAREABLE_KMS_KEY_ARNS": APP_KEY,
            "SHARE_TIMEOUT_DAYS": "7",
        }
    )


@contextlib.contextmanager
def quiet() -> Any:
    """The function's JSON log lines and EMF stdout, kept off the terminal (summed from the results instead)."""
    logger = logging.getLogger("share_snapshot")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    logger.handlers, logger.propagate = [logging.NullHandler()], False
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.level, logger.propagate, logger.handlers = saved[0], saved[1], saved[2]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))] if ordered else 0.0


def run_variant(scenario: ShareScenario, variant: str, out: Any) -> dict[str, Any]:
    wall = time.perf_counter()
    rng = random.Random(scenario.seed)
    arrivals = sorted(rng.uniform(0, scenario.burst_minutes * 60) for _ in range(scenario.events))
    median = scenario.share_copy_median_minutes * 60
    durations = [rng.lognormvariate(math.log(median), scenario.share_copy_sigma) for _ in arrivals]
    sim = Sim()
    stats, cleanup_stats = CallStats(), CallStats()
    faults = Faults(scenario.throttle_rate, scenario.internal_error_rate, scenario.client_max_attempts)
    fault_rng = random.Random(scenario.seed + 1)
    clock = SimClock(sim, EPOCH).time
    cfg = config()
    duration_of: dict[str, float] = {}
    outcomes: Counter[str] = Counter()
    redeliveries = Counter[str]()
    dead_lettered: list[str] = []

    def deliver(event: dict[str, Any], attempt: int = 1) -> None:
        sim.spawn(lambda: invoke(event), lambda task: settle(task, event, attempt))

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        started = sim.now
        sim.sleep(0.02)
        runtime = Runtime(
            function_name=FUNCTION_NAME,
            clock=clock,
            sleep=sim.sleep,
            seconds_left=lambda: scenario.function_timeout - (sim.now - started),
        )
        return sharing.handle(event, cfg, clients, runtime)

    def settle(task: Any, event: dict[str, Any], attempt: int) -> None:
        if task.error is None:
            outcomes[task.result.get("status", "?")] += 1
            return
        if not isinstance(task.error, sharing.SharingFailedError):
            raise task.error
        outcomes[f"retry:{task.error.code}"] += 1
        if attempt >= scenario.max_receives:
            dead_lettered.append(event["detail"]["SourceArn"])
            return
        redeliveries[event["detail"]["SourceArn"]] += 1
        sim.at(sim.now + scenario.redelivery_seconds, lambda: deliver(event, attempt + 1))

    def share_copy_available(view: dict[str, Any]) -> None:
        # RDS's created event of the (manual) share copy, on the source account's bus.
        deliver(
            snapshot_created_event(
                view["DBSnapshotArn"], "db", "manual", view["SnapshotCreateTime"], datetime.fromtimestamp(clock(), UTC)
            )
        )

    rds = SharingRds(
        sim,
        stats,
        fault_rng,
        faults,
        region=REGION,
        account=SOURCE_ACCOUNT,
        epoch=EPOCH,
        copy_duration=duration_of.__getitem__,
        on_available=share_copy_available,
        manual_quota=scenario.source_manual_snapshot_quota or 2 * scenario.events + 100,
    )
    queue = VaultQueue(sim, stats, fault_rng, faults)
    clients = sharing.Clients(rds, queue, lambda vault: None)
    originals: dict[str, float] = {}  # original ARN -> when its event went out
    for index, arrival in enumerate(arrivals):
        created = datetime.fromtimestamp(EPOCH + arrival, UTC)
        stamp = created.strftime("%Y-%m-%d-%H-%M")
        if variant == "as-is":
            view = rds.add_snapshot(f"db-{index:04d}-manual-{stamp}", "manual", APP_KEY, created)
        else:
            view = rds.add_snapshot(f"rds:db-{index:04d}-{stamp}", "automated", AWS_RDS_KEY, created)
        arn = view["DBSnapshotArn"]
        duration_of[arn] = durations[index]
        originals[arn] = arrival
        snapshot_type = view["SnapshotType"]
        sim.at(
            arrival,
            lambda arn=arn, t=snapshot_type, c=created: deliver(
                snapshot_created_event(arn, "db", t, c, datetime.fromtimestamp(clock(), UTC))
            ),
        )

    def status() -> str:
        return (
            f"messages to the vault {len(queue.sent):5d}/{scenario.events}  share copies in progress "
            f"{rds.in_progress:4d}  api calls {stats.total_requests():7d}"
        )

    sim.every(3600, lambda: print(f"[{variant}] sim {sim.now / 3600:5.1f} h  {status()}", file=out, flush=True))
    with quiet():
        try:
            sim.run()
        finally:
            sim.close()

    # Which original each message stands for: itself, or the share copy's source_snapshot_arn tag.
    origin_of = {}
    for view in rds.snapshots.values():
        tag = next((t["Value"] for t in view["TagList"] if t["Key"] == "source_snapshot_arn"), None)
        origin_of[view["DBSnapshotArn"]] = tag or view["DBSnapshotArn"]
    first_message: dict[str, float] = {}
    for when, shared in queue.sent:
        first_message.setdefault(origin_of.get(shared, shared), when)
    waits = [first_message[arn] - originals[arn] for arn in originals if arn in first_message]
    share_calls = Counter(stats.requests)
    share_requests = stats.total_requests()

    # The clean-up, once every vault copy is there: the same function on its schedule, run after run (each stops
    # near the function's timeout and the next starts over) until nothing is shared with the vault any more.
    shared_arn_by_target = {
        target_identifier(v["DBSnapshotIdentifier"], v["DBSnapshotArn"], "db"): v["DBSnapshotArn"]
        for v in rds.snapshots.values()
        if VAULT_ACCOUNT in rds.restore.get(v["DBSnapshotIdentifier"], [])
    }
    reader = VaultReader(sim, cleanup_stats, fault_rng, faults, shared_arn_by_target.get)
    clients = sharing.Clients(rds, queue, lambda vault: reader)
    rds.stats = cleanup_stats
    queue.stats = cleanup_stats
    before = len(rds.snapshots)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "account": SOURCE_ACCOUNT, "detail": {}}
    results: list[str] = []

    def still_shared() -> int:
        return sum(1 for values in rds.restore.values() if VAULT_ACCOUNT in values)

    def cleanup_run() -> None:
        def done(task: Any) -> None:
            results.append((task.result or {}).get("reason") or repr(task.error))
            if still_shared() and len(results) < scenario.max_cleanup_runs:
                sim.at(sim.now + scenario.cleanup_every_minutes * 60, cleanup_run)

        sim.spawn(lambda: invoke(event), done)

    sim.at(sim.now, cleanup_run)
    with quiet():
        try:
            sim.run()
        finally:
            sim.close()
    cleanup_calls = Counter(cleanup_stats.requests)
    n = max(1, scenario.events)
    return {
        "variant": variant,
        "snapshots": scenario.events,
        "told_the_vault": len(first_message),
        "lost": scenario.events - len(first_message),
        "share_copies": rds.copies_started,
        "share_copies_refused_by_quota": rds.refusals,
        "max_share_copies_in_progress": rds.max_in_progress,
        "api_calls": share_requests,
        "api_calls_per_snapshot": round(share_requests / n, 2),
        "calls_per_snapshot_by_operation": {k: round(v / n, 2) for k, v in sorted(share_calls.items())},
        "minutes_to_vault_message": {
            "median": round(statistics.median(waits) / 60, 2) if waits else None,
            "p95": round(percentile(waits, 0.95) / 60, 2),
            "max": round(max(waits, default=0.0) / 60, 2),
        },
        "outcomes": dict(sorted(outcomes.items())),
        "redelivered_events": sum(redeliveries.values()),
        "dead_lettered_at_the_source": len(dead_lettered),
        "cleanup": {
            "runs": len(results),
            "last_result": results[-1] if results else None,
            "api_calls": cleanup_stats.total_requests(),
            "api_calls_per_snapshot": round(cleanup_stats.total_requests() / n, 2),
            "calls_by_operation": dict(sorted(cleanup_calls.items())),
            "share_copies_deleted": before - len(rds.snapshots),
            "still_shared_with_vault": still_shared(),
        },
        "injected_faults": dict(sorted((stats.injected + cleanup_stats.injected).items())),
        "wall_seconds": round(time.perf_counter() - wall, 1),
    }


TABLE_ROWS = (
    ("snapshots", ("snapshots",)),
    ("vault told", ("told_the_vault",)),
    ("lost", ("lost",)),
    ("share copies", ("share_copies",)),
    ("refused: manual snapshot quota", ("share_copies_refused_by_quota",)),
    ("API calls (share step)", ("api_calls",)),
    ("API calls per snapshot", ("api_calls_per_snapshot",)),
    ("to vault message, median min", ("minutes_to_vault_message", "median")),
    ("to vault message, p95 min", ("minutes_to_vault_message", "p95")),
    ("to vault message, max min", ("minutes_to_vault_message", "max")),
    ("redelivered events", ("redelivered_events",)),
    ("dead-lettered at the source", ("dead_lettered_at_the_source",)),
    ("clean-up runs (hourly)", ("cleanup", "runs")),
    ("clean-up API calls", ("cleanup", "api_calls")),
    ("clean-up calls per snapshot", ("cleanup", "api_calls_per_snapshot")),
    ("share copies deleted", ("cleanup", "share_copies_deleted")),
    ("still shared after clean-up", ("cleanup", "still_shared_with_vault")),
)


def table(reports: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'':30}" + "".join(f"{name:>14}" for name in reports)]
    for label, path in TABLE_ROWS:
        cells = []
        for report in reports.values():
            value: Any = report
            for key in path:
                value = value.get(key, "-") if isinstance(value, dict) else "-"
            cells.append(f"{value!s:>14}")
        lines.append(f"{label:30}" + "".join(cells))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> ShareScenario:
    defaults = ShareScenario()
    parser = argparse.ArgumentParser(
        prog="python -m bench.burst --mode backup-account", description=__doc__.split("\n\n")[0]
    )
    for name, value in asdict(defaults).items():
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=type(value), default=value, dest=name, help="(default: %(default)s)"
        )
    return ShareScenario(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None, out: Any = None, err: Any = None) -> dict[str, Any]:
    out = out or sys.stdout
    err = err or sys.stderr
    scenario = parse_args(argv)
    print(
        f"backup-account burst: {scenario.events} snapshots within {scenario.burst_minutes:g} min, shared with one "
        f"vault; share copies lognormal median {scenario.share_copy_median_minutes:g} min sigma "
        f"{scenario.share_copy_sigma:g}; faults per request: throttle {scenario.throttle_rate:g}, 5xx "
        f"{scenario.internal_error_rate:g}",
        file=err,
        flush=True,
    )
    reports = {variant: run_variant(scenario, variant, err) for variant in VARIANTS}
    report = {"mode": "backup-account", **reports, "scenario": asdict(scenario)}
    print(table(reports), file=out)
    print(json.dumps(report), file=out, flush=True)
    return report
