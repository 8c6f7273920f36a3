"""`rds-snapshot-copy drill`: restore the newest copy of each source into temporary names, measure, clean up.

For every source: the recovery point age at drill time (the RPO a real restore would have had: how old the
data of the newest available copy of this deployment is, snapshot_time.data_time), the RTO (from the restore
request to available), checks of the restored database (engine, encryption with the copy's destination key,
provenance tags) and what its instance-hours cost. All restores run at once, so a drill of ten sources takes
about as long as the slowest.

Names are drill-<source>-<yyyymmddhhmm>-<random>, and everything a drill creates carries its own random
token (TAG_DRILL = <time>-<token>): two drills started in the same second never pick one name, and neither
takes the other's database for its own. Everything the drill creates is registered before the call that
creates it (and unregistered when AWS answers that call with an error, AlreadyExists included: this call made
nothing) and deleted in a `finally`, each looked up before its delete and deleted only when it carries this
drill's token: Ctrl-C, SIGTERM or a failure halfway still clean up (`--keep` keeps the databases only when
the drill completes), and nothing of another drill's is ever deleted. Finding the copies, planning, checks
and waiting are restore.py's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from rds_snapshot_copy import prices
from rds_snapshot_copy.adopt import ADOPT_ACTIONS
from rds_snapshot_copy.restore import (
    MAX_DATABASE_IDENTIFIER_LENGTH,
    RESTORE_ACTIONS,
    TAG_RECOVERY_POINT,
    TAG_RESTORED_BY,
    TAG_RESTORED_FROM_REGION,
    TAG_RESTORED_FROM_SNAPSHOT,
    TAG_RESTORED_FROM_SOURCE,
    Clients,
    Created,
    Job,
    Located,
    Plan,
    RefusedError,
    SourceRegion,
    add_common_arguments,
    aws_failed,
    build_plan,
    cluster_exists,
    error_code,
    instance_exists,
    locate,
    located,
    make_clients,
    overrides_from,
    refused,
    resolve,
    wait,
    writer_name,
)
from snapshot_copy.config import DEFAULT_METRIC_NAMESPACE
from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import pages
from snapshot_copy.metrics import DRILL_RPO, DRILL_RTO, DRILL_SOURCE_REGION_DIMENSION, LAST_DRILL_TIMESTAMP
from snapshot_copy.ownership import Owner
from snapshot_copy.recovery import newest_copies

HELP = (
    "Restore the newest available copy of each source (or --all) that is the deployment's own (--function, or "
    "--deployment and the regions) into temporary databases under unique names, measure RPO (the age of the "
    "copy's data) and RTO, check them, delete what this drill created and nothing else; print the report, "
    "write it as JSON, optionally publish the drill's time as a metric."
)

DRILL_ACTIONS: tuple[str, ...] = (
    *RESTORE_ACTIONS,
    "rds:DeleteDBInstance",
    "rds:DeleteDBCluster",
    "cloudwatch:PutMetricData",
)
# Every AWS action restore, drill and adopt call: the operator's policy and the IAM simulation are built from it.
OPERATOR_ACTIONS: tuple[str, ...] = tuple(sorted(set(DRILL_ACTIONS) | set(ADOPT_ACTIONS)))

TAG_DRILL = "rds_snapshot_copy_drill"  # on everything a drill creates: finds leftovers of a killed drill
DRILL_PREFIX = "drill"
CLEANUP_TIMEOUT_SECONDS = 1800.0
# How much later than usable (accepting connections) a restore may become available before the table says so.
USABLE_NOTE_SECONDS = 60.0
# What delete_created says of each registered resource; anything else is LEFT BEHIND.
DELETED = "deleted"
ALREADY_GONE = "already gone"  # it existed, and was gone by the time of its delete
NEVER_CREATED = "never created"
NOT_THIS_DRILLS = "not this drill's: left alone"  # there, but without this drill's token
_CLEANED = frozenset({DELETED, ALREADY_GONE, NEVER_CREATED, NOT_THIS_DRILLS})
LEFT_BEHIND = "LEFT BEHIND"
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]+")
# Random hex digits in each name and in each drill's token: two drills of one source in the same minute pick
# the same name once in 16**6 (and then the second's create is refused, which deletes nothing).
NAME_SUFFIX_DIGITS = 6
TOKEN_DIGITS = 12
_SYSTEM_RANDOM = random.SystemRandom()


# ------------------------------------------------------------------------------------------------ naming


def random_hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def drill_name(
    source: str,
    when: datetime,
    taken: set[str],
    exists: Callable[[str], bool],
    rng: random.Random | None = None,
) -> str:
    """drill-<source>-<yyyymmddhhmm>-<random hex>, within RDS's limits (the Aurora writer's '-writer'
    included), and neither `taken` in this drill nor existing in the region."""
    rng = rng or _SYSTEM_RANDOM
    stamp = when.astimezone(UTC).strftime("%Y%m%d%H%M")
    room = MAX_DATABASE_IDENTIFIER_LENGTH - len("-writer") - len(f"{DRILL_PREFIX}--{stamp}-") - NAME_SUFFIX_DIGITS
    name = re.sub(r"-{2,}", "-", _NOT_ALLOWED.sub("-", source.lower())).strip("-")[:room].strip("-") or "db"
    while True:
        candidate = f"{DRILL_PREFIX}-{name}-{stamp}-{random_hex(rng, NAME_SUFFIX_DIGITS)}"
        if candidate not in taken and not exists(candidate):
            taken.add(candidate)
            return candidate


# ------------------------------------------------------------------------------------------------ result


@dataclass
class Check:
    ok: bool
    expected: Any
    actual: Any

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "expected": self.expected, "actual": self.actual}


@dataclass
class SourceResult:
    plan: Plan
    job: Job
    rpo_seconds: float | None
    checks: dict[str, Check] = field(default_factory=dict)
    ended_at: float | None = None  # clock() when its deletion was requested (or the drill ended)
    cleanup: str = "not started"
    cleanup_by_resource: dict[str, str] = field(default_factory=dict)  # identifier -> what delete_created said

    @property
    def ok(self) -> bool:
        return self.job.available_at is not None and bool(self.checks) and all(c.ok for c in self.checks.values())

    @property
    def cost(self) -> prices.Estimate | None:
        if self.job.requested_at is None or not self.plan.instance_class:
            return None
        end = self.ended_at if self.ended_at is not None else self.job.requested_at
        return prices.estimate(self.plan.engine, self.plan.instance_class, end - self.job.requested_at)

    def as_json(self) -> dict[str, Any]:
        rp = self.plan.located.recovery_point
        cost = self.cost
        return {
            "source": self.plan.located.source,
            "kind": self.plan.kind,
            "snapshot": self.plan.located.snapshot_arn,
            "recovery_point": rp.isoformat() if rp else None,
            "rpo_seconds": None if self.rpo_seconds is None else round(self.rpo_seconds, 1),
            "restored": {"target": self.plan.target, "writer": self.plan.writer},
            "engine": self.plan.engine,
            "engine_version": self.plan.engine_version,
            "instance_class": self.plan.instance_class,
            "rto_seconds": None if self.job.rto_seconds is None else round(self.job.rto_seconds, 1),
            # First seen backing-up or available: accepting connections, possibly long before available.
            "usable_seconds": None if self.job.usable_seconds is None else round(self.job.usable_seconds, 1),
            "status": "ok" if self.ok else "failed",
            "error": self.job.error,
            "checks": {name: check.as_json() for name, check in self.checks.items()},
            "cost_usd": cost.usd if cost else None,
            "cost": {
                "hourly_usd": cost.hourly_usd,
                "billed_seconds": round(cost.billed_seconds, 1),
                "price_source": cost.source,
            }
            if cost
            else None,
            "cleanup": self.cleanup,
            "cleanup_by_resource": self.cleanup_by_resource,
        }

    @property
    def usable_early(self) -> bool:
        """Usable more than a minute before available: worth a note next to the RTO."""
        rto, usable = self.job.rto_seconds, self.job.usable_seconds
        return rto is not None and usable is not None and rto - usable > USABLE_NOTE_SECONDS


def check(plan: Plan, job: Job, kms_key_override: str | None = None) -> dict[str, Check]:
    """The restored database is what the copy promised: engine, encryption with the copy's key, tags."""
    copy = plan.located.copy
    restored = job.final.get("cluster") or job.final.get("instance") or {}
    encrypted_key = "StorageEncrypted"
    expected_key = kms_key_override or copy.get("KmsKeyId")
    checks = {
        "engine": Check(restored.get("Engine") == copy.get("Engine"), copy.get("Engine"), restored.get("Engine")),
        "encryption": Check(
            bool(expected_key) and bool(restored.get(encrypted_key)) and restored.get("KmsKeyId") == expected_key,
            expected_key or "an encrypted copy",
            restored.get("KmsKeyId") if restored.get(encrypted_key) else "not encrypted",
        ),
    }
    wanted = {t["Key"]: t["Value"] for t in plan.steps[0].params["Tags"]}
    provenance = (TAG_RESTORED_BY, TAG_RESTORED_FROM_REGION, TAG_RESTORED_FROM_SOURCE, TAG_RESTORED_FROM_SNAPSHOT)
    for what, resource in (("tags", restored), ("writer tags", job.final.get("instance") if plan.writer else None)):
        if resource is None:
            continue
        have = {t["Key"]: t.get("Value") for t in resource.get("TagList", [])}
        absent = [k for k in (*provenance, TAG_RECOVERY_POINT, TAG_DRILL) if have.get(k) != wanted.get(k)]
        checks[what] = Check(not absent, "provenance tags", "all present" if not absent else f"missing: {absent}")
    return checks


