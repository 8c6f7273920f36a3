"""A backup-window burst: N automated snapshots within minutes, copied to a second region.

Runs the same burst twice, on a simulated clock, against a model of RDS in the destination (20 copies
in progress, copies lasting hours, throttling and 5xx errors injected per request):

- the module's design: EventBridge -> SQS -> Lambda event source mapping -> the real
  `copy_snapshot.lambda_handler` (fake RDS, SQS and DynamoDB clients behind the same interface), with the
  reconciler (`reconcile_snapshots`' core, `reconcile.reconcile`) on its hourly schedule, enqueuing onto
  the same queue what has no copy (`--missed-events`: events EventBridge never delivers);
- the tutorial's design: EventBridge invokes the function asynchronously, it calls CopyDBSnapshot
  once; Lambda retries a failed invocation twice (after about 1 and 3 minutes), then drops the event.

Progress goes to stderr; a side-by-side table and, last, one JSON object go to stdout.

    python -m bench.burst --events 1000
    python -m bench.burst --events 1000 --missed-events 20
    python -m bench.burst --events 1000 --manual-snapshot-quota 100
    python -m bench.burst --events 1000 --no-reconciler       # the copier alone, as before the reconciler
    python -m bench.burst --mode backup-account --events 1000 # the source side's share step (burst_backup.py)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import heapq
import io
import json
import logging
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

import copy_snapshot
from snapshot_copy import copy_requests, reconcile
from snapshot_copy.config import DEFAULT_DEPLOYMENT_NAME
from snapshot_copy.copy_config import WAIT_BASE_SECONDS, CopyConfig
from snapshot_copy.errors import SnapshotCopyError
from snapshot_copy.metrics import COPY_METRICS, SOURCES_PAST_RPO
from snapshot_copy.naming import target_identifier
from snapshot_copy.reconcile_config import ReconcileConfig
from snapshot_copy.runtime import Runtime
from snapshot_copy.tagging import copy_tags

from .fake_aws import CallStats, Faults
from .fake_dynamodb import FakeDynamoDb, Table
from .fake_rds import ACCOUNT, DestinationRds, Reader, SourceRds
from .fake_sqs import DeadLetterQueue, EventSourceMapping, FunctionSqs, Queue, ReconcilerSqs, event_body
from .receive_budget import function_max_receive_count
from .sim import Sim, SimClock

SOURCE_REGION = "us-east-1"
DESTINATION_REGION = "us-west-2"
KMS_KEY_ID = f"arn:aws:kms:{DESTINATION_REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
FUNCTION_NAME = "rds-snapshot-copy"
RECONCILER_NAME = f"{FUNCTION_NAME}-reconcile"
REQUESTS_TABLE = f"{FUNCTION_NAME}-copy-requests"
# The databases were created long before the burst (their age only matters for a source without a copy).
SOURCES_CREATED = datetime(2023, 1, 1, tzinfo=UTC)
# Simulated time 0 is the start of the backup window.
EPOCH = datetime(2024, 6, 1, 3, 0, tzinfo=UTC).timestamp()
# AWS's queue-age alarm default in the module (queue_age_alarm_threshold_seconds).
QUEUE_AGE_ALARM_SECONDS = 43200


@dataclass
class Scenario:
    events: int = 1000
    seed: int = 1
    # The burst: snapshots finish uniformly within this window; a share is delivered twice (at-least-once).
    burst_minutes: float = 30.0
    duplicate_event_rate: float = 0.01
    # RDS in the destination.
    copy_limit: int = 20
    manual_snapshot_quota: int | None = None  # None: raised above the burst (events + existing + 100)
    existing_snapshots: int = 0  # our copies of earlier days, still retained (listed on every look)
    foreign_in_progress: int = 0  # copies started by someone else, not tagged as ours
    copy_median_hours: float = 1.0  # copy durations: lognormal with this median ...
    copy_sigma: float = 0.5  # ... and this sigma of the log
    # Faults, per HTTP request, to RDS; the client retries like botocore's standard mode.
    throttle_rate: float = 0.05
    internal_error_rate: float = 0.01
    client_max_attempts: int = 3
    # The module's settings (its defaults).
    batch_size: int = 10
    batching_window: int = 10  # maximum_batching_window_in_seconds (the module's default)
    maximum_concurrency: int = 2
    lambda_timeout: int = 60
    wait_delay_max: int = 900
    copy_wait_max_hours: int = 72
    max_error_tries: int = 3
    # Experiment only: the first wait's delay (copy_config.WAIT_BASE_SECONDS; not a setting of the module).
    wait_base: int | None = None
    progress_hours: float = 5.0
    # The reconciler (False: the copier alone, exactly as before the reconciler existed).
    reconciler: bool = True
    reconcile_every_minutes: float = 60.0  # reconcile_schedule, rate(1 hour)
    reconcile_offset_minutes: float = 20.0  # its first run, after the start of the backup window
    missed_events: int = 0  # snapshots whose event EventBridge never delivers
    grace_minutes: float = 15.0  # GRACE_MINUTES as the module sets it
    retention_days: int = 35
    rpo_hours: float = 26.0
    reconcile_timeout: int = 900  # reconcile_lambda_timeout
    dynamodb_unprocessed_rate: float = 0.0  # share of keys/items DynamoDB leaves unprocessed

    @property
    def rerequest_after_hours(self) -> float:
        """REREQUEST_AFTER_HOURS as the module sets it: copy_wait_max_hours + 1."""
        return self.copy_wait_max_hours + 1.0

    @property
    def max_receive_count(self) -> int:
        """As the module computes it: its own formula, evaluated by Terraform (bench/receive_budget.py)."""
        return function_max_receive_count(self.copy_wait_max_hours, self.wait_delay_max)

    @property
    def quota(self) -> int:
        if self.manual_snapshot_quota is not None:
            return self.manual_snapshot_quota
        return self.events + self.existing_snapshots + self.foreign_in_progress + 100


@dataclass
class Workload:
    """What both designs see: the same snapshots, deliveries and copy durations."""

    arrivals: list[float]  # per snapshot, seconds after the start of the window
    durations: list[float]  # per snapshot, seconds its copy takes
    identifiers: list[str]
    arns: list[str]
    deliveries: list[tuple[float, int]]  # (time, snapshot index), duplicates included
    duration_by_arn: dict[str, float] = field(default_factory=dict)
    missed: frozenset[int] = frozenset()  # snapshots whose event is never delivered


def make_workload(scenario: Scenario) -> Workload:
    rng = random.Random(scenario.seed)
    window = scenario.burst_minutes * 60
    arrivals = sorted(rng.uniform(0, window) for _ in range(scenario.events))
    median = scenario.copy_median_hours * 3600
    durations = [rng.lognormvariate(math.log(median), scenario.copy_sigma) for _ in range(scenario.events)]
    identifiers, arns = [], []
    for index, arrival in enumerate(arrivals):
        stamp = datetime.fromtimestamp(EPOCH + arrival, UTC).strftime("%Y-%m-%d-%H-%M")
        identifier = f"rds:db-{index:04d}-{stamp}"
        identifiers.append(identifier)
        arns.append(f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:{identifier}")
    deliveries = [(arrival, index) for index, arrival in enumerate(arrivals)]
    for index, arrival in enumerate(arrivals):
        if rng.random() < scenario.duplicate_event_rate:
            deliveries.append((arrival + rng.uniform(0, 60), index))
    deliveries.sort()
    missed: frozenset[int] = frozenset()
    if scenario.missed_events:
        if not 0 <= scenario.missed_events <= scenario.events:
            raise ValueError(f"--missed-events must be 0 to --events ({scenario.events}), got {scenario.missed_events}")
        # Drawn apart, so the rest of the workload is the same with or without missed events.
        missed = frozenset(random.Random(scenario.seed + 3).sample(range(scenario.events), scenario.missed_events))
        deliveries = [(when, index) for when, index in deliveries if index not in missed]
    workload = Workload(arrivals, durations, identifiers, arns, deliveries, missed=missed)
    workload.duration_by_arn = dict(zip(arns, durations, strict=True))
    return workload


def ideal_makespan(workload: Workload, slots: int) -> tuple[float, float]:
    """(greedy, bound) in seconds from the first event.

    greedy: a perfect first-come scheduler on the same durations: each copy starts the moment it arrived
    and a slot is free, so every slot is busy while anything waits (the quota-bound ideal).
    bound: max(sum of durations / slots, longest arrival + duration): no scheduler does better.
    """
    first = min(workload.arrivals)
    free = [first] * slots
    end = first
    for arrival, duration in zip(workload.arrivals, workload.durations, strict=True):
        start = max(arrival, heapq.heappop(free))
        heapq.heappush(free, start + duration)
        end = max(end, start + duration)
    bound = max(
        sum(workload.durations) / slots,
        max(a + d for a, d in zip(workload.arrivals, workload.durations, strict=True)) - first,
    )
    return end - first, bound


def make_rds(
    sim: Sim, stats: CallStats, rng: random.Random, scenario: Scenario, workload: Workload
) -> tuple[SourceRds, DestinationRds]:
    faults = Faults(scenario.throttle_rate, scenario.internal_error_rate, scenario.client_max_attempts)
    source = SourceRds(sim, stats, rng, faults, SOURCE_REGION)
    for identifier, arrival in zip(workload.identifiers, workload.arrivals, strict=True):
        snapshot = source.add_automated_snapshot(identifier, created=datetime.fromtimestamp(EPOCH + arrival, UTC))
        source.add_db_instance(snapshot.view["DBInstanceIdentifier"], SOURCES_CREATED)
    destination = DestinationRds(
        sim,
        stats,
        rng,
        faults,
        region=DESTINATION_REGION,
        source=source,
        copy_limit=scenario.copy_limit,
        manual_quota=scenario.quota,
        duration_of=workload.duration_by_arn.__getitem__,
    )
    yesterday = datetime.fromtimestamp(EPOCH, UTC) - timedelta(days=1)
    for index in range(scenario.existing_snapshots):
        old_arn = f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:rds:db-{index:04d}-2024-05-31-03-00"
        destination.add_existing(
            target_identifier(f"rds:db-{index:04d}-2024-05-31-03-00", old_arn, "db"),
            # This deployment's copies: the tags its copier wrote (the module's default name).
            copy_tags([], SOURCE_REGION, old_arn, DEFAULT_DEPLOYMENT_NAME, yesterday),
            extra={"DBInstanceIdentifier": f"db-{index:04d}", "OriginalSnapshotCreateTime": yesterday},
        )
    median = scenario.copy_median_hours * 3600
    for index in range(scenario.foreign_in_progress):
        destination.add_existing(
            f"someone-elses-copy-{index}",
            [{"Key": "owner", "Value": "another-tool"}],
            seconds_left=rng.lognormvariate(math.log(median), scenario.copy_sigma),
        )
    return source, destination


# -- the module's design -------------------------------------------------------------------------------------


class LogCapture(logging.Handler):
    """The function's logs: errors, and unexpected exceptions."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: Counter[str] = Counter()
        self.unexpected: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            message = record.getMessage()
            self.errors[message.split(":", 1)[0][:80]] += 1
            if record.exc_info and "unexpected" in message:
                self.unexpected.append(f"{message}: {record.exc_info[1]!r}")


