"""The `restore` command: its arguments (and those `drill` shares), the run, the printing, the exit status.

Exit status (exit_codes): 0 planned (a dry run, whatever it would do) or restored and available; 1 (a
finding) not available within --timeout-seconds (the restore continues in AWS); 2 bad input (refused,
nothing changed) or an AWS error: a call failed, or AWS refused or failed the restore; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from rds_snapshot_copy import deployment
from rds_snapshot_copy.exit_codes import ERROR, FINDING, INTERRUPTED, OK
from rds_snapshot_copy.restore.aws import Clients, RefusedError, make_clients
from rds_snapshot_copy.restore.copies import locate, locate_snapshot
from rds_snapshot_copy.restore.job import Created, Job, wait
from rds_snapshot_copy.restore.plan import _COPY_TAG_KEYS, RESTORE_TAG_KEYS, Overrides, Plan
from rds_snapshot_copy.restore.planner import build_plan
from rds_snapshot_copy.restore.source import SourceRegion, in_another_account, settings_for
from snapshot_copy.config import MAX_HOURS
from snapshot_copy.kinds import KINDS
from snapshot_copy.ownership import LEGACY, OURS, Owner, classify
from snapshot_copy.tagging import RESERVED_PREFIX

HELP = (
    "Restore the newest available copy of a source DB instance or Aurora cluster (or a named copy) in the "
    "destination region. Only the deployment's own copies count (its deployment tag, source region tag and "
    "identifier; the deployment from --function, or --deployment and the regions), newest by when their data "
    "was taken, which is the recovery point it reports. Prints the plan (API calls and AWS CLI commands); runs "
    "it only with --apply."
)
# What each exit status means for `restore` (its --help's epilog; exit_codes holds the scheme).
EXIT_CODES = {
    OK: "planned (a dry run, whatever it would do), or restored and available",
    FINDING: "not available within --timeout-seconds (the restore continues in AWS)",
    ERROR: "a bad argument or input (refused, nothing changed), or an AWS error: a call failed, or AWS refused "
    "or failed the restore",
    INTERRUPTED: "interrupted while waiting (the restore continues in AWS)",
}

# Bounds of the numeric flags: past them a sleep or a deadline overflows.
MAX_POLL_SECONDS = 3600.0
MAX_TIMEOUT_SECONDS = MAX_HOURS * 3600.0
MAX_PORT = 65535
_ACCOUNT = re.compile(r"[0-9]{12}")


def account_id(text: str) -> str:
    """--source-account: an AWS account ID, 12 digits."""
    if not _ACCOUNT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an AWS account ID (12 digits)")
    return text


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments restore and drill share: whose copies, and the overrides of the restored database's
    settings."""
    deployment.add_identity_arguments(parser)
    parser.add_argument("--kind", choices=sorted(KINDS), help="db or cluster, when a name is both")
    parser.add_argument(
        "--source-account",
        type=account_id,
        metavar="ACCOUNT",
        help="the source's account (12 digits): needed in a vault (backup-account mode) when copies of the name "
        "come from more than one account; only that account's copies count",
    )
    parser.add_argument("--db-subnet-group", help="DB subnet group (default: the source's, if it exists here)")
    parser.add_argument(
        "--security-group-ids",
        nargs="+",
        metavar="SG",
        help="VPC security group IDs (default: the source's groups by name, in the subnet group's VPC)",
    )
    parser.add_argument("--instance-class", help="instance class (default: the source's; Aurora: its writer's)")
    parser.add_argument("--kms-key-id", help="Aurora only: the key for the restored cluster (default: the copy's)")
    parser.add_argument("--option-group", help="DB instances only: option group (default: the copy's/source's)")
    parser.add_argument(
        "--parameter-group",
        help="DB parameter group, or for Aurora the DB cluster parameter group (default: the source's)",
    )
    parser.add_argument("--instance-parameter-group", help="Aurora only: the writer's DB parameter group")
    parser.add_argument(
        "--port",
        type=deployment.number_type("a port number", MAX_PORT, whole=True),
        metavar="PORT",
        help="port (default: the source's, else the snapshot's)",
    )
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="extra tag (repeatable)")
    parser.add_argument(
        "--poll-seconds",
        type=deployment.number_type("a number of seconds", MAX_POLL_SECONDS),
        metavar="SECONDS",
        default=30.0,
        help=f"seconds between status checks (%(default)s; at most {MAX_POLL_SECONDS:g})",
    )
    parser.add_argument(
        "--timeout-seconds",
        type=deployment.number_type("a number of seconds", MAX_TIMEOUT_SECONDS),
        metavar="SECONDS",
        default=6 * 3600.0,
        help="give up waiting after this long (%(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (progress goes to stderr)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", help="the source DB instance or Aurora cluster identifier")
    parser.add_argument("--snapshot", help="restore this copy (identifier or ARN) instead of the newest")
    parser.add_argument("--target", help="the restored database's identifier (default: the source's)")
    parser.add_argument("--writer", help="Aurora: the writer instance's identifier (default: TARGET-writer)")
    add_common_arguments(parser)
    protection = parser.add_mutually_exclusive_group()
    protection.add_argument("--deletion-protection", dest="deletion_protection", action="store_true", default=None)
    protection.add_argument(
        "--no-deletion-protection",
        dest="deletion_protection",
        action="store_false",
        help="deletion protection of the restored database (default: on)",
    )
    parser.add_argument("--apply", action="store_true", help="restore (without it: print the plan only)")


