"""One simulated year: the fleet's snapshots, their events, the real functions on their schedules, the faults.

The copier (`copy_snapshot.handle`) is invoked by the SQS event source mapping (bench/fake_sqs.py), the
reconciler (`reconcile.reconcile`, the core of reconcile_snapshots.lambda_handler) and the pruner
(`prune_snapshots.prune`) run on their schedules as tasks on the simulated clock, each with clients of its
own over the same world (bench/year_world.py). Nothing in the package is patched. `Recorder` keeps what the
invariants, the alarm model and the figures read.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import prune_snapshots
from botocore.exceptions import BotoCoreError, ClientError

import copy_snapshot
from snapshot_copy import copy_requests, reconcile
from snapshot_copy.accounts import Accounts
from snapshot_copy.errors import SnapshotCopyError
from snapshot_copy.kinds import KINDS
from snapshot_copy.prune_config import PruneConfig
from snapshot_copy.runtime import Runtime

from .burst import FUNCTION_NAME, RECONCILER_NAME, REQUESTS_TABLE, function_config, reconciler_config
from .fake_aws import CallStats, Faults
from .fake_dynamodb import FakeDynamoDb, Table
from .fake_rds import ACCOUNT
from .fake_sqs import DeadLetterQueue, EventSourceMapping, FunctionSqs, Queue, ReconcilerSqs, event_body
from .sim import Sim, SimClock
from .year_backup import SOURCE_ACCOUNT, BackupSide
from .year_clients import DestinationClient, ServiceQuotas, SourceClient
from .year_faults import DAY, HOUR, FaultPlan
from .year_legacy import prune_by_tags
from .year_people import OTHER_KEEP_DAYS, People
from .year_world import (
    AUTOMATED_RETENTION_DAYS,
    DESTINATION_REGION,
    MANUAL_SOURCE_KEEP_DAYS,
    SOURCE_REGION,
    Snap,
    Source,
    World,
    lognormal_size,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
PRUNER_NAME = f"{FUNCTION_NAME}-prune"
PRUNER_HOUR = 12.0  # rate(1 day) from a deployment at noon
RECONCILER_OFFSET_MINUTES = 20.0
DLQ_READ_AFTER = DAY  # the operator reads (and deletes) dead letters the next day


class LambdaTimeout(BaseException):
    """The runtime ends the invocation: nothing after this line of the handler runs."""


@dataclass
class Recorder:
    snapshots: list[Snap] = field(default_factory=list)  # every source snapshot of the run
    source_gone: dict[str, float] = field(default_factory=dict)  # arn -> when its source deletion removed it
    deliveries: Counter[str] = field(default_factory=Counter)  # "delivered", "lost", "duplicated", "late", "outage"
    reconciler_runs: list[dict[str, Any]] = field(default_factory=list)  # at, past_rpo, worst, ages, enqueued
    reconciler_failed: list[float] = field(default_factory=list)
    reconciler_skipped: int = 0
    pruner_runs: list[dict[str, Any]] = field(default_factory=list)  # at, quota percent per kind, deleted
    pruner_failed: list[float] = field(default_factory=list)
    scheduled_dlq: list[float] = field(default_factory=list)
    samples: list[tuple[float, float, int, int, dict[str, int]]] = field(default_factory=list)
    # (at, queue oldest age s, DLQ visible, copies in progress, manual snapshots per kind), every 5 minutes
    violations: list[str] = field(default_factory=list)
    violation_counts: Counter[str] = field(default_factory=Counter)
    invocations_killed: int = 0
    killed_at: list[float] = field(default_factory=list)  # the copier's invocations killed (Lambda's Errors)

    def violate(self, invariant: str, text: str) -> None:
        self.violation_counts[invariant] += 1
        if len(self.violations) < 50:
            self.violations.append(f"{invariant}: {text}")


class PausingMapping(EventSourceMapping):
    """Lambda's poller, which does not run while the source region is out."""

    def __init__(self, *args: Any, plan: FaultPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan

    def poll(self) -> None:
        outage = self.plan.window("source-region outage")
        if outage is not None and outage.active(self.sim.now):
            self.sim.at(outage.end, self.poll)
            return
        super().poll()


class YearRun(People):
    def __init__(self, scenario: Any, plan: FaultPlan) -> None:
        self.s = scenario
        self.plan = plan
        self.rates = plan.rates
        self.sim = Sim()
        self.rng = random.Random(scenario.seed)
        self.rec = Recorder()
        self.clock = SimClock(self.sim, EPOCH).time
        self.world = World(self.sim, EPOCH, plan, random.Random(scenario.seed + 1), self.quotas())
        self.faults = Faults(self.rates.throttle, self.rates.server_error, 3)
        self.copier_stats = CallStats()
        self.reconciler_stats = CallStats()
        self.pruner_stats = CallStats()
        self.end = scenario.days * DAY
        self.other_sources = max(1, scenario.sources // 40)
        self._kill_at: dict[int, float] = {}
        self.backup_mode = scenario.mode == "backup-account"
        self.backup: BackupSide | None = None
        self._build()

    # -- set-up ---------------------------------------------------------------------------------------------
    def quotas(self) -> dict[str, int]:
        """Each kind's manual snapshot quota, raised as an operator would for this fleet: 30 % above what it
        keeps (our copies of retention + keep_last days, weekly keeps, the others' snapshots), in hundreds."""
        s = self.s
        per_kind = s.sources / 2 * (1 + s.churn)
        need = per_kind * (s.retention_days + s.keep_last + 2 + s.weekly_share * 5)
        need += max(5, s.sources // 10) + 12 * (s.days // 30 + 1) + max(1, s.sources // 40) * OTHER_KEEP_DAYS
        value = int((need * 1.3 + 99) // 100 * 100)
        return {kind: value for kind in KINDS}

    def _build(self) -> None:
        s, sim, rng = self.s, self.sim, self.rng
        churn = round(s.sources * s.churn)
        # Sources come and go inside the run, never in its drain: a database created at the end of a short run
        # would have a snapshot no function had time to copy (the "copied" invariant would call it lost).
        churn_span = (10, s.days - 10) if s.days >= 21 else (s.days * 0.25, s.days * 0.5)
        for index in range(s.sources + churn):
            kind = "cluster" if index % 2 else "db"
            name = f"{'aurora' if kind == 'cluster' else 'db'}-{index:05d}"
            created = 0.0 if index < s.sources else rng.uniform(*churn_span) * DAY
            deleted = rng.uniform(*churn_span) * DAY if index < churn else None
            source = Source(
                name, kind, created, deleted, rng.uniform(180, 660), rng.random() < s.weekly_share, lognormal_size(rng)
            )
            self.world.add_source(source)
            if created > 0:  # RDS backs a new database up when it is created
                sim.at(created + 600, lambda source=source: self._take(source, "automated"))
            if deleted is not None:
                sim.at(deleted, lambda source=source: self._delete_source(source))
        for day in range(s.days):
            sim.at(day * DAY, lambda day=day: self._day(day))
        self.dlq = DeadLetterQueue(f"{FUNCTION_NAME}-dlq", SOURCE_REGION)
        self.queue = Queue(
            sim, f"{FUNCTION_NAME}-events", SOURCE_REGION, 6 * s.lambda_timeout, s.max_receive_count + 1, self.dlq
        )
        self.table = Table(REQUESTS_TABLE, copy_requests.HASH_KEY, rng=random.Random(s.seed + 4))
        self._copier()
        if s.reconciler:
            self._reconciler()
        self._pruner()
        if self.backup_mode:
            self.backup = BackupSide(self)
        self._operator()
        sim.every(300, self._sample)

    def _copier(self) -> None:
        s, sim, stats, w = self.s, self.sim, self.copier_stats, self.world
        rng = random.Random(s.seed + 2)
        outage = self._outage_down
        source = SourceClient(w, "rds-source", sim, stats, rng, self.faults)
        destination = DestinationClient(w, "rds-destination", "copier", sim, stats, rng, self.faults)
        sqs = FunctionSqs(sim, stats, rng, self.faults, self.queue, self.dlq)
        dynamodb = (
            FakeDynamoDb(sim, stats, random.Random(s.seed + 5), self.table, self.faults) if s.reconciler else None
        )
        for client in (source, sqs, dynamodb):
            if client is not None:
                client.down = outage
        for client in (source, destination, sqs, dynamodb):
            if client is not None:
                client.interrupt = self._interrupt
        self.copier_clients = copy_snapshot.Clients(source, destination, sqs, dynamodb)
        config = function_config(s, self.dlq.url, REQUESTS_TABLE if s.reconciler else None)
        if self.backup_mode:
            config = dataclasses.replace(config, accounts=Accounts((SOURCE_ACCOUNT,)))
        jitter = random.Random(s.seed + 3)
        kills = random.Random(s.seed + 8)

        def invoke(event: dict[str, Any]) -> Any:
            started = sim.now
            task = sim._current
            if kills.random() < self.rates.lambda_timeout and task is not None:
                self._kill_at[id(task)] = started + kills.uniform(0.2, 3.0)
            sim.sleep(0.02)
            runtime = Runtime(
                function_name=FUNCTION_NAME,
                clock=self.clock,
                seconds_left=lambda: s.lambda_timeout - (sim.now - started),
                account_id=ACCOUNT if self.backup_mode else None,
            )
            try:
                return copy_snapshot.handle(event, config, self.copier_clients, runtime, jitter)
            finally:
                self._kill_at.pop(id(task), None)

        self.mapping = self._mapping(self.queue, invoke, batching_window=10)

    def _mapping(self, queue: Queue, invoke: Any, batching_window: float = 0.0) -> PausingMapping:
        """An SQS event source mapping as the modules deploy it (batches of 10, two at once)."""
        return PausingMapping(
            self.sim,
            queue,
            invoke,
            batch_size=10,
            maximum_concurrency=2,
            region=SOURCE_REGION,
            epoch=EPOCH,
            batching_window=batching_window,
            plan=self.plan,
        )

    def _interrupt(self) -> None:
        task = self.sim._current
        if task is not None and self._kill_at.get(id(task), float("inf")) <= self.sim.now:
            del self._kill_at[id(task)]
            self.rec.invocations_killed += 1
            self.rec.killed_at.append(self.sim.now)
            raise LambdaTimeout("Task timed out")

    def _outage_down(self) -> bool:
        return self.plan.active("source-region outage", self.sim.now)

    def _reconciler(self) -> None:
        s, sim, stats, w = self.s, self.sim, self.reconciler_stats, self.world
        rng = random.Random(s.seed + 6)
        source = SourceClient(w, "rds-source", sim, stats, rng, self.faults)
        source.down = self._outage_down
        sqs = ReconcilerSqs(sim, stats, rng, self.faults, self.queue)
        sqs.down = self._outage_down
        dynamodb = FakeDynamoDb(sim, stats, rng, self.table, self.faults)
        dynamodb.down = self._outage_down
        self.reconciler_clients = reconcile.Clients(
            source, DestinationClient(w, "rds-destination", "reconciler", sim, stats, rng, self.faults), sqs, dynamodb
        )
        self.reconciler_config = reconciler_config(s, self.queue.url)
        if self.backup_mode:
            accounts = Accounts((SOURCE_ACCOUNT,))  # SOURCE_ACCOUNT_IDS
            self.reconciler_config = dataclasses.replace(self.reconciler_config, accounts=accounts)
        self.skips = random.Random(s.seed + 7)
        t = RECONCILER_OFFSET_MINUTES * 60
        while t < self.end + s.drain_days * DAY:
            sim.at(t, self._reconcile_tick)
            t += s.reconcile_every_minutes * 60

    def _scheduled_off(self) -> bool:
        """EventBridge's schedules are in the source region: no run while it is out."""
        return self._outage_down()

    def _reconcile_tick(self) -> None:
        if self._scheduled_off() or self.plan.active("reconciler not running", self.sim.now):
            self.rec.reconciler_skipped += 1
            return
        if self.skips.random() < self.rates.reconciler_missed:
            self.rec.reconciler_skipped += 1
            return
        self.sim.spawn(lambda: self._reconcile(0), lambda task: self._task_done(task, "reconciler"))

    def _reconcile(self, attempt: int) -> None:
        sim, s = self.sim, self.s
        started = sim.now
        sim.sleep(0.02)
        runtime = Runtime(
            function_name=RECONCILER_NAME,
            clock=self.clock,
            sleep=sim.sleep,
            seconds_left=lambda: s.reconcile_timeout - (sim.now - started),
            account_id=ACCOUNT if self.backup_mode else None,
        )
        try:
            out = reconcile.reconcile(
                self.reconciler_config,
                self.reconciler_clients,
                datetime.fromtimestamp(self.clock(), UTC),
                runtime=runtime,
                run_listings=reconcile.in_turn,
            )
        except (ClientError, BotoCoreError, SnapshotCopyError):
            self.rec.reconciler_failed.append(sim.now)
            self._async_retry(attempt, lambda: self._reconcile(attempt + 1), "reconciler")
            return
        if started >= self.end:
            return  # the drain: no new snapshots, so every source drifts past the RPO; not the year's figure
        metrics = out["metrics"]
        ages = [e.get("recovery_point_age_hours") for e in out.get("sources", [])]
        ages = [a if a is not None else float("inf") for a in ages]
        self.rec.reconciler_runs.append(
            {
                "at": started,
                "past_rpo": int(metrics.get("SourcesPastRpo", 0)),
                "worst": float(metrics.get("RecoveryPointAgeWorstHours", 0.0)),
                "ages": ages,
                "past": [e["source"] for e in out.get("sources", []) if not e.get("within_rpo", True)],
                "enqueued": len(out["enqueued"]),
            }
        )

    def _async_retry(self, attempt: int, again: Any, label: str) -> None:
        """Lambda retries a failed scheduled (asynchronous) invocation twice, about 1 and 2 minutes apart,
        then sends the event to the scheduled dead-letter queue."""
        if attempt < 2:
            self.sim.at(
                self.sim.now + 60 * (attempt + 1),
                lambda: self.sim.spawn(again, lambda task: self._task_done(task, label)),
            )
        else:
            self.rec.scheduled_dlq.append(self.sim.now)

    def _task_done(self, task: Any, label: str) -> None:
        if task.error is not None:
            raise RuntimeError(f"the {label} failed unexpectedly: {task.error!r}") from task.error

    def _pruner(self) -> None:
        s, sim, stats, w = self.s, self.sim, self.pruner_stats, self.world
        rng = random.Random(s.seed + 9)
        self.pruner_rds = DestinationClient(w, "rds-destination", "pruner", sim, stats, rng, self.faults)
        self.pruner_clients = prune_snapshots.Clients(self.pruner_rds, ServiceQuotas(w, sim, stats, rng, self.faults))
        self.prune_config = PruneConfig.from_env(
            {
                "SOURCE_REGION": SOURCE_REGION,
                "DESTINATION_REGION": DESTINATION_REGION,
                "RETENTION_DAYS": str(s.retention_days),
                "KEEP_LAST": str(s.keep_last),
                **{f"KEEP_{tier.upper()}": str(n) for tier, n in s.keep_tiers.items() if n},
            }
        )
        for day in range(s.days + s.drain_days):
            sim.at(day * DAY + PRUNER_HOUR * HOUR, self._prune_tick)

    def _prune_tick(self) -> None:
        if self._scheduled_off():
            return
        self.sim.spawn(lambda: self._prune(0), lambda task: self._task_done(task, "pruner"))

    def _prune(self, attempt: int) -> None:
        sim = self.sim
        started = sim.now
        now = datetime.fromtimestamp(self.clock(), UTC)
        config = self.prune_config
        if self.s.ownership_04:
            deleted = prune_by_tags(self.pruner_rds, SOURCE_REGION, now, config.retention_days or 0, config.keep_last)
            self.rec.pruner_runs.append({"at": started, "deleted": len(deleted), "percent": self._quota_percent()})
            return
        runtime = Runtime(
            function_name=PRUNER_NAME, clock=self.clock, sleep=sim.sleep, seconds_left=lambda: 900 - (sim.now - started)
        )
        try:
            out = prune_snapshots.prune(config, self.pruner_clients, now, runtime)
        except (ClientError, BotoCoreError, SnapshotCopyError):
            self.rec.pruner_failed.append(sim.now)
            self._async_retry(attempt, lambda: self._prune(attempt + 1), "pruner")
            return
        percent = {kind: float(q["percent"]) for kind, q in out["quota"].items()}
        self.rec.pruner_runs.append({"at": started, "deleted": len(out["deleted"]), "percent": percent})

    def _quota_percent(self) -> dict[str, float]:
        return {k: round(100.0 * self.world.manual_count(k) / self.world.quota[k], 1) for k in KINDS}

    # -- the fleet's days -------------------------------------------------------------------------------------
    def _day(self, day: int) -> None:
        w, sim = self.world, self.sim
        for kind in KINDS:
            for source in w.live(kind):
                at = day * DAY + source.backup_minute * 60
                sim.at(at, lambda source=source: self._take(source, "automated"))
                if source.weekly_manual and day % 7 == 3:
                    sim.at(at + 2 * HOUR, lambda source=source: self._take(source, "manual"))
        sim.at(day * DAY + DAY - 1, lambda: self._check_day_end(), background=True)

    def _take(self, source: Source, snapshot_type: str) -> None:
        if source.deleted is not None and source.deleted <= self.sim.now:
            return
        stamp = self.world.when(self.sim.now).strftime("%Y-%m-%d-%H-%M")
        if snapshot_type == "automated":
            identifier, keep = f"rds:{source.identifier}-{stamp}", AUTOMATED_RETENTION_DAYS
        else:
            identifier, keep = f"{source.identifier}-weekly-{stamp}", MANUAL_SOURCE_KEEP_DAYS
        self._snapshot(source, snapshot_type, identifier, keep)

    def _snapshot(self, source: Source, snapshot_type: str, identifier: str, keep_days: float) -> None:
        snap = self.world.take_snapshot(source, snapshot_type, identifier)
        self.rec.snapshots.append(snap)
        self.sim.at(self.sim.now + keep_days * DAY, lambda: self.world.expire_source_snapshot(snap))
        self._deliver(snap, snapshot_type)

    def _deliver(self, snap: Snap, snapshot_type: str) -> None:
        """RDS's created event of a fleet's snapshot: to the copier's queue, or the source side's."""
        event_id = {
            ("db", "automated"): "RDS-EVENT-0091",
            ("db", "manual"): "RDS-EVENT-0042",
            ("cluster", "automated"): "RDS-EVENT-0169",
            ("cluster", "manual"): "RDS-EVENT-0075",
        }
        body = event_body(
            snap.arn,
            snap.identifier,
            self.world.when(self.sim.now).strftime("%Y-%m-%dT%H:%M:%SZ"),
            f"evt-{len(self.rec.snapshots):07d}",
            SOURCE_REGION,
            snap.account,
        )
        if snap.kind == "cluster":
            body = body.replace('"RDS DB Snapshot Event"', '"RDS DB Cluster Snapshot Event"').replace(
                '"SourceType": "SNAPSHOT"', '"SourceType": "CLUSTER_SNAPSHOT"'
            )
        body = body.replace('"RDS-EVENT-0091"', f'"{event_id[(snap.kind, snapshot_type)]}"')
        if self.backup is not None:
            self.backup.deliver(snap, body)
            return
        self._deliver_body(snap, body, lambda: self.queue.send(body, snap.arn))

    def _deliver_body(self, snap: Snap, body: str, send: Any) -> None:
        """EventBridge delivers an event: lost, late or twice at the stated rates, never in the outage."""
        r, rng = self.rates, self.rng
        if self._outage_down():
            self.rec.deliveries["outage"] += 1
            return
        if rng.random() < r.event_lost:
            self.rec.deliveries["lost"] += 1
            return
        delay = rng.uniform(1, 30)
        if rng.random() < r.event_late:
            self.rec.deliveries["late"] += 1
            delay = rng.uniform(30, r.event_late_max_minutes * 60)
        times = [delay]
        if rng.random() < r.event_duplicated:
            self.rec.deliveries["duplicated"] += 1
            times.append(delay + rng.uniform(0, 60))
        self.rec.deliveries["delivered"] += 1
        for delay in times:
            if not self.plan.active("source-region outage", self.sim.now + delay):
                self.sim.at(self.sim.now + delay, send)

    def _delete_source(self, source: Source) -> None:
        """The source is deleted with a final snapshot; RDS deletes its automated snapshots with it."""
        w = self.world
        for snap in [x for x in w.snaps[source.kind].values() if x.source == source.identifier]:
            if snap.view["SnapshotType"] == "automated":
                self.rec.source_gone[snap.arn] = self.sim.now
                w.expire_source_snapshot(snap)
        stamp = w.when(self.sim.now).strftime("%Y-%m-%d-%H-%M")
        self._snapshot(source, "manual", f"{source.identifier}-final-{stamp}", MANUAL_SOURCE_KEEP_DAYS)
        if self.backup is not None:
            self.backup.source_deleted(source.identifier)

    # -- sampling and daily checks (year_checks.py judges them) -----------------------------------------------
    def _sample(self) -> None:
        now = self.sim.now
        dlq = sum(1 for e in self.dlq.entries if now - e.at < DLQ_READ_AFTER)
        in_progress = sum(self.world.in_progress.values())
        used = {k: self.world.manual_count(k) for k in KINDS}
        self.rec.samples.append((now, self.queue.oldest_age(), dlq, in_progress, used))

    def _check_day_end(self) -> None:
        from .year_checks import check_keep_rules

        check_keep_rules(self)

    def check_mapping(self) -> None:
        errors = self.mapping.errors + (self.backup.mapping.errors if self.backup is not None else [])
        unexpected = [e for e in errors if not isinstance(e, LambdaTimeout)]
        if unexpected:
            raise RuntimeError(f"{len(unexpected)} invocations failed; first: {unexpected[0]!r}")