# ------------------------------------------------------------------------------------------------- clean-up


def delete_created(
    rds: Any,
    created: Created,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float,
    timeout_seconds: float = CLEANUP_TIMEOUT_SECONDS,
    token: str | None = None,
) -> dict[str, str]:
    """Delete every registered resource: instances first, then (once their members are gone) clusters.
    {identifier: what happened}; anything not deleted says how to delete it.

    Each is looked up first: a resource registered but never created (interrupted before its create was
    answered) is "never created" without a delete, which the operator's policy would refuse anyway: it
    allows deletes only of what carries the drill's tag, and what does not exist has no tags. With `token`
    (this drill's TAG_DRILL value), one there without it is another's (its create was interrupted before
    AWS refused it): left alone."""
    outcome: dict[str, str] = {}
    instances = [i for kind, i in created.resources if kind == "instance"]
    clusters = [c for kind, c in created.resources if kind == "cluster"]
    deadline = clock() + timeout_seconds
    try:
        for identifier in instances:
            found = _presence(rds, "instance", identifier, token)
            if found is not None:
                outcome[identifier] = found
                continue
            outcome[identifier] = _delete(
                lambda i=identifier: rds.delete_db_instance(
                    DBInstanceIdentifier=i, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                ),
                {"DBInstanceNotFound"},
                {"InvalidDBInstanceState"},
                clock,
                sleep,
                poll_seconds,
                deadline,
            )
        if clusters:
            # A cluster cannot be deleted while its instances are still being deleted.
            deleting = [i for i in instances if outcome.get(i) == DELETED]
            while any(_may_exist(instance_exists, rds, i) for i in deleting) and clock() < deadline:
                sleep(poll_seconds)
        for identifier in clusters:
            found = _presence(rds, "cluster", identifier, token)
            if found is not None:
                outcome[identifier] = found
                continue
            outcome[identifier] = _delete(
                lambda c=identifier: rds.delete_db_cluster(DBClusterIdentifier=c, SkipFinalSnapshot=True),
                {"DBClusterNotFoundFault"},
                {"InvalidDBClusterStateFault", "DBClusterToBeDeletedHasActiveMembers"},
                clock,
                sleep,
                poll_seconds,
                deadline,
            )
    except KeyboardInterrupt:
        pass
    for kind, identifier in created.resources:
        if outcome.get(identifier) not in _CLEANED:
            command = (
                f"aws rds delete-db-instance --db-instance-identifier {identifier} --skip-final-snapshot"
                if kind == "instance"
                else f"aws rds delete-db-cluster --db-cluster-identifier {identifier} --skip-final-snapshot"
            )
            outcome[identifier] = f"{LEFT_BEHIND} ({outcome.get(identifier, 'interrupted')}): {command}"
    return outcome


