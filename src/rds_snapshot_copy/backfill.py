"""`rds-snapshot-copy backfill`: the reconciler's run, from a workstation, for any window.

It enqueues, on the copier's queue, an event for every source snapshot without a copy that the reconciler
would enqueue (snapshot_copy.reconcile: the same filters, snapshot types, grace, deployment and copy requests
table), but over the last `--days` (default: the deployment's RETENTION_DAYS) or over everything (`--all`):
snapshots taken before the module was deployed, for instance. Messages carry origin=backfill; the copier then
treats them as RDS's own events (its copy slots, waits and dead-letter queue). No metric is published:
the reconciler's alarm is fed by the function alone.

Every setting is the deployed reconciler's own, read from its environment (`--function`, required): none can
be given by flag, so a backfill never differs from the deployment (a grace, table or filter typed by hand, or
left out, would). Only the window is the command's: `--days` (a number more than 0 and at most
config.MAX_DAYS, refused by argparse otherwise) or `--all`.

`--dry-run` lists what would be enqueued (one row per snapshot) and why the others are not, and sends
nothing. `--force` also sends the snapshots the copy requests table holds back (requested within
REREQUEST_AFTER_HOURS, or dead-lettered since): the table is not read, and the new requests are written.
Exit status (exit_codes): 0 done, or a dry run (whatever it found to enqueue: the reconciler's daily work,
not a finding); 2 on bad input, or an AWS error: AWS could not be read (nothing was sent) or some messages
could not be sent (`--json` still prints the summary, with them under `failed`). It has no finding of its
own (1): `status` says which sources are past the RPO.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rds_snapshot_copy import deployment
from rds_snapshot_copy.exit_codes import ERROR, OK
from rds_snapshot_copy.status import console_for, format_time
from snapshot_copy.config import MAX_DAYS
from snapshot_copy.reconcile import SKIP_REASONS, Clients, ReconcileFailedError, Snapshot, reconcile, survey

HELP = (
    "Enqueue every source snapshot without a copy of this deployment from the last --days (default: the "
    "retention) or --all, exactly as the deployed reconciler would: its settings (filter, snapshot types, "
    "grace, copy requests table, deployment) are read from --function, none by flag. --dry-run lists them "
    "and sends nothing; --force also sends those the copy requests table holds back (requested recently)."
)

# What each exit status means for `backfill` (its --help's epilog; exit_codes holds the scheme).
EXIT_CODES = {
    OK: "done (every snapshot enqueued), or a dry run, whatever it would enqueue",
    ERROR: "a bad argument or input, or an AWS error: AWS could not be read (nothing sent), or some messages "
    "could not be sent (--json still prints the summary, with them under failed)",
}

ORIGIN = "backfill"
# The summary --json prints: reconcile()'s result, without the per-source entries (that is `status`).
SUMMARY_KEYS = (
    "dry_run",
    "origin",
    "window_days",
    "enqueued",
    "candidates",
    "already_copied",
    "skipped",
    "failed",
    "unrecorded",
    "incomplete",
)


# --days: past MAX_DAYS the window's start is before year 1 (OverflowError), and no setting may name more.
positive_days = deployment.number_type("a number of days", MAX_DAYS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    deployment.add_function_arguments(parser)
    window = parser.add_mutually_exclusive_group()
    window.add_argument(
        "--days",
        type=positive_days,
        metavar="N",
        help=f"only snapshots whose data was taken in the last N days (more than 0, at most {MAX_DAYS}; "
        "default: the deployment's RETENTION_DAYS)",
    )
    window.add_argument("--all", action="store_true", help="every snapshot, however old")
    parser.add_argument("--dry-run", action="store_true", help="list what would be enqueued; send nothing")
    parser.add_argument(
        "--force",
        action="store_true",
        help="also enqueue the snapshots the copy requests table holds back (requested recently, or dead-lettered "
        "since): for a snapshot whose earlier request is known to be lost",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary (the progress goes to stderr)")


class RequestsUnread:
    """The copy requests table as `--force` sees it: every read finds nothing, so no request holds a snapshot
    back; writes go through, so what is sent is recorded as usual (the reconciler then holds it back)."""

    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb

    def batch_get_item(self, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:  # boto3's keyword
        return {"Responses": {table: [] for table in RequestItems}, "UnprocessedKeys": {}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dynamodb, name)


def forced(clients: Clients) -> Clients:
    """`clients` whose copy requests table suppresses nothing (RequestsUnread)."""
    if clients.dynamodb is None:
        return clients
    return dataclasses.replace(clients, dynamodb=RequestsUnread(clients.dynamodb))


def window_days(args: argparse.Namespace) -> float | None:
    """reconcile()'s window: None for the deployment's retention, inf for --all."""
    if args.all:
        return math.inf
    return args.days


def summarized(result: dict[str, Any], force: bool) -> dict[str, Any]:
    """The summary --json prints of a run: reconcile()'s SUMMARY_KEYS, and whether --force was given."""
    return {key: result[key] for key in SUMMARY_KEYS} | {"force": force}


def snapshot_rows(snapshots: Iterable[Snapshot]) -> list[dict[str, Any]]:
    """One row per snapshot to enqueue (oldest first, as survey orders them)."""
    return [
        {
            "arn": s.arn,
            "kind": s.kind,
            "source": s.source,
            "snapshot_type": s.snapshot_type,
            "created": None if s.created is None else s.created.astimezone(UTC).isoformat(),
        }
        for s in snapshots
    ]