class MetricsCapture(io.TextIOBase):
    """The function's stdout: its Embedded Metric Format lines, summed per metric."""

    def __init__(self) -> None:
        self.metrics: Counter[str] = Counter()
        self.emf_records = 0

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("{") and '"_aws"' in line:
                record = json.loads(line)
                self.emf_records += 1
                for name in COPY_METRICS:
                    self.metrics[name] += int(record.get(name, 0) or 0)
        return len(text)


def function_config(scenario: Scenario, dlq_url: str, requests_table: str | None = None) -> CopyConfig:
    """The copier's settings as the module would deploy them for this scenario."""
    env = {
        "SOURCE_REGION": SOURCE_REGION,
        "DESTINATION_REGION": DESTINATION_REGION,
        "DESTINATION_REGION_KMS_KEY_ID": KMS_KEY_ID,
        "DEAD_LETTER_QUEUE_URL": dlq_url,
        "MAX_DB_COPIES_IN_PROGRESS": str(scenario.copy_limit),
        "MAX_RECEIVE_COUNT": str(scenario.max_receive_count),
        "MAX_WAIT_SECONDS": str(scenario.copy_wait_max_hours * 3600),
        "WAIT_DELAY_MAX_SECONDS": str(scenario.wait_delay_max),
        "MAX_ERROR_TRIES": str(scenario.max_error_tries),
        **({"REQUESTS_TABLE": requests_table} if requests_table else {}),
    }
    return dataclasses.replace(CopyConfig.from_env(env), wait_base_seconds=scenario.wait_base or WAIT_BASE_SECONDS)