def _presence(rds: Any, kind: str, identifier: str, token: str | None) -> str | None:
    """None when the resource is there to delete (or the look-up failed: the delete finds out); NEVER_CREATED
    when RDS says it does not exist; NOT_THIS_DRILLS when it is there without this drill's `token`."""
    try:
        if kind == "cluster":
            found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        else:
            found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except ClientError as exc:
        return NEVER_CREATED if error_code(exc) in {"DBInstanceNotFound", "DBClusterNotFoundFault"} else None
    except BotoCoreError:
        return None
    if not found:
        return NEVER_CREATED
    tags = {t["Key"]: t.get("Value") for t in found[0].get("TagList") or []}
    return None if token is None or tags.get(TAG_DRILL) == token else NOT_THIS_DRILLS


def _may_exist(exists: Callable[[Any, str], bool], rds: Any, identifier: str) -> bool:
    """False only when RDS says it does not exist: a look-up that fails leaves the delete to find out."""
    try:
        return exists(rds, identifier)
    except (ClientError, BotoCoreError):
        return True


def cleanup_text(plan: Plan, outcome: dict[str, str]) -> str:
    """What happened to each part of one restore, by part: "deleted: writer, cluster" for Aurora."""
    parts = [("writer", plan.writer), ("cluster", plan.target)] if plan.writer else [("instance", plan.target)]
    # Not registered: its create was never made, or was answered with an error.
    states = [(label, outcome.get(identifier, NEVER_CREATED)) for label, identifier in parts]
    if all(state == NEVER_CREATED for _, state in states):
        return "nothing created"
    if len(states) == 1:
        return states[0][1]
    left = [state.replace(LEFT_BEHIND, f"{LEFT_BEHIND} {label}", 1) for label, state in states if state not in _CLEANED]
    deleted = [label for label, state in states if state in (DELETED, ALREADY_GONE)]
    never = [label for label, state in states if state == NEVER_CREATED]
    others = [label for label, state in states if state == NOT_THIS_DRILLS]
    return "; ".join(
        [
            *left,
            *([f"{DELETED}: {', '.join(deleted)}"] if deleted else []),
            *([f"{NEVER_CREATED}: {', '.join(never)}"] if never else []),
            *([f"{NOT_THIS_DRILLS}: {', '.join(others)}"] if others else []),
        ]
    )