def plan(deployed: deployment.Deployment, clients: Any, now: datetime, window: float | None) -> dict[str, Any]:
    """The dry run: survey() only (read-only), shaped as the summary, with one row per snapshot."""
    found = survey(deployed.config, clients, now, window_days=window)
    return {
        "dry_run": True,
        "origin": ORIGIN,
        "window_days": found.window_days if math.isfinite(found.window_days) else None,
        "enqueued": [s.arn for s in found.candidates],
        "candidates": len(found.candidates),
        "already_copied": found.copied,
        "skipped": found.skipped_counts(),
        "failed": [],
        "unrecorded": 0,
        "incomplete": False,
        "snapshots": snapshot_rows(found.candidates),
    }


class SendProgress:
    """reconcile()'s progress callback, drawn as a rich progress bar; every (done, total) is kept in `updates`."""

    def __init__(self, console: Console) -> None:
        self.updates: list[tuple[int, int]] = []
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        # Until the first call, survey() is listing: the bar pulses (no total).
        self.task = self.bar.add_task("listing sources, copies and snapshots", total=None)

    def __call__(self, done: int, total: int) -> None:
        self.updates.append((done, total))
        self.bar.update(self.task, description="enqueueing", completed=done, total=total)

    def __enter__(self) -> SendProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def render(summary: dict[str, Any], console: Console) -> None:
    window = summary["window_days"]
    over = "of any age" if window is None else f"from the last {window:g} day(s)"
    if summary["dry_run"]:
        rows = summary["snapshots"]
        if rows:
            table = Table(title=f"Would enqueue (snapshots {over})")
            for header in ("Kind", "Source", "Type", "Created", "Snapshot ARN"):
                table.add_column(header, no_wrap=header != "Snapshot ARN", overflow="fold")
            for row in rows:
                table.add_row(row["kind"], row["source"], row["snapshot_type"], format_time(row["created"]), row["arn"])
            console.print(table)
        console.print(
            f"dry run: would enqueue {summary['candidates']} snapshot(s) {over}; nothing was sent",
            markup=False,
            highlight=False,
        )
    else:
        console.print(
            f"enqueued {len(summary['enqueued'])} of {summary['candidates']} snapshot(s) without a copy {over}",
            markup=False,
            highlight=False,
        )
    console.print(f"already copied: {summary['already_copied']}", markup=False, highlight=False)
    skipped = skipped_rows(summary["skipped"])
    if skipped:
        table = Table(title="Not enqueued")
        table.add_column("Reason")
        table.add_column("Snapshots", justify="right")
        for reason, count in skipped:
            table.add_row(reason, str(count))
        console.print(table)
    if summary["unrecorded"]:
        console.print(
            f"{summary['unrecorded']} request(s) could not be recorded in the copy requests table (the next "
            "reconciler run may enqueue them again; the copier ignores the duplicates)",
            markup=False,
            highlight=False,
        )


def skipped_rows(skipped: dict[str, int]) -> list[tuple[str, int]]:
    """(what the reason means, count), most first."""
    return [(SKIP_REASONS.get(code, code), count) for code, count in Counter(skipped).most_common()]


def run(
    args: argparse.Namespace,
    session: Any = None,
    now: datetime | None = None,
    stdout: Console | None = None,
    stderr: Console | None = None,
    progress: SendProgress | None = None,
) -> int:
    """0: done (or a dry run); 2: bad input, AWS unreadable (nothing sent), or some snapshots could not be
    enqueued (an AWS error)."""
    stdout = stdout or console_for(sys.stdout)
    stderr = stderr or console_for(sys.stderr)
    now = now or datetime.now(UTC)
    window = window_days(args)
    try:
        deployed = deployment.load(args, session)
        clients = deployed.clients(session)
        if args.force:
            clients = forced(clients)
        retention = deployed.config.retention_days
        if window is not None and window > retention:
            stderr.print(
                f"note: the deployment's RETENTION_DAYS is {retention}: where the pruner is on, copies of snapshots "
                f"older than that are deleted on its next run",
                markup=False,
                highlight=False,
            )
        if args.dry_run:
            summary = plan(deployed, clients, now, window) | {"force": args.force}
        else:
            with progress or SendProgress(stderr) as bar:
                result = reconcile(
                    deployed.config,
                    clients,
                    now,
                    window_days=window,
                    origin=ORIGIN,
                    progress=bar,
                    publish_metrics=False,
                )
            summary = summarized(result, args.force)
    except deployment.DeploymentError as exc:
        stderr.print(f"error: {exc}", markup=False, highlight=False)
        return ERROR
    except ReconcileFailedError as exc:
        stderr.print(f"error: {exc}", markup=False, highlight=False)
        if args.json and exc.result is not None:
            # What was sent is still news to a script: it must not re-send those.
            print(json.dumps(summarized(exc.result, args.force)), file=stdout.file)
        return ERROR
    except (ClientError, BotoCoreError) as exc:
        # survey() reads everything before the first message is sent; sending errors are ReconcileFailedError.
        stderr.print(f"error: cannot read the deployment's state from AWS (nothing sent): {exc}", markup=False)
        return ERROR
    if args.json:
        print(json.dumps(summary), file=stdout.file)
    else:
        render(summary, stdout)
    return OK