@contextmanager
def function_logs() -> Iterator[tuple[LogCapture, MetricsCapture]]:
    """The function's log records and its stdout (the metrics), captured for the report."""
    capture = LogCapture()
    metrics = MetricsCapture()
    # The pruner's and the source side's loggers too: the year runs them (their lines would go to stderr).
    names = ("copy_snapshot", "snapshot_copy", "prune_snapshots", "share_snapshot")
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg, lg.level, lg.propagate, list(lg.handlers)) for lg in loggers]
    for lg in loggers:
        lg.handlers = [capture]
        lg.propagate = False
        lg.setLevel(logging.WARNING)  # the per-record info lines cost time and say nothing here
    try:
        with contextlib.redirect_stdout(metrics):
            yield capture, metrics
    finally:
        for lg, level, propagate, handlers in saved:
            lg.setLevel(level)
            lg.propagate = propagate
            lg.handlers = handlers


def reconciler_config(scenario: Scenario, queue_url: str) -> ReconcileConfig:
    """The reconciler's settings as the module deploys them (reconcile.tf)."""
    return ReconcileConfig.from_env(
        {
            "SOURCE_REGION": SOURCE_REGION,
            "DESTINATION_REGION": DESTINATION_REGION,
            "COPY_QUEUE_URL": queue_url,
            "RETENTION_DAYS": str(scenario.retention_days),
            "RPO_HOURS": str(scenario.rpo_hours),
            "REQUESTS_TABLE": REQUESTS_TABLE,
            "GRACE_MINUTES": str(scenario.grace_minutes),
            "REREQUEST_AFTER_HOURS": str(scenario.rerequest_after_hours),
        }
    )


@dataclass
class ReconcilerRuns:
    """What the scheduled reconciler did over the run."""

    runs: int = 0
    failed_runs: list[str] = field(default_factory=list)
    enqueued: int = 0
    incomplete_runs: int = 0
    longest_run_seconds: float = 0.0
    enqueued_at_hours: list[float] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # summed over runs
    max_sources_past_rpo: int = 0
    last_metrics: dict[str, Any] = field(default_factory=dict)