def _delete(
    call: Callable[[], Any],
    gone: set[str],
    busy: set[str],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float,
    deadline: float,
) -> str:
    while True:
        try:
            call()
            return DELETED
        except ClientError as exc:
            code = error_code(exc)
            if code in gone:
                return ALREADY_GONE
            if code not in busy or clock() >= deadline:
                return f"{code}: {exc}"
        except BotoCoreError as exc:
            if clock() >= deadline:
                return f"{type(exc).__name__}: {exc}"
        sleep(poll_seconds)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, a pod stopped) cleans up like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------------------------- planning


def drill_sources(
    clients: Clients, names: list[str], all_sources: bool, owner: Owner, kind: str | None
) -> list[Located]:
    """The newest available copy of each named source, or of every source with one (--all), that is `owner`'s."""
    if all_sources:
        found = []
        for name in [kind] if kind else list(KINDS):
            newest = newest_copies(pages(clients.rds, name, SnapshotType="manual"), name, owner)
            found += [located(name, source, copy) for source, copy in sorted(newest.items())]
        if not found:
            raise RefusedError(
                [
                    f"no available copies from {owner.source_region} by deployment {owner.deployment} in the "
                    "destination: nothing to drill (copies made by 0.4.x count once adopted: rds-snapshot-copy "
                    "adopt)"
                ]
            )
        return found
    if not names:
        raise RefusedError(["name one or more sources, or --all"])
    problems, found = [], []
    source_region_calls = SourceRegion(clients, owner.source_region)
    for name in dict.fromkeys(names):
        try:
            found.append(locate(clients, name, owner, kind, source_region_calls.exists))
        except RefusedError as exc:
            problems += exc.problems
    if problems:
        raise RefusedError(problems)
    return found


def plan_drill(
    args: argparse.Namespace, clients: Clients, now: datetime, owner: Owner, rng: random.Random | None = None
) -> list[Plan]:
    """One plan per source, each under a unique name, every one tagged with this drill's own token."""
    rng = rng or _SYSTEM_RANDOM
    given = overrides_from(args)
    given.deletion_protection = False  # temporary databases: nothing may stop their deletion
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    given.tags = {**given.tags, TAG_DRILL: f"{stamp}-{random_hex(rng, TOKEN_DIGITS)}"}
    chosen = drill_sources(clients, args.sources, args.all, owner, args.kind)
    source_region = SourceRegion(clients, args.source_region)
    taken: set[str] = set()
    plans, problems = [], []
    for one in chosen:

        def exists(name: str, kind: str = one.kind) -> bool:
            if kind == "cluster":
                return cluster_exists(clients.rds, name) or instance_exists(clients.rds, writer_name(name))
            return instance_exists(clients.rds, name)

        target = drill_name(one.source, now, taken, exists, rng)
        try:
            settings = source_region.settings(one.kind, one.source)
            plans.append(build_plan(clients, one, args.source_region, args.region, target, settings, given))
        except RefusedError as exc:
            problems += [f"{one.source}: {p}" for p in exc.problems]
    if problems:
        raise RefusedError(problems)
    return plans


