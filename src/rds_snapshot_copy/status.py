"""`rds-snapshot-copy status`: each source database's and cluster's recovery point, worst first.

One row per source the deployment selects: its newest source snapshot, its newest available copy (the
recovery point), the lag between them, copies in progress, snapshots waiting in the queue or
dead-lettered (the copy requests table), and whether it is within the RPO; then the events queue's and its
dead-letter queue's message counts, and the copies per source the pruner's retention rules hold in the steady
state against the manual snapshot quota (snapshot_copy.sizing; where the environment carries the rules).
The figures are the reconciler's own (snapshot_copy.reconcile.survey, read-only): `--json` prints its
entries unchanged. Nothing is written and no metric is published.

The reconciler's rules hold here: a copy counts only when it is this deployment's (its deployment tag AND
its identifier, ownership.py) and available; times are the data's (snapshot_time.py), never when a snapshot
was copied. Copies made by 0.4.x (no deployment tag) are never a recovery point: they are counted (a note
under the table, `legacy_copies` in --json) with the hint to run `rds-snapshot-copy adopt`; copies that
failed are counted too (`broken_copies`: the reconciler enqueues their snapshots again).

Exit status (exit_codes): 0 when no source is past the RPO, 1 (a finding) when one is (what the
recovery_point alarm counts: a database younger than the RPO that has no copy yet is not late; 0.4.x copies
are noted, and are `adopt`'s finding), 2 on bad input or when AWS cannot be read.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from rds_snapshot_copy import deployment
from rds_snapshot_copy.exit_codes import ERROR, FINDING, OK
from snapshot_copy import sizing
from snapshot_copy.kinds import KINDS
from snapshot_copy.reconcile import Clients, survey
from snapshot_copy.reconcile_config import ReconcileConfig

HELP = (
    "Show each source database's and cluster's recovery point (its newest available copy), worst first, "
    "with the copies in progress, the messages waiting or dead-lettered, and the queues. Exits 1 when any "
    "source is past the RPO (for cron or CI), 2 when the deployment cannot be read."
)

# What each exit status means for `status` (its --help's epilog; exit_codes holds the scheme).
EXIT_CODES = {
    OK: "no source past the RPO (a database younger than the RPO without a copy yet is not late)",
    FINDING: "a source past the RPO (what the recovery_point alarm counts)",
    ERROR: "a bad argument or input, or an AWS error: the deployment or its state could not be read",
}

# rich would squeeze the table into 80 columns when the output is not a terminal.
NON_TERMINAL_WIDTH = 200

_QUEUE_COUNTS = {
    "visible": "ApproximateNumberOfMessages",
    "in_flight": "ApproximateNumberOfMessagesNotVisible",
    "delayed": "ApproximateNumberOfMessagesDelayed",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    deployment.add_arguments(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: rpo_hours, now, sources, legacy_copies, broken_copies, queue, steady_state",
    )


def queue_state(sqs: Any, url: str) -> dict[str, Any]:
    """The events queue's message counts, and its dead-letter queue's (found from its RedrivePolicy)."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[*_QUEUE_COUNTS.values(), "RedrivePolicy"])[
        "Attributes"
    ]
    state: dict[str, Any] = {"url": url, **_counts(attributes), "dead_letter": None}
    target = json.loads(attributes.get("RedrivePolicy") or "{}").get("deadLetterTargetArn")
    if target:
        # arn:aws:sqs:REGION:ACCOUNT:NAME; a dead-letter queue is always in its queue's region.
        account, name = target.split(":")[4:6]
        dlq_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=list(_QUEUE_COUNTS.values()))["Attributes"]
        state["dead_letter"] = {"url": dlq_url, "arn": target, **_counts(dlq)}
    return state


def _counts(attributes: dict[str, str]) -> dict[str, int]:
    return {key: int(attributes.get(name, 0)) for key, name in _QUEUE_COUNTS.items()}