def parse_tags(values: Iterable[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise RefusedError([f"--tag {value!r}: expected KEY=VALUE"])
        if key.lower().startswith(RESERVED_PREFIX):
            raise RefusedError([f"--tag {value!r}: keys starting with {RESERVED_PREFIX!r} are AWS's"])
        if key in RESTORE_TAG_KEYS or key in _COPY_TAG_KEYS:
            raise RefusedError([f"--tag {value!r}: {key} is set by the restore itself"])
        tags[key] = text
    return tags


def overrides_from(args: argparse.Namespace) -> Overrides:
    return Overrides(
        db_subnet_group=args.db_subnet_group,
        security_group_ids=args.security_group_ids,
        instance_class=args.instance_class,
        kms_key_id=args.kms_key_id,
        option_group=args.option_group,
        parameter_group=args.parameter_group,
        instance_parameter_group=args.instance_parameter_group,
        port=args.port,
        deletion_protection=getattr(args, "deletion_protection", None),
        tags=parse_tags(args.tag),
    )


def resolve(args: argparse.Namespace, session: Any = None) -> deployment.Identity:
    """The deployment's identity (--function or the flags); its regions are set on `args` (source_region and
    region, the destination). Raises RefusedError naming what is missing or contradictory."""
    try:
        found = deployment.identity(
            getattr(args, "function", None), args.source_region, args.region, getattr(args, "deployment", None), session
        )
    except deployment.DeploymentError as exc:
        raise RefusedError([str(exc)]) from None
    args.source_region, args.region = found.source_region, found.destination_region
    return found


def plan_restore(args: argparse.Namespace, clients: Clients, owner: Owner) -> Plan:
    if not args.source and not args.snapshot:
        raise RefusedError(["name the source database (positional) or a copy (--snapshot)"])
    given = overrides_from(args)
    account = getattr(args, "source_account", None)
    source_region = SourceRegion(clients, args.source_region)
    if args.snapshot:
        chosen = locate_snapshot(clients, args.snapshot, args.kind, account)
        if args.source and args.source != chosen.source:
            raise RefusedError([f"--snapshot {args.snapshot} is a copy of {chosen.source}, not of {args.source}"])
    else:
        # Another account's source is not looked up in the source region: these credentials read their own.
        elsewhere = in_another_account(clients, account)
        chosen = locate(clients, args.source, owner, args.kind, None if elsewhere else source_region.exists, account)
    settings = settings_for(clients, source_region, chosen, given)
    plan = build_plan(
        clients,
        chosen,
        args.source_region,
        args.region,
        args.target or chosen.source,
        settings,
        given,
        writer=args.writer,
    )
    verdict = classify(chosen.copy, chosen.kind, owner)
    if verdict != OURS:
        # Named by the operator: restored as asked, and said plainly whose it is.
        whose = "a 0.4.x copy without a deployment tag" if verdict == LEGACY else "not a copy this deployment made"
        plan.notes.append(f"{chosen.snapshot_identifier} is {whose} (deployment {owner.deployment}); restored as named")
    return plan


def print_plan(plan: Plan, console: Console) -> None:
    rp = plan.located.recovery_point
    account = f", account {plan.located.account}" if plan.located.account else ""
    console.print(
        f"[bold]{'Aurora cluster' if plan.kind == 'cluster' else 'DB instance'} {plan.located.source}[/bold] "
        f"({plan.source_region}{account}) -> [bold]{plan.target}[/bold] in {plan.region}"
    )
    console.print(f"  copy:           {plan.located.snapshot_arn}")
    console.print(f"  recovery point: {rp.isoformat() if rp else 'unknown'}")
    console.print(f"  engine:         {plan.engine} {plan.engine_version or ''}")
    table = Table("setting", "from", box=None, pad_edge=False)
    for setting, origin in plan.origins.items():
        table.add_row(setting, origin)
    console.print(table)
    for note in plan.notes:
        console.print(f"  note: {note}")
    for step in plan.steps:
        console.print(f"\n[bold]{step.operation}[/bold]")
        console.print_json(json.dumps(step.params, default=str))
        console.print(step.cli(plan.region), soft_wrap=True, markup=False, highlight=False)


def refused(stderr: Console, exc: RefusedError, unchanged: str) -> int:
    """Every problem, one line each, then what was left alone: exit 2 (bad input)."""
    for problem in exc.problems:
        stderr.print(f"refused: {problem}", markup=False, highlight=False)
    stderr.print(unchanged, markup=False, highlight=False)
    return ERROR


def aws_failed(stderr: Console, exc: Exception, doing: str) -> int:
    """An AWS call failed: exit 2."""
    stderr.print(f"AWS error while {doing}: {exc}", markup=False, highlight=False)
    return ERROR


def run(
    args: argparse.Namespace,
    clients: Clients | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    out: Any = None,
    err: Any = None,
) -> int:
    """0: planned, or restored and available; 1: not available within --timeout-seconds (it continues in
    AWS); 2: bad input (refused, nothing changed) or an AWS error (a call failed, or AWS refused or failed the
    restore); 130: interrupted while waiting (it continues in AWS)."""
    stdout = Console(file=out or sys.stdout, soft_wrap=True)
    stderr = Console(file=err or sys.stderr, soft_wrap=True)
    try:
        owner = resolve(args).owner
        clients = clients or make_clients(args.region, args.source_region)
        plan = plan_restore(args, clients, owner)
    except RefusedError as exc:
        return refused(stderr, exc, "nothing was changed")
    except (ClientError, BotoCoreError) as exc:
        return aws_failed(stderr, exc, "planning")
    if not args.apply:
        if args.json:
            print(
                json.dumps({"applied": False, "deployment": owner.deployment, **plan.as_json()}, default=str),
                file=stdout.file,
            )
        else:
            print_plan(plan, stdout)
            stdout.print("\n(dry run: nothing was changed; add --apply to restore)", markup=False, highlight=False)
        return OK
    if not args.json:
        print_plan(plan, stdout)
    job = Job(plan)
    try:
        job.start(clients.rds, Created(), clock)
        if not job.error:
            wait(
                [job],
                clients.rds,
                clock,
                sleep,
                args.poll_seconds,
                args.timeout_seconds,
                stderr if args.json else stdout,
            )
    except KeyboardInterrupt:
        noun = "db-cluster" if plan.kind == "cluster" else "db-instance"
        stderr.print(
            f"interrupted: the restore of {plan.target} continues in AWS; wait for it with: "
            f"aws rds wait {noun}-available --region {plan.region} --{noun}-identifier {plan.target}",
            markup=False,
            highlight=False,
        )
        return INTERRUPTED
    except TimeoutError as exc:
        stderr.print(f"{exc}; the restore continues in AWS", markup=False, highlight=False)
        return FINDING
    except (ClientError, BotoCoreError) as exc:
        return aws_failed(stderr, exc, "waiting")
    result = {
        "applied": True,
        "deployment": owner.deployment,
        **plan.as_json(),
        "status": "available" if not job.error else "failed",
        "error": job.error,
        "elapsed_seconds": round(job.rto_seconds, 1) if job.rto_seconds is not None else None,
        "usable_seconds": round(job.usable_seconds, 1) if job.usable_seconds is not None else None,
        **job.endpoint(),
    }
    if args.json:
        print(json.dumps(result, default=str), file=stdout.file)
    elif job.error:
        stderr.print(job.error, markup=False, highlight=False)
    else:
        where = job.endpoint()
        address = where.get("writer_endpoint") or where.get("endpoint")
        stdout.print(
            f"\n{plan.target} is available at {address}:{where.get('port')} "
            f"after {result['elapsed_seconds']} s"
            + (f" (reader endpoint {where.get('reader_endpoint')})" if where.get("reader_endpoint") else ""),
            markup=False,
            highlight=False,
        )
    # job.error: AWS refused a call of the plan, or failed the restore (a failed status): an AWS error.
    return ERROR if job.error else OK