def drill_token(plan: Plan) -> str | None:
    """The TAG_DRILL value on everything `plan` creates: this drill's own."""
    return next((t["Value"] for t in plan.steps[0].params["Tags"] if t["Key"] == TAG_DRILL), None)


# ------------------------------------------------------------------------------------------------ running


@dataclass
class DrillReport:
    started_at: datetime
    source_region: str
    region: str
    results: list[SourceResult]
    kept: bool
    interrupted: str | None = None
    deployment: str | None = None  # whose copies were drilled (DEPLOYMENT_NAME)

    @property
    def ok(self) -> bool:
        return (
            self.interrupted is None
            and all(r.ok for r in self.results)
            and not any(LEFT_BEHIND in r.cleanup for r in self.results)
        )

    def as_json(self) -> dict[str, Any]:
        costs = [r.cost.usd for r in self.results if r.cost and r.cost.usd is not None]
        return {
            "drill_started_at": self.started_at.isoformat(),
            "source_region": self.source_region,
            "region": self.region,
            "deployment": self.deployment,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "kept": self.kept,
            "cost_usd": round(sum(costs), 4)
            if costs and len(costs) == len(self.results)
            else (None if not costs else f">= {round(sum(costs), 4)} (some classes unpriced)"),
            "sources": [r.as_json() for r in self.results],
        }


def run_drill(
    clients: Clients,
    plans: list[Plan],
    now: datetime,
    keep: bool,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float,
    timeout_seconds: float,
    console: Console,
    kms_key_override: str | None = None,
) -> DrillReport:
    created = Created()
    results = [
        SourceResult(p, Job(p), (now - p.located.recovery_point).total_seconds() if p.located.recovery_point else None)
        for p in plans
    ]
    report = DrillReport(now, plans[0].source_region, plans[0].region, results, kept=keep)
    with sigterm_interrupts():
        try:
            for result in results:
                result.job.start(clients.rds, created, clock)
            started = [r.job for r in results if not r.job.error]
            if started:
                wait(started, clients.rds, clock, sleep, poll_seconds, timeout_seconds, console)
            for result in results:
                if result.job.available_at is not None:
                    result.checks = check(result.plan, result.job, kms_key_override)
        except KeyboardInterrupt as exc:
            report.interrupted = f"interrupted ({exc or 'Ctrl-C'})"
        except TimeoutError as exc:
            report.interrupted = str(exc)
        except (ClientError, BotoCoreError) as exc:
            report.interrupted = f"AWS error: {exc}"
        finally:
            ended = clock()
            for result in results:
                result.ended_at = ended
            if keep and report.interrupted is None:
                for result in results:
                    result.cleanup = "kept"
            else:
                outcome = delete_created(clients.rds, created, clock, sleep, poll_seconds, token=drill_token(plans[0]))
                for result in results:
                    result.cleanup = cleanup_text(result.plan, outcome)
                    result.cleanup_by_resource = {
                        i: outcome[i] for i in (result.plan.writer, result.plan.target) if i and i in outcome
                    }
    return report


def publish(cloudwatch: Any, namespace: str, report: DrillReport) -> None:
    """LastDrillTimestamp (epoch seconds) only for a drill that passed: an alarm on its absence says how long
    it has been since the last good restore; RTO and RPO per source for dashboards. Every one carries the
    drill's source region, so two deployments copying into one destination from two regions never mix."""
    region = {"Name": DRILL_SOURCE_REGION_DIMENSION, "Value": report.source_region}
    data: list[dict[str, Any]] = [
        {
            "MetricName": LAST_DRILL_TIMESTAMP,
            "Dimensions": [region],
            "Value": report.started_at.timestamp(),
            "Unit": "Seconds",
        }
    ]
    for result in report.results:
        dims = [{"Name": "Source", "Value": result.plan.located.source}, region]
        for name, value in ((DRILL_RTO, result.job.rto_seconds), (DRILL_RPO, result.rpo_seconds)):
            if value is not None:
                data.append({"MetricName": name, "Dimensions": dims, "Value": value, "Unit": "Seconds"})
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 1000])


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def cost_text(estimate: prices.Estimate | None) -> str:
    return "-" if estimate is None else estimate.text()


def rto_text(result: SourceResult) -> str:
    if result.job.error is not None:
        return f"failed: {result.job.error}"
    text = duration(result.job.rto_seconds)
    return f"{text} (usable after {duration(result.job.usable_seconds)})" if result.usable_early else text