class Reconciler:
    """`reconcile_snapshots.lambda_handler`'s core on its schedule: each run is a task of its own on the
    simulated clock, with its own clients (their calls counted apart from the copier's)."""

    def __init__(
        self,
        sim: Sim,
        scenario: Scenario,
        config: ReconcileConfig,
        clients: reconcile.Clients,
        clock: Callable[[], float],
        outstanding: Callable[[], bool],
    ) -> None:
        self.sim = sim
        self.scenario = scenario
        self.config = config
        self.clients = clients
        self.clock = clock
        self.outstanding = outstanding
        self.result = ReconcilerRuns()
        self.errors: list[BaseException] = []
        self.running = False
        # Stop scheduling runs that long after the burst began, whatever is left (a guard, never reached when
        # every snapshot is copied or dead-lettered).
        self.horizon = 3 * (scenario.copy_wait_max_hours + scenario.rerequest_after_hours) * 3600

    def start(self) -> None:
        self.sim.at(self.scenario.reconcile_offset_minutes * 60, self._tick, background=True)

    def _tick(self) -> None:
        # Runs go on while the copier works, and while a snapshot is neither copied nor dead-lettered: a missed
        # event's snapshot has nothing else that brings it to the queue. (Judged before this run is spawned.)
        again = (self.sim.busy() or self.outstanding()) and self.sim.now < self.horizon
        if not self.running:  # a run takes seconds; the schedule is hourly
            self.running = True
            self.sim.spawn(self._run, self._done)
        if again:
            self.sim.at(self.sim.now + self.scenario.reconcile_every_minutes * 60, self._tick, background=True)

    def _run(self) -> dict[str, Any] | None:
        started = self.sim.now
        self.sim.sleep(0.02)  # the invocation's own overhead
        now = datetime.fromtimestamp(self.clock(), UTC)
        try:
            runtime = Runtime(
                function_name=RECONCILER_NAME,
                clock=self.clock,
                sleep=self.sim.sleep,
                seconds_left=lambda: self.scenario.reconcile_timeout - (self.sim.now - started),
            )
            return reconcile.reconcile(
                self.config,
                self.clients,
                now,
                runtime=runtime,
                run_listings=reconcile.in_turn,  # the listings in their former order: the same random draws
            )
        except (ClientError, BotoCoreError, SnapshotCopyError) as exc:
            # The invocation fails; EventBridge's next scheduled run tries again.
            self.result.failed_runs.append(f"{self.sim.now / 3600:.2f} h: {exc}")
            return None
        finally:
            self.result.longest_run_seconds = max(self.result.longest_run_seconds, self.sim.now - started)

    def _done(self, task: Any) -> None:
        self.running = False
        if task.error is not None:
            self.errors.append(task.error)
            return
        outcome = task.result
        if outcome is None:
            return
        result = self.result
        result.runs += 1
        result.enqueued += len(outcome["enqueued"])
        if outcome["enqueued"]:
            result.enqueued_at_hours.append(round(self.sim.now / 3600, 2))
        result.incomplete_runs += bool(outcome["incomplete"])
        result.skipped.update(outcome["skipped"])
        result.max_sources_past_rpo = max(result.max_sources_past_rpo, int(outcome["metrics"][SOURCES_PAST_RPO]))
        result.last_metrics = dict(outcome["metrics"])


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(EPOCH + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def progress_printer(
    label: str, sim: Sim, scenario: Scenario, status: Callable[[], str], out: Any
) -> Callable[[], None]:
    started = time.perf_counter()

    def tick() -> None:
        print(
            f"[{label}] sim {sim.now / 3600:6.1f} h  {status()}  (wall {time.perf_counter() - started:5.1f} s)",
            file=out,
            flush=True,
        )

    return tick


def run_module(scenario: Scenario, workload: Workload, out: Any = sys.stderr) -> dict[str, Any]:
    wall = time.perf_counter()
    sim = Sim()
    stats = CallStats()
    rng = random.Random(scenario.seed + 1)
    source, destination = make_rds(sim, stats, rng, scenario, workload)
    dlq = DeadLetterQueue(f"{FUNCTION_NAME}-dlq", SOURCE_REGION)
    queue = Queue(
        sim,
        f"{FUNCTION_NAME}-events",
        SOURCE_REGION,
        visibility_timeout=6 * scenario.lambda_timeout,
        max_receive_count=scenario.max_receive_count + 1,
        dlq=dlq,
    )
    sqs = FunctionSqs(sim, stats, rng, Faults(max_attempts=scenario.client_max_attempts), queue, dlq)
    table = Table(
        REQUESTS_TABLE,
        copy_requests.HASH_KEY,
        unprocessed_rate=scenario.dynamodb_unprocessed_rate,
        rng=random.Random(scenario.seed + 4),
    )
    # The copier's table client draws its latencies apart, so the copier's other draws stay as they were.
    dynamodb = FakeDynamoDb(sim, stats, random.Random(scenario.seed + 5), table) if scenario.reconciler else None
    # One container's clients (its copy listing and queue URLs are kept between invocations, as in AWS).
    clients = copy_snapshot.Clients(source, destination, sqs, dynamodb)
    config = function_config(scenario, dlq.url, REQUESTS_TABLE if scenario.reconciler else None)
    clock = SimClock(sim, EPOCH).time
    jitter = random.Random(scenario.seed + 2)

    def invoke(event: dict[str, Any]) -> Any:
        started = sim.now
        sim.sleep(0.02)  # the invocation's own overhead
        # The time to the function's timeout, as the Lambda context would tell it, on the simulated clock.
        runtime = Runtime(
            function_name=FUNCTION_NAME,
            clock=clock,
            seconds_left=lambda: scenario.lambda_timeout - (sim.now - started),
        )
        return copy_snapshot.handle(event, config, clients, runtime, jitter)

    mapping = EventSourceMapping(
        sim,
        queue,
        invoke,
        batch_size=scenario.batch_size,
        maximum_concurrency=scenario.maximum_concurrency,
        region=SOURCE_REGION,
        epoch=EPOCH,
        batching_window=scenario.batching_window,
    )
    for number, (when, index) in enumerate(workload.deliveries):
        body = event_body(
            workload.arns[index], workload.identifiers[index], iso(when), f"evt-{number:06d}", SOURCE_REGION
        )
        sim.at(when, lambda body=body, arn=workload.arns[index]: queue.send(body, arn))

    workload_arns = set(workload.arns)

    def outstanding() -> bool:
        done = set(destination.result.copies_started) | {entry.snapshot_arn for entry in dlq.entries}
        return len(done & workload_arns) < scenario.events

    reconciler_stats = CallStats()
    reconciler: Reconciler | None = None
    if scenario.reconciler:
        reconciler_rng = random.Random(scenario.seed + 6)
        reconciler_faults = Faults(scenario.throttle_rate, scenario.internal_error_rate, scenario.client_max_attempts)
        reconciler = Reconciler(
            sim,
            scenario,
            reconciler_config(scenario, queue.url),
            reconcile.Clients(
                Reader("rds-source", source, sim, reconciler_stats, reconciler_rng, reconciler_faults),
                Reader("rds-destination", destination, sim, reconciler_stats, reconciler_rng, reconciler_faults),
                ReconcilerSqs(sim, reconciler_stats, reconciler_rng, Faults(), queue),
                FakeDynamoDb(sim, reconciler_stats, reconciler_rng, table),
            ),
            clock,
            outstanding,
        )
        reconciler.start()

    oldest = {"age": 0.0, "dlq_first_at": None}

    def status() -> str:
        return (
            f"copied {len(destination.result.copies_started):5d}/{scenario.events}"
            f"  in progress {destination.in_progress:3d}  queued {queue.in_queue():5d}"
            f"  dead-lettered {len(dlq.entries):4d}  api calls {stats.total_requests():7d}"
        )

    def watch() -> None:
        # ApproximateAgeOfOldestMessage, sampled like the alarm's 5-minute period.
        oldest["age"] = max(oldest["age"], queue.oldest_age())
        if oldest["dlq_first_at"] is None and dlq.entries:
            oldest["dlq_first_at"] = dlq.entries[0].at

    sim.every(scenario.progress_hours * 3600, progress_printer("module", sim, scenario, status, out))
    sim.every(300, watch)
    with function_logs() as (logs, metrics):
        try:
            sim.run()
        finally:
            sim.close()
    if mapping.errors:
        raise RuntimeError(f"{len(mapping.errors)} invocations failed; first: {mapping.errors[0]!r}")
    if logs.unexpected:
        raise RuntimeError(f"the handler hit unexpected errors (a fake out of step?): {logs.unexpected[:3]}")
    if reconciler is not None and reconciler.errors:
        raise RuntimeError(f"the reconciler failed unexpectedly: {reconciler.errors[0]!r}") from reconciler.errors[0]

    result = destination.result
    if result.max_in_progress > scenario.copy_limit:
        raise AssertionError(f"max_in_progress {result.max_in_progress} > {scenario.copy_limit}")
    arns = set(workload.arns)
    copied = set(result.copies_started) & arns
    dead = {entry.snapshot_arn for entry in dlq.entries}
    first_event = workload.deliveries[0][0]
    finished = [result.finished_at[arn] for arn in copied if arn in result.finished_at]
    makespan = (max(finished) - first_event) if finished else 0.0
    greedy, bound = ideal_makespan(workload, scenario.copy_limit)
    function_calls = stats.total_requests()
    # A missed event's snapshot has waited since it was taken (its message came from the reconciler).
    first_delivery = dict(zip(workload.arns, workload.arrivals, strict=True))
    delivered: set[str] = set()
    for when, index in workload.deliveries:
        if workload.arns[index] not in delivered:
            delivered.add(workload.arns[index])
            first_delivery[workload.arns[index]] = when
    waited = [result.started_at[arn] - first_delivery[arn] for arn in copied]
    emf = metrics.metrics
    report = {
        "events": scenario.events,
        "deliveries": len(workload.deliveries),
        "copied": len(copied),
        "lost": scenario.events - len(copied | dead),
        "duplicates": sum(count - 1 for count in result.copies_started.values() if count > 1),
        "dead_lettered": len(dead),
        "api_calls": function_calls,
        "api_calls_per_copy": round(function_calls / max(1, len(copied)), 2),
        "makespan_hours": round(makespan / 3600, 2),
        "ideal_makespan_hours": round(greedy / 3600, 2),
        "makespan_over_ideal": round(makespan / greedy, 3) if greedy else None,
        "lower_bound_hours": round(bound / 3600, 2),
        "waits": emf["CopySlotWaits"],
        "quota_waits": emf["WaitingForQuota"],
        "longest_wait_hours": round(max(waited, default=0.0) / 3600, 2),
        "max_receive_count": queue.max_receive_count_seen,
        "max_in_progress": result.max_in_progress,
        "copy_limit": scenario.copy_limit,
        "copied_and_dead_lettered": len(copied & dead),
        "still_queued": queue.in_queue(),
        "dead_letter_reasons": dict(Counter(f"{entry.by}:{entry.code}" for entry in dlq.entries)),
        "api_calls_by_operation": dict(sorted(stats.requests.items())),
        "function_calls_before_client_retries": sum(stats.calls.values()),
        "errors_seen_by_function": dict(sorted(stats.errors_raised.items())),
        "injected_faults": dict(sorted(stats.injected.items())),
        "rds_refusals": dict(result.refusals),
        "poller": {
            "receive_message_calls": mapping.stats.receives,
            "delete_message_batch_calls": mapping.stats.delete_batches,
            "invocations": mapping.stats.invocations,
            "records_handled": mapping.stats.records_handled,
            "receives_per_event": round(mapping.stats.records_handled / max(1, len(workload.deliveries)), 1),
            "records_per_invocation": round(mapping.stats.records_handled / max(1, mapping.stats.invocations), 2),
            "max_in_flight": mapping.stats.max_in_flight,
            "note": "idle long polls are not modelled",
        },
        "emf": {name: emf[name] for name in COPY_METRICS},
        "alarms": {
            "dead_letter_queue_depth": {
                "fires": bool(dlq.entries),
                "dlq_messages": len(dlq.entries),
                "first_at_hours": round(oldest["dlq_first_at"] / 3600, 2)
                if oldest["dlq_first_at"] is not None
                else None,
            },
            "dead_lettered": {"fires": emf["DeadLettered"] >= 1, "emf_sum": emf["DeadLettered"]},
            "queue_oldest_message_age": {
                "fires": max(oldest["age"], queue.oldest_age_done) > QUEUE_AGE_ALARM_SECONDS,
                "oldest_hours": round(max(oldest["age"], queue.oldest_age_done) / 3600, 2),
                "threshold_hours": QUEUE_AGE_ALARM_SECONDS / 3600,
            },
        },
        "wall_seconds": round(time.perf_counter() - wall, 1),
    }
    if reconciler is not None:
        report.update(reconciler_report(reconciler, reconciler_stats, queue, table, workload, copied, dead))
    return report


def reconciler_report(
    reconciler: Reconciler,
    stats: CallStats,
    queue: Queue,
    table: Table,
    workload: Workload,
    copied: set[str],
    dead: set[str],
) -> dict[str, Any]:
    """The reconciler's figures: its runs, what it sent, and how many messages each snapshot had."""
    per_snapshot: Counter[str] = Counter()
    by_reconciler: Counter[str] = Counter()
    for (arn, origin), count in queue.sent.items():
        per_snapshot[arn] += count
        if origin == "reconciler":
            by_reconciler[arn] += count
    missed = {workload.arns[index] for index in workload.missed}
    runs = reconciler.result
    return {
        "reconciler_runs": runs.runs,
        "reconciler_enqueued": runs.enqueued,
        "max_messages_per_snapshot": max(per_snapshot.values(), default=0),
        "reconciler_api_calls": stats.total_requests(),
        "reconciler": {
            "messages_per_snapshot": dict(sorted(Counter(per_snapshot.values()).items())),
            "max_reconciler_messages_per_snapshot": max(by_reconciler.values(), default=0),
            "enqueued_snapshots_not_missed": len(set(by_reconciler) - missed),
            "missed_events": len(missed),
            "missed_copied": len(missed & copied),
            "missed_with_one_reconciler_message": sum(1 for arn in missed if by_reconciler[arn] == 1),
            "missed_dead_lettered": len(missed & dead),
            "enqueued_at_hours": runs.enqueued_at_hours,
            "failed_runs": runs.failed_runs,
            "incomplete_runs": runs.incomplete_runs,
            "longest_run_seconds": round(runs.longest_run_seconds, 1),
            "skipped_by_reason_summed_over_runs": dict(sorted(runs.skipped.items())),
            "max_sources_past_rpo": runs.max_sources_past_rpo,
            "last_run_metrics": runs.last_metrics,
            "api_calls_by_operation": dict(sorted(stats.requests.items())),
            "table": {
                "items": len(table.items),
                "by_state": dict(Counter(table.state_of(name) for name in table.items)),
                **dict(table.counts),
            },
            "settings": {
                "every_minutes": reconciler.scenario.reconcile_every_minutes,
                "first_run_minutes": reconciler.scenario.reconcile_offset_minutes,
                "grace_minutes": reconciler.config.grace_minutes,
                "rerequest_after_hours": reconciler.config.rerequest_after_hours,
                "retention_days": reconciler.config.retention_days,
                "rpo_hours": reconciler.config.rpo_hours,
            },
        },
    }


# -- the tutorial's design ---------------------------------------------------------------------------------

# Lambda's asynchronous invocation: a failed invocation is retried twice, the first after about a minute,
# the second about two minutes later; then the event is dropped (the tutorial sets no on-failure destination).
ASYNC_RETRY_DELAYS = (60.0, 120.0)


def run_tutorial(scenario: Scenario, workload: Workload, out: Any = sys.stderr) -> dict[str, Any]:
    wall = time.perf_counter()
    sim = Sim()
    stats = CallStats()
    rng = random.Random(scenario.seed + 1)
    _, destination = make_rds(sim, stats, rng, scenario, workload)
    dropped: set[str] = set()
    failures: Counter[str] = Counter()
    invocations = Counter()

    def attempt(index: int, number: int) -> None:
        arn = workload.arns[index]
        invocations["invocations"] += 1
        try:
            # The tutorial's function: one CopyDBSnapshot call per event.
            destination.copy_db_snapshot(
                SourceDBSnapshotIdentifier=arn,
                TargetDBSnapshotIdentifier=target_identifier(workload.identifiers[index], arn, "db"),
                SourceRegion=SOURCE_REGION,
                KmsKeyId=KMS_KEY_ID,
                CopyTags=True,
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if number <= len(ASYNC_RETRY_DELAYS):
                delay = ASYNC_RETRY_DELAYS[number - 1] + rng.uniform(0, 15)
                sim.at(sim.now + delay, lambda: attempt(index, number + 1))
            else:
                failures[code] += 1
                dropped.add(arn)

    for when, index in workload.deliveries:
        sim.at(when, lambda index=index: attempt(index, 1))

    def status() -> str:
        return (
            f"copied {len(destination.result.copies_started):5d}/{scenario.events}"
            f"  in progress {destination.in_progress:3d}  dropped {len(dropped):4d}"
        )

    sim.every(scenario.progress_hours * 3600, progress_printer("tutorial", sim, scenario, status, out))
    sim.run()
    result = destination.result
    arns = set(workload.arns)
    copied = set(result.copies_started) & arns
    first_event = workload.deliveries[0][0]
    finished = [result.finished_at[arn] for arn in copied if arn in result.finished_at]
    calls = stats.total_requests()
    return {
        "events": scenario.events,
        "copied": len(copied),
        "lost": scenario.events - len(copied),
        "duplicates": sum(count - 1 for count in result.copies_started.values() if count > 1),
        "dead_lettered": 0,
        "api_calls": calls,
        "api_calls_per_copy": round(calls / max(1, len(copied)), 2),
        "makespan_hours": round(((max(finished) - first_event) if finished else 0.0) / 3600, 2),
        "ideal_makespan_hours": round(ideal_makespan(workload, scenario.copy_limit)[0] / 3600, 2),
        "max_in_progress": result.max_in_progress,
        "invocations": invocations["invocations"],
        "dropped_deliveries_by_last_error": dict(failures),
        "api_calls_by_operation": dict(sorted(stats.requests.items())),
        "wall_seconds": round(time.perf_counter() - wall, 1),
    }


# -- output ----------------------------------------------------------------------------------------------------

TABLE_ROWS = (
    ("events", "events"),
    ("copied", "copied"),
    ("lost", "lost"),
    ("duplicates", "duplicates"),
    ("dead-lettered", "dead_lettered"),
    ("API calls (function)", "api_calls"),
    ("API calls per copy", "api_calls_per_copy"),
    ("makespan, h", "makespan_hours"),
    ("ideal makespan, h", "ideal_makespan_hours"),
    ("max copies in progress", "max_in_progress"),
    ("reconciler runs", "reconciler_runs"),
    ("reconciler enqueued", "reconciler_enqueued"),
    ("reconciler API calls", "reconciler_api_calls"),
    ("max messages per snapshot", "max_messages_per_snapshot"),
)


def table(module: dict[str, Any], tutorial: dict[str, Any] | None) -> str:
    lines = [f"{'':26}{'SQS + function':>16}{'tutorial':>12}"]
    for label, key in TABLE_ROWS:
        if key not in module:
            continue
        other = "-" if tutorial is None else tutorial.get(key, "-")
        lines.append(f"{label:26}{module.get(key, '-')!s:>16}{other!s:>12}")
    return "\n".join(lines)


def run(scenario: Scenario, *, baseline: bool = True, out: Any = sys.stderr) -> dict[str, Any]:
    workload = make_workload(scenario)
    print(
        f"burst: {scenario.events} snapshots within {scenario.burst_minutes:g} min "
        f"({len(workload.deliveries)} deliveries); "
        f"copies lognormal median {scenario.copy_median_hours:g} h sigma {scenario.copy_sigma:g} "
        f"(sum {sum(workload.durations) / 3600:.0f} h); limit {scenario.copy_limit} in progress; "
        f"manual snapshot quota {scenario.quota}; faults per request: throttle {scenario.throttle_rate:g}, "
        f"5xx {scenario.internal_error_rate:g}",
        file=out,
        flush=True,
    )
    if scenario.reconciler or scenario.missed_events:
        print(
            f"missed events: {scenario.missed_events}; reconciler: "
            + (
                f"every {scenario.reconcile_every_minutes:g} min from minute {scenario.reconcile_offset_minutes:g}, "
                f"grace {scenario.grace_minutes:g} min, re-request after {scenario.rerequest_after_hours:g} h"
                if scenario.reconciler
                else "off"
            ),
            file=out,
            flush=True,
        )
    report = run_module(scenario, workload, out)
    if baseline:
        report["baseline"] = run_tutorial(scenario, workload, out)
    report["scenario"] = {
        **asdict(scenario),
        "max_receive_count": scenario.max_receive_count,
        "manual_snapshot_quota": scenario.quota,
        **({"rerequest_after_hours": scenario.rerequest_after_hours} if scenario.reconciler else {}),
    }
    return report


def parse_args(argv: list[str] | None) -> tuple[Scenario, bool]:
    defaults = Scenario()
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.split("\n\n")[0])

    def option(name: str, kind: type, help_text: str) -> None:
        attribute = name.lstrip("-").replace("-", "_")
        parser.add_argument(
            name,
            type=kind,
            default=getattr(defaults, attribute),
            dest=attribute,
            help=f"{help_text} (default: %(default)s)",
        )

    option("--events", int, "snapshots in the burst")
    option("--seed", int, "seed of every random draw")
    option("--burst-minutes", float, "the snapshots finish uniformly within this many minutes")
    option("--duplicate-event-rate", float, "share of events delivered twice")
    option("--copy-limit", int, "copies in progress RDS allows (and MAX_DB_COPIES_IN_PROGRESS)")
    option("--manual-snapshot-quota", int, "the destination's manual snapshot quota (default: above the burst)")
    option("--existing-snapshots", int, "our retained copies of earlier days in the destination")
    option("--foreign-in-progress", int, "copies in progress started by someone else")
    option("--copy-median-hours", float, "median copy duration (lognormal)")
    option("--copy-sigma", float, "sigma of the log of the copy duration")
    option("--throttle-rate", float, "share of RDS requests answered with Throttling")
    option("--internal-error-rate", float, "share of RDS requests answered with InternalFailure (500)")
    option("--client-max-attempts", int, "botocore attempts per call (the function's BOTO_CONFIG)")
    option("--batch-size", int, "event source mapping batch size")
    option("--batching-window", int, "event source mapping maximum_batching_window_in_seconds")
    option("--maximum-concurrency", int, "event source mapping maximum concurrency")
    option("--lambda-timeout", int, "function timeout; the queue's visibility timeout is 6 x this")
    option("--wait-delay-max", int, "WAIT_DELAY_MAX_SECONDS")
    option("--copy-wait-max-hours", int, "copy_wait_max_hours (MAX_WAIT_SECONDS / 3600)")
    option("--max-error-tries", int, "MAX_ERROR_TRIES")
    option("--wait-base", int, "experiment: override queue.WAIT_BASE_SECONDS")
    option("--progress-hours", float, "simulated hours between progress lines")
    option("--reconcile-every-minutes", float, "the reconciler's schedule (reconcile_schedule)")
    option("--reconcile-offset-minutes", float, "the reconciler's first run, after the window starts")
    option("--missed-events", int, "snapshots whose event is never delivered (the reconciler must catch them)")
    option("--grace-minutes", float, "the reconciler's GRACE_MINUTES")
    option("--retention-days", int, "the reconciler's RETENTION_DAYS")
    option("--rpo-hours", float, "the reconciler's RPO_HOURS")
    option("--reconcile-timeout", int, "the reconciler's timeout (reconcile_lambda_timeout)")
    option("--dynamodb-unprocessed-rate", float, "share of table keys/items DynamoDB leaves unprocessed")
    parser.add_argument(
        "--mode",
        choices=("single-account", "backup-account"),
        default="single-account",
        help="backup-account: the source side's share step instead (python -m bench.burst --mode backup-account "
        "--help; bench/burst_backup.py)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the tutorial's design")
    parser.add_argument(
        "--no-reconciler",
        action="store_true",
        help="the copier alone, without the table or the reconciler (the run before the reconciler existed)",
    )
    args = parser.parse_args(argv)
    baseline = not args.__dict__.pop("no_baseline")
    args.__dict__.pop("mode")  # main() runs the backup-account mode before this parser sees it
    reconciler = not args.__dict__.pop("no_reconciler")
    return Scenario(**vars(args), reconciler=reconciler), baseline


def main(argv: list[str] | None = None, out: Any = None, err: Any = None) -> dict[str, Any]:
    mode = argparse.ArgumentParser(add_help=False)
    mode.add_argument("--mode", choices=("single-account", "backup-account"), default="single-account")
    known, rest = mode.parse_known_args(sys.argv[1:] if argv is None else argv)
    if known.mode == "backup-account":  # the source side's share step (bench/burst_backup.py)
        from . import burst_backup

        return burst_backup.main(rest, out, err)
    argv = rest
    out = out or sys.stdout
    err = err or sys.stderr
    scenario, baseline = parse_args(argv)
    report = run(scenario, baseline=baseline, out=err)
    print(table(report, report.get("baseline")), file=out)
    alarms = report["alarms"]
    if alarms["dead_letter_queue_depth"]["fires"]:
        print(
            "ALARM dead-letter-queue-depth would fire: "
            f"{alarms['dead_letter_queue_depth']['dlq_messages']} messages in the DLQ "
            f"(first after {alarms['dead_letter_queue_depth']['first_at_hours']} h); "
            f"ALARM dead-lettered would fire: DeadLettered (EMF) sum {alarms['dead_lettered']['emf_sum']}; "
            f"reasons {report['dead_letter_reasons']}",
            file=out,
        )
    print(json.dumps(report, sort_keys=False), file=out, flush=True)
    return report


if __name__ == "__main__":
    main()
