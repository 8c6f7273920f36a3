"""The `drill` command: which sources, their plans (restore's planner, under the drill's names), the run
(every restore at once, then the checks, then the clean-up in a `finally`), argparse and the exit status.

Exit status (exit_codes): 0 every source restored, checked and cleaned up; 1 (a finding) the drill failed:
a restore AWS refused or failed, a check failed, a restore not available within --timeout-seconds, or
something left behind; 2 bad input (nothing created) or an AWS error that stopped the drill (planning,
waiting, publishing the metrics) or a report that could not be written; 130 interrupted (cleaned up).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from rds_snapshot_copy.adopt import ADOPT_ACTIONS
from rds_snapshot_copy.drill.checks import check
from rds_snapshot_copy.drill.cleanup import cleanup_text, delete_created, sigterm_interrupts
from rds_snapshot_copy.drill.names import _SYSTEM_RANDOM, TAG_DRILL, TOKEN_DIGITS, drill_name, drill_token, random_hex
from rds_snapshot_copy.drill.report import DrillReport, SourceResult, print_report, publish
from rds_snapshot_copy.exit_codes import ERROR, FINDING, INTERRUPTED, OK, worst
from rds_snapshot_copy.restore import (
    RESTORE_ACTIONS,
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
    in_another_account,
    instance_exists,
    locate,
    located,
    make_clients,
    newest_by_source,
    overrides_from,
    refused,
    resolve,
    settings_for,
    wait,
    writer_name,
)
from snapshot_copy.config import DEFAULT_METRIC_NAMESPACE
from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import pages
from snapshot_copy.metrics import DRILL_SOURCE_REGION_DIMENSION, LAST_DRILL_TIMESTAMP
from snapshot_copy.ownership import Owner

HELP = (
    "Restore the newest available copy of each source (or --all) that is the deployment's own (--function, or "
    "--deployment and the regions) into temporary databases under unique names, measure RPO (the age of the "
    "copy's data) and RTO, check them, delete what this drill created and nothing else; print the report, "
    "write it as JSON, optionally publish the drill's time as a metric."
)
# What each exit status means for `drill` (its --help's epilog; exit_codes holds the scheme).
EXIT_CODES = {
    OK: "every source restored, checked and cleaned up",
    FINDING: "the drill failed: a restore AWS refused or failed, a check failed, a restore not available "
    "within --timeout-seconds, or something left behind (the report says which)",
    ERROR: "a bad argument or input (nothing created), or an AWS error that stopped the drill (planning, "
    "waiting, publishing the metric), or the report could not be written",
    INTERRUPTED: "interrupted (Ctrl-C or SIGTERM): what it created is deleted first",
}

DRILL_ACTIONS: tuple[str, ...] = (
    *RESTORE_ACTIONS,
    "rds:DeleteDBInstance",
    "rds:DeleteDBCluster",
    "cloudwatch:PutMetricData",
)
# Every AWS action restore, drill and adopt call: the operator's policy and the IAM simulation are built from it.
OPERATOR_ACTIONS: tuple[str, ...] = tuple(sorted(set(DRILL_ACTIONS) | set(ADOPT_ACTIONS)))


def drill_sources(
    clients: Clients,
    names: list[str],
    all_sources: bool,
    owner: Owner,
    kind: str | None,
    account: str | None = None,
) -> list[Located]:
    """The newest available copy of each named source, or of every source with one (--all), that is `owner`'s:
    one per (account, database) (a vault holds several accounts' copies), of `account` alone when given."""
    if all_sources:
        found = []
        for name in [kind] if kind else list(KINDS):
            newest = newest_by_source(pages(clients.rds, name, SnapshotType="manual"), name, owner)
            found += [
                located(name, source, copy)
                for (whose, source), copy in sorted(newest.items())
                if source and (account is None or whose == account)
            ]
        if not found:
            of_account = f" of account {account}" if account else ""
            raise RefusedError(
                [
                    f"no available copies{of_account} from {owner.source_region} by deployment {owner.deployment} "
                    "in the destination: nothing to drill (copies made by 0.4.x count once adopted: "
                    "rds-snapshot-copy adopt)"
                ]
            )
        return found
    if not names:
        raise RefusedError(["name one or more sources, or --all"])
    problems, found = [], []
    source_region_calls = SourceRegion(clients, owner.source_region)
    # Another account's source is not looked up in the source region: these credentials read their own.
    exists = None if in_another_account(clients, account) else source_region_calls.exists
    for name in dict.fromkeys(names):
        try:
            found.append(locate(clients, name, owner, kind, exists, account))
        except RefusedError as exc:
            problems += exc.problems
    if problems:
        raise RefusedError(problems)
    return found


def plan_drill(
    args: argparse.Namespace, clients: Clients, now: datetime, owner: Owner, rng: random.Random | None = None
) -> list[Plan]:
    """One plan per source (per account and database), each under a unique name, every one tagged with this
    drill's own token."""
    rng = rng or _SYSTEM_RANDOM
    given = overrides_from(args)
    given.deletion_protection = False  # temporary databases: nothing may stop their deletion
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    given.tags = {**given.tags, TAG_DRILL: f"{stamp}-{random_hex(rng, TOKEN_DIGITS)}"}
    chosen = drill_sources(clients, args.sources, args.all, owner, args.kind, getattr(args, "source_account", None))
    # Several accounts' databases of one name: their names say whose (the random part keeps them apart anyway).
    several = len({one.account for one in chosen}) > 1
    source_region = SourceRegion(clients, args.source_region)
    taken: set[str] = set()
    plans, problems = [], []
    for one in chosen:

        def exists(name: str, kind: str = one.kind) -> bool:
            if kind == "cluster":
                return cluster_exists(clients.rds, name) or instance_exists(clients.rds, writer_name(name))
            return instance_exists(clients.rds, name)

        target = drill_name(one.source, now, taken, exists, rng, account=one.account if several else None)
        try:
            settings = settings_for(clients, source_region, one, given)
            plans.append(build_plan(clients, one, args.source_region, args.region, target, settings, given))
        except RefusedError as exc:
            label = f"{one.source} (account {one.account})" if several else one.label
            problems += [f"{label}: {p}" for p in exc.problems]
    if problems:
        raise RefusedError(problems)
    return plans


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
            report.stopped = INTERRUPTED
        except TimeoutError as exc:
            # What the drill is for: this restore would not have been available in time.
            report.interrupted = str(exc)
            report.stopped = FINDING
        except (ClientError, BotoCoreError) as exc:
            report.interrupted = f"AWS error: {exc}"
            report.stopped = ERROR
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="*", help="source DB instance or Aurora cluster identifiers")
    parser.add_argument(
        "--all",
        action="store_true",
        help="every source with an available copy (in a vault: every source account's, one drill per account "
        "and database; --source-account limits it to one account)",
    )
    add_common_arguments(parser)
    parser.add_argument("--keep", action="store_true", help="keep the restored databases (if the drill completes)")
    parser.add_argument(
        "--report",
        type=report_path,
        metavar="FILE",
        help="write the report as JSON to this file (its directory must exist)",
    )
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
    """0: every source restored, checked and cleaned up; 1: the drill failed (a restore refused or failed by
    AWS, a check failed, a restore not available in time, something left behind); 2: bad input (nothing
    created), an AWS error that stopped the drill, or the report could not be written; 130: interrupted
    (cleaned up). `rng` draws the names' suffixes and the drill's token (default: the system's randomness)."""
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
            stderr.print(f"note ({plan.located.label}): {note}", markup=False, highlight=False)
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
    codes = [report.stopped or OK, OK if report.ok else FINDING]
    if args.report:
        try:
            args.report.write_text(json.dumps(document, indent=2, default=str) + "\n")
        except OSError as exc:
            # Printed below all the same: the drill's result is not lost.
            stderr.print(f"could not write the report to {args.report}: {exc}", markup=False, highlight=False)
            codes.append(ERROR)
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
                codes.append(ERROR)
        else:
            stderr.print(f"{LAST_DRILL_TIMESTAMP} not published: the drill did not pass", markup=False, highlight=False)
    return worst(*codes)


def report_path(text: str) -> Path:
    """--report: a file in a directory that exists, checked before the drill starts (an hour of restores
    must not end in a report that cannot be written)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory: name a file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no directory {str(path.parent)!r} for {text!r}")
    return path