def print_report(report: DrillReport, console: Console) -> None:
    table = Table(
        title=f"Restore drill {report.source_region} -> {report.region}, {report.started_at:%Y-%m-%d %H:%M} UTC"
    )
    for column in ("source", "kind", "restored as", "RPO (age)", "RTO", "checks", "class", "cost", "clean-up"):
        table.add_column(column)
    for r in report.results:
        failed = [name for name, c in r.checks.items() if not c.ok]
        checks = "passed" if r.checks and not failed else (f"FAILED: {', '.join(failed)}" if failed else "-")
        table.add_row(
            r.plan.located.source,
            r.plan.kind,
            r.plan.target,
            duration(r.rpo_seconds),
            rto_text(r),
            checks,
            r.plan.instance_class or "-",
            cost_text(r.cost),
            r.cleanup,
        )
    console.print(table)
    if any(r.usable_early for r in report.results):
        console.print(
            "usable: first seen backing-up or available, when it accepts connections; RDS may keep a restored "
            "database backing-up (its first backup) long after that, and the RTO counts until available",
            markup=False,
            highlight=False,
        )
    if report.interrupted:
        console.print(f"drill stopped: {report.interrupted}", markup=False, highlight=False)
    console.print(
        f"cost: on-demand instance-hours only ({prices.PRICE_REGION} list prices as of {prices.PRICES_AS_OF}, "
        f"{prices.MINIMUM_BILLED_SECONDS // 60}-minute minimum)",
        markup=False,
        highlight=False,
    )


# ---------------------------------------------------------------------------------------------- the command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="*", help="source DB instance or Aurora cluster identifiers")
    parser.add_argument("--all", action="store_true", help="every source with an available copy")
    add_common_arguments(parser)
    parser.add_argument("--keep", action="store_true", help="keep the restored databases (if the drill completes)")
    parser.add_argument("--report", type=Path, help="write the report as JSON to this file")
    parser.add_argument(
        "--publish-metric",
        action="store_true",
        help=f"put {LAST_DRILL_TIMESTAMP} (and RTO/RPO per source) in CloudWatch in the destination region, "
        f"dimension {DRILL_SOURCE_REGION_DIMENSION}",
    )
    parser.add_argument("--namespace", default=DEFAULT_METRIC_NAMESPACE, help="metric namespace (%(default)s)")


def run(
    args: argparse.Namespace,
    clients: Clients | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    out: Any = None,
    err: Any = None,
    rng: random.Random | None = None,
) -> int:
    """0: every source restored, checked and cleaned up; 1: a restore, check, clean-up or AWS call failed,
    or the drill was interrupted; 2: bad input (nothing created). `rng` draws the names' suffixes and the
    drill's token (default: the system's randomness)."""
    stdout = Console(file=out or sys.stdout, soft_wrap=True, width=200)
    stderr = Console(file=err or sys.stderr, soft_wrap=True)
    started = now()
    try:
        if args.sources and args.all:
            raise RefusedError(["name sources or give --all, not both"])
        owner = resolve(args).owner
        clients = clients or make_clients(args.region, args.source_region)
        plans = plan_drill(args, clients, started, owner, rng)
    except RefusedError as exc:
        return refused(stderr, exc, "nothing was created")
    except (ClientError, BotoCoreError) as exc:
        return aws_failed(stderr, exc, "planning")
    for plan in plans:
        for note in plan.notes:
            stderr.print(f"note ({plan.located.source}): {note}", markup=False, highlight=False)
    report = run_drill(
        clients,
        plans,
        started,
        args.keep,
        clock,
        sleep,
        args.poll_seconds,
        args.timeout_seconds,
        stderr if args.json else stdout,
        args.kms_key_id,
    )
    report.deployment = owner.deployment
    document = report.as_json()
    if args.report:
        args.report.write_text(json.dumps(document, indent=2, default=str) + "\n")
    if args.json:
        print(json.dumps(document, default=str), file=stdout.file)
    else:
        print_report(report, stdout)
    if args.publish_metric:
        if report.ok:
            try:
                publish(clients.cloudwatch, args.namespace, report)
            except (ClientError, BotoCoreError) as exc:
                stderr.print(f"could not publish the drill's metrics: {exc}", markup=False, highlight=False)
                return 1
        else:
            stderr.print(f"{LAST_DRILL_TIMESTAMP} not published: the drill did not pass", markup=False, highlight=False)
    return 0 if report.ok else 1