def collect(
    config: ReconcileConfig, clients: Clients, now: datetime, environment: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The --json document: {"rpo_hours", "now", "sources": [the reconciler's entries], "legacy_copies" (0.4.x
    copies, of any source), "broken_copies" (this deployment's copies in a failed state), "queue",
    "steady_state" (the retention rules' copies per source against the quota, `steady_state`)}."""
    found = survey(config, clients, now)
    entries = found.entries()
    return {
        "rpo_hours": config.rpo_hours,
        "now": now.isoformat(),
        "sources": entries,
        "legacy_copies": found.legacy,
        "broken_copies": found.broken,
        "queue": queue_state(clients.sqs, config.copy_queue_url),
        "steady_state": steady_state(environment or {}, entries),
    }


def steady_state(environment: Mapping[str, str], entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The copies per source the pruner's rules hold in the steady state (snapshot_copy.sizing), and per kind
    the sources' total at the peak against AWS's default manual snapshot quota. The rules are read from the
    reconciler's environment (sizing.rules_from_env); None when it has none of them (settings by flag, or a
    deployment from before them); {"pruning": False} when pruning is off (copies accumulate)."""
    rules = sizing.rules_from_env(environment)
    if rules is None:
        return None
    if rules["retention_days"] is None:
        return {"pruning": False, "rules": rules}
    state = sizing.steady_state_copies(**rules)
    kinds = {}
    for name, kind in KINDS.items():
        sources = sum(1 for entry in entries if entry["kind"] == name)
        quota = kind.default_manual_snapshot_quota
        kinds[name] = {"sources": sources, "quota": quota, "at_peak": sources * state.peak}
    return {
        "pruning": True,
        "rules": rules,
        "copies": state.copies,
        "low": state.low,
        "peak": state.peak,
        "kinds": kinds,
    }


def steady_state_lines(state: dict[str, Any] | None) -> list[str]:
    """steady state: N copies per source, M sources -> X of the manual snapshot quota Q, per kind with sources."""
    if state is None:
        return []
    if not state["pruning"]:
        return ["steady state: pruning is off (retention_days null): copies accumulate until the quota is full"]
    shape = sizing.SteadyState(state["copies"], state["low"], state["peak"])
    lines = [
        f"{shape.quota_line(figures['sources'], figures['quota'], kind)}, AWS's default quota"
        for kind, figures in state["kinds"].items()
        if figures["sources"]
    ]
    return lines or [shape.quota_line(0, KINDS["db"].default_manual_snapshot_quota)]


def worst_first(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Past the RPO first, then without a copy, then the oldest recovery point."""

    def key(entry: dict[str, Any]) -> tuple[Any, ...]:
        age = entry["recovery_point_age_hours"]
        return (
            not entry["past_rpo"],
            entry["within_rpo"],
            -(math.inf if age is None else age),
            entry["kind"],
            entry["source"],
            entry.get("account") or "",
        )

    return sorted(entries, key=key)


def rpo_verdict(entry: dict[str, Any]) -> str:
    if entry["within_rpo"]:
        return "yes"
    if entry["past_rpo"]:
        if entry["recovery_point"]:
            return "NO"
        return "NO (0.4.x copies only)" if entry.get("legacy_copies") else "NO (no copy)"
    return "no copy yet"  # a database younger than the RPO


def rows(entries: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The table's cells, worst first."""
    return [
        {
            # Backup-account mode: a source is an (account, database); single-account entries have no account.
            "account": entry.get("account") or "-",
            "kind": entry["kind"],
            "source": entry["source"],
            "newest_snapshot": format_time(entry["newest_snapshot"]),
            "newest_copy": format_time(entry["recovery_point"]),
            "age": format_hours(entry["recovery_point_age_hours"]),
            "lag": format_hours(entry["lag_hours"]),
            "in_progress": str(entry["copies_in_progress"]),
            "waiting": str(entry["waiting"]),
            "dead_lettered": str(entry["dead_lettered"]),
            "within_rpo": rpo_verdict(entry),
        }
        for entry in worst_first(entries)
    ]


# Shown only when an entry names its account (backup-account mode).
ACCOUNT_COLUMN = {"account": "Account"}
COLUMNS = {
    "kind": "Kind",
    "source": "Source",
    "newest_snapshot": "Newest snapshot",
    "newest_copy": "Newest copy (recovery point)",
    "age": "Age",
    "lag": "Lag",
    "in_progress": "Copying",
    "waiting": "Waiting",
    "dead_lettered": "Dead-lettered",
    "within_rpo": "Within RPO",
}


def footer(report: dict[str, Any]) -> list[str]:
    queue = report["queue"]
    lines = [
        f"events queue {_queue_name(queue['url'])}: {queue['visible']} waiting, {queue['in_flight']} in flight, "
        f"{queue['delayed']} delayed"
    ]
    dlq = queue["dead_letter"]
    if dlq is None:
        lines.append("dead-letter queue: none (the events queue has no RedrivePolicy)")
    else:
        lines.append(f"dead-letter queue {_queue_name(dlq['url'])}: {dlq['visible'] + dlq['in_flight']} message(s)")
    legacy = report.get("legacy_copies") or 0
    if legacy:
        lines.append(
            f"copies made by 0.4.x (no deployment tag), not counted as recovery points: {legacy}; run "
            "`rds-snapshot-copy adopt` to make them this deployment's"
        )
    broken = report.get("broken_copies") or 0
    if broken:
        lines.append(f"copies of this deployment that failed (the reconciler enqueues their snapshots again): {broken}")
    past = sum(1 for e in report["sources"] if e["past_rpo"])
    total = len(report["sources"])
    rpo = f"RPO {report['rpo_hours']:g} h"
    lines.append(f"{rpo}: {past} of {total} source(s) past it" if past else f"{rpo}: no source past it ({total})")
    lines.extend(steady_state_lines(report.get("steady_state")))
    return lines


def render(report: dict[str, Any], console: Console, title: str | None = None) -> None:
    table = Table(title=title, show_lines=False)
    columns = ACCOUNT_COLUMN | COLUMNS if any("account" in e for e in report["sources"]) else COLUMNS
    for key, header in columns.items():
        table.add_column(header, no_wrap=key in ("account", "source", "newest_snapshot", "newest_copy"))
    styles = {
        "NO": "bold red",
        "NO (no copy)": "bold red",
        "NO (0.4.x copies only)": "bold red",
        "no copy yet": "yellow",
    }
    for row in rows(report["sources"]):
        table.add_row(*(row[key] for key in columns), style=styles.get(row["within_rpo"]))
    if report["sources"]:
        console.print(table)
    else:
        console.print("no source database or cluster is selected by this deployment", markup=False)
    for line in footer(report):
        console.print(line, markup=False, highlight=False)


def format_time(iso: str | None) -> str:
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_hours(hours: float | None) -> str:
    if hours is None:
        return "-"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def console_for(file: Any) -> Console:
    """A console on `file`: a terminal's own width, else (cron, a pipe, a CI log) wide enough for a row."""
    console = Console(file=file)
    if not console.is_terminal:
        console = Console(file=file, width=max(console.width, NON_TERMINAL_WIDTH))
    return console


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def run(
    args: argparse.Namespace,
    session: Any = None,
    now: datetime | None = None,
    stdout: Console | None = None,
    stderr: Console | None = None,
) -> int:
    """0: every source within the RPO (or not yet due); 1: a source past it; 2: bad input or AWS unreadable."""
    stdout = stdout or console_for(sys.stdout)
    stderr = stderr or console_for(sys.stderr)
    try:
        found = deployment.load(args, session)
        # The pruner's rules, where the deployment's environment carries them (deployment.Deployment.environment).
        rules = getattr(found, "environment", None)
        report = collect(found.config, found.clients(session), now or datetime.now(UTC), rules)
    except deployment.DeploymentError as exc:
        stderr.print(f"error: {exc}", markup=False, highlight=False)
        return ERROR
    except (ClientError, BotoCoreError) as exc:
        stderr.print(f"error: cannot read the deployment's state from AWS: {exc}", markup=False, highlight=False)
        return ERROR
    if args.json:
        print(json.dumps(report), file=stdout.file)
    else:
        render(report, stdout, title=f"Recovery points ({found.described_as})")
    return FINDING if any(entry["past_rpo"] for entry in report["sources"]) else OK
