"""`make demo`: the module and the function end to end, against a local AWS emulator, in under 2 minutes.

    rds-snapshot-copy demo

1. terraform init + apply of examples/complete (unchanged, the module copied with it; a generated override
   points its two providers at moto_server), with the function package built by `rds-snapshot-copy package`;
2. an encrypted RDS instance and Aurora cluster in the source region, a manual snapshot of each;
3. RDS's snapshot-created events on the source region's default bus: the deployed rule routes them
   to the deployed queue; a snapshot-deleted event reaches nothing;
4. the handler from the deployed package (hash = the function's CodeSha256), with the function's own
   environment, consumes the queue as the event source mapping would;
5. a table of the copies in the destination region;
6. retention: older copies seeded, the deployed pruner deletes the expired ones, and keeps an operator's
   copy that carries this deployment's tags under another name;
7. missed events: the automated snapshots whose events never reached the bus, caught by the deployed
   reconciler (as its schedule calls it) and copied by the copier;
8. `rds-snapshot-copy status`: every source within the RPO, then a stale source past it (exit 1);
9. `rds-snapshot-copy drill`: the DB copy and the Aurora copy restored, timed, checked, deleted;
10. terraform destroy (keeping the key), emulator stopped, temporary directory removed: also on failure
   or Ctrl-C.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from rds_snapshot_copy.demo.aws import (
    DESTINATION_REGION,
    SCHEDULED_EVENT,
    SOURCE_REGION,
    Clients,
    Copy,
    create_source_snapshots,
    expected_copy_tags,
    find_copy,
    put_rds_event,
    queue_depth,
    queued_event_ids,
)
from rds_snapshot_copy.demo.emulator import Emulator, signals_raise_keyboard_interrupt
from rds_snapshot_copy.demo.handler import DeployedPackage, consume_queue, run_handler
from rds_snapshot_copy.demo.readback import read_back_function, read_back_scheduled_function
from rds_snapshot_copy.demo.recovery_steps import (
    DRILL_ARGS,
    STALE_HOURS,
    CommandRun,
    as_source_snapshot,
    automated_snapshots,
    create_stale_source,
    run_command,
)
from rds_snapshot_copy.demo.retention_steps import (
    AUDIT_COPY,
    SeededCopy,
    destination_copies,
    expired,
    seed_older_copies,
)
from rds_snapshot_copy.demo.stack import Stack, Workspace, remove_keeping_key
from rds_snapshot_copy.terraform_cli import installation_summary
from snapshot_copy.drill_age import NO_DRILL_DAYS
from snapshot_copy.metrics import DAYS_SINCE_LAST_DRILL

# Terraform's lines worth showing: each resource as it is done, the summary, errors, interrupts.
TERRAFORM_PROGRESS = re.compile(
    r"^(?:\S+: (?:Creation|Destruction) complete after"
    r"|Apply complete!|Destroy complete!|Error: |Interrupt received|Stopping operation)"
)
BOX_DRAWING = re.compile(r"^[\s\u2502\u2577\u2575]+")


class Reporter:
    """Progress lines with the time since the start; each step's own duration at its end."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.start = time.monotonic()
        self.step_start = self.start
        self.durations: list[tuple[str, float]] = []
        self._step: str | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def line(self, text: str) -> None:
        print(f"[{self.elapsed():6.1f}s] {text}", file=self.out, flush=True)

    def step(self, title: str) -> None:
        self.end_step(failed=sys.exc_info()[0] is not None)
        self._step = title
        self.step_start = time.monotonic()
        print(file=self.out)
        self.line(f"== {title}")

    def end_step(self, failed: bool = False) -> None:
        if self._step is not None:
            took = time.monotonic() - self.step_start
            self.durations.append((self._step, took))
            self.line(f"   {'stopped after' if failed else 'done in'} {took:.1f} s")
            self._step = None

    def terraform_line(self, line: str) -> None:
        line = BOX_DRAWING.sub("", line).strip()
        if TERRAFORM_PROGRESS.match(line):
            self.line("   " + line.replace("module.rds_snapshot_copy.", ""))


def short_key(arn: str) -> str:
    return arn.split("/")[-1] if arn else "-"


def print_table(copies: list[Copy], kms_key_arn: str, out: TextIO) -> None:
    rows = [("source snapshot", f"copy in {DESTINATION_REGION}", "KMS key", "event -> copy", "tags")]
    for c in copies:
        key = short_key(c.kms_key_id) + (" (terraform)" if c.kms_key_id == kms_key_arn else " (OTHER)")
        seconds = f"{c.seconds_from_event:.1f} s" if c.seconds_from_event is not None else "-"
        tags = ", ".join(f"{k}={v}" for k, v in sorted(c.tags.items()) if k != "source_snapshot_arn")
        rows.append((f"{c.source.kind}: {c.source.identifier}", c.identifier, key, seconds, tags))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  " + "  ".join("-" * width for width in widths), file=out)
    print("  (every copy also carries source_snapshot_arn = the source snapshot's ARN)", file=out)


def print_prune_table(
    copies: list[Copy],
    seeded: list[SeededCopy],
    before: dict[str, dict[str, str]],
    after: dict[str, dict[str, str]],
    result: dict,
    out: TextIO,
) -> None:
    ages = {c.identifier: 0 for c in copies} | {s.identifier: s.days_old for s in seeded}
    foreign = {s.identifier for s in seeded if not s.ours}
    rows = [("copy", "of", "days old", "pruner")]
    for identifier, seen in sorted(before.items(), key=lambda item: (item[1]["kind"], ages.get(item[0], -1))):
        verdict = "deleted" if identifier not in after else "kept"
        if identifier in foreign:
            verdict += " (an operator's CopyTags copy: this deployment's tags, not its copier's name)"
        rows.append((identifier, f"{seen['kind']}: {seen['source']}", str(ages.get(identifier, "?")), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  " + "  ".join("-" * width for width in widths), file=out)
    quota = ", ".join(f"{k} {v['used']}/{v['quota']} ({v['percent']} %)" for k, v in result["quota"].items())
    print(
        f"  retention {result['retention_days']} days, keep_last {result['keep_last']}; quota used: {quota}", file=out
    )


def run(report: Reporter, repo: Path | None = None) -> list[Copy]:
    out = report.out
    print("RDS / Aurora snapshot copy: examples/complete end to end against a local AWS emulator", file=out)
    emulator = Emulator()
    workspace: Workspace | None = None
    stack: Stack | None = None
    try:
        emulator.start()
        pid = emulator.process.pid if emulator.process else "?"
        report.line(f"emulator: moto_server on {emulator.endpoint} (pid {pid})")
        workspace = Workspace.create(emulator.endpoint, repo)
        report.line(f"package:  deterministic zip of lambda/, sha256 {workspace.package.base64_sha256}")
        report.line(f"workdir:  {workspace.root} (the module and examples/complete, copied, + emulator override)")

        report.step(f"1/10 terraform init + apply of examples/complete ({SOURCE_REGION} -> {DESTINATION_REGION})")
        stack = Stack(workspace, on_line=report.terraform_line)
        stack.init()
        report.line(f"   init: done ({installation_summary()})")
        stack.apply()
        outputs = stack.outputs()
        clients = Clients(emulator)
        function = read_back_function(clients, outputs["function_name"], queue_arn_of(clients, outputs["queue_url"]))
        report.line(f"   read back: function {function.name}, CodeSha256 {function.code_sha256}")
        report.line(f"   read back: event source mapping from the queue, batch size {function.batch_size}")

        report.step("2/10 source: RDS instance + Aurora cluster, a manual snapshot of each")
        sources = create_source_snapshots(clients)
        for s in sources:
            tags = ", ".join(f"{k}={v}" for k, v in sorted(s.tags.items()))
            report.line(f"   {s.kind:7} snapshot {s.arn} ({tags})")

        report.step("3/10 RDS events on the default bus of " + SOURCE_REGION)
        deleted = put_rds_event(clients, sources[0], "RDS-EVENT-0041")
        depth = queue_depth(clients, outputs["queue_url"])
        report.line(f"   RDS-EVENT-0041 (snapshot deleted): queue holds {depth} message(s): the rule ignores it")
        if depth != 0:
            raise AssertionError(f"the deletion event {deleted.event_id} reached the queue")
        put = [put_rds_event(clients, s, s.created_event_id) for s in sources]
        arrived = queued_event_ids(clients, outputs["queue_url"])
        for p in put:
            verdict = "routed to the queue by the rule" if p.event_id in arrived else "DID NOT ARRIVE"
            report.line(f"   {p.rds_event_id} ({p.snapshot.kind} snapshot created): {verdict}")
        if sorted(p.event_id for p in put) != arrived:
            raise AssertionError(f"queue holds {arrived}, expected {sorted(p.event_id for p in put)}")

        report.step("4/10 the deployed package's handler consumes the queue (as the event source mapping)")
        with tempfile.TemporaryDirectory(prefix="function-", dir=workspace.root) as unpacked:
            package = DeployedPackage.unpack(workspace.package, function, Path(unpacked))
            report.line(f"   package sha256 == deployed CodeSha256 ({package.base64_sha256}); env from GetFunction")
            batches = consume_queue(clients, emulator, package, function, outputs["queue_url"], expected=len(put))
        for b in batches:
            report.line(
                f"   batch of {len(b.records)}: {len(b.records) - len(b.failed_ids)} handled and deleted, "
                f"{len(b.failed_ids)} reported back"
            )
            show_metrics(report, b.log, nonzero_only=True)
        report.line(f"   queue now holds {queue_depth(clients, outputs['queue_url'])} message(s)")

        report.step("5/10 copies in " + DESTINATION_REGION)
        # The module's name is the deployment's identity, written on every copy (the copier is named after it).
        deployment = outputs["function_name"]
        copies = []
        finished = max(b.finished_at for b in batches)
        for p in put:
            copy = find_copy(clients, p.snapshot)
            if copy is None:
                raise AssertionError(f"no copy of {p.snapshot.arn} in {DESTINATION_REGION}")
            expected = expected_copy_tags(p.snapshot, deployment)
            if copy.tags != expected:
                raise AssertionError(f"copy {copy.identifier} has tags {copy.tags}, expected {expected}")
            copies.append(Copy(**{**copy.__dict__, "seconds_from_event": finished - p.put_at}))
        print(file=out)
        print_table(copies, outputs["kms_key_arn"], out)
        print(file=out)
        if any(c.kms_key_id != outputs["kms_key_arn"] for c in copies):
            raise AssertionError(f"a copy is not encrypted with the Terraform-created key {outputs['kms_key_arn']}")

        report.step("6/10 retention: older copies of the same sources, then the deployed pruner (its schedule's call)")
        seeded = seed_older_copies(clients, sources, deployment)
        report.line(
            f"   seeded {len([s for s in seeded if s.ours])} older copies (tagged and named as the copier tags and "
            "names its own), backdated by the emulator"
        )
        report.line(f"   and {AUDIT_COPY}: an operator's copy of the oldest, with CopyTags (all of its tags)")
        pruner = read_back_scheduled_function(clients, outputs["prune_function_name"])
        env = pruner.environment
        report.line(
            f"   {pruner.name}: RETENTION_DAYS={env.get('RETENTION_DAYS')} KEEP_LAST={env.get('KEEP_LAST')} "
            f"DRY_RUN={env.get('DRY_RUN')}"
        )
        before = destination_copies(clients)
        with tempfile.TemporaryDirectory(prefix="pruner-", dir=workspace.root) as unpacked:
            package = DeployedPackage.unpack(workspace.package, pruner, Path(unpacked))
            result, _ = run_handler(package, pruner, emulator, SCHEDULED_EVENT)
        after = destination_copies(clients)
        print(file=out)
        print_prune_table(copies, seeded, before, after, result, out)
        print(file=out)
        gone = set(before) - set(after)
        if gone != set(result["deleted"]):
            raise AssertionError(f"the pruner says it deleted {result['deleted']}, the destination lost {sorted(gone)}")
        if gone != expired(seeded):
            raise AssertionError(f"the pruner deleted {sorted(gone)}, expected {sorted(expired(seeded))}")

        report.step("7/10 missed events: the deployed reconciler (its schedule's call), then the copier")
        missed = automated_snapshots(clients)
        report.line(
            f"   {len(missed)} automated snapshots, taken as each database was created; no event reached the bus:"
        )
        for arn in missed:
            report.line(f"     {arn}")
        reconciler = read_back_scheduled_function(clients, outputs["reconcile_function_name"])
        env = reconciler.environment
        report.line(
            f"   {reconciler.name}: RPO_HOURS={env.get('RPO_HOURS')} RETENTION_DAYS={env.get('RETENTION_DAYS')} "
            f"GRACE_MINUTES={env.get('GRACE_MINUTES')} REQUESTS_TABLE={env.get('REQUESTS_TABLE')}"
        )
        with tempfile.TemporaryDirectory(prefix="reconciler-", dir=workspace.root) as unpacked:
            package = DeployedPackage.unpack(workspace.package, reconciler, Path(unpacked))
            reconciled, log = run_handler(package, reconciler, emulator, SCHEDULED_EVENT)
        report.line(f"   enqueued {len(reconciled['enqueued'])} on the copier's queue, shaped like RDS's own events")
        show_metrics(report, log)
        if sorted(reconciled["enqueued"]) != missed:
            raise AssertionError(f"the reconciler enqueued {reconciled['enqueued']}, expected {missed}")
        with tempfile.TemporaryDirectory(prefix="function-", dir=workspace.root) as unpacked:
            package = DeployedPackage.unpack(workspace.package, function, Path(unpacked))
            consume_queue(clients, emulator, package, function, outputs["queue_url"], expected=len(missed))
        for arn in missed:
            copy = find_copy(clients, as_source_snapshot(arn))
            if copy is None:
                raise AssertionError(f"no copy of {arn} after the reconciler enqueued it")
            report.line(f"   copied: {copy.identifier} ({copy.status})")

        report.step("8/10 rds-snapshot-copy status: each source's recovery point")
        status_args = ("status", "--function", reconciler.name, "--region", SOURCE_REGION)
        show_command(report, run_command(emulator, *status_args), expect=0)
        stale = create_stale_source(clients, deployment)
        report.line(
            f"   simulated outage: {stale.identifier}'s newest copy is {STALE_HOURS} h old (backdated by the "
            "emulator); the snapshot taken since has none"
        )
        show_command(report, run_command(emulator, *status_args), expect=1)

        report.step("9/10 rds-snapshot-copy drill: restore the DB and the Aurora copy, time them, delete them")
        drilled = run_command(emulator, *DRILL_ARGS, "--report", str(workspace.root / "drill.json"))
        unchecked = show_command(report, drilled, expect=0, hide=UNKNOWN_CLASSES)
        known = f"; it lists no instance classes of {', '.join(unchecked)}: that check was skipped" if unchecked else ""
        report.line(
            f"   (the emulator makes a database available at once, so the RTO is the command's own time{known})"
        )
        return copies
    finally:
        cleanup(report, emulator, workspace, stack)


def show_metrics(report: Reporter, log: str, nonzero_only: bool = False) -> None:
    """The EMF lines a function wrote to stdout, as CloudWatch would extract them."""
    for line in log.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            emf = json.loads(line)
            names = [m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
            shown = ", ".join(metric(name, emf[name]) for name in names if emf.get(name) or not nonzero_only)
            report.line(f"   metrics (EMF on the function's stdout): {shown or 'all zero'}")


def metric(name: str, value: object) -> str:
    # The drill age has a stand-in value for "never" (what its alarm reads as overdue): say it in words.
    if name == DAYS_SINCE_LAST_DRILL and value == NO_DRILL_DAYS:
        return f"{name}=no drill yet"
    return f"{name}={value}"


# The drill's note where the region lists no instance class for an engine version: the emulator knows the
# classes of Aurora PostgreSQL only, so the demo says so once, in words, rather than show the note per database.
UNKNOWN_CLASSES = re.compile(r"note \([^)]*\): \S+ lists no orderable options for (\S+) \S+: \S+ not checked")


def show_command(report: Reporter, run: CommandRun, expect: int, hide: re.Pattern[str] | None = None) -> list[str]:
    """Print the command line, its output and its exit status (which must be `expect`), without the lines that
    `hide` matches; return the first group of each of those."""
    report.line("   $ " + " ".join(run.argv))
    hidden = []
    for line in (run.stdout + run.stderr).rstrip().splitlines():
        found = hide.search(line) if hide is not None else None
        if found:
            hidden.append(found.group(1))
            continue
        print("     " + line, file=report.out)
    report.line(f"   exit {run.returncode}")
    if run.returncode != expect:
        raise AssertionError(f"{' '.join(run.argv)} exited {run.returncode}, expected {expect}")
    return sorted(set(hidden))


def queue_arn_of(clients: Clients, queue_url: str) -> str:
    sqs = clients("sqs", SOURCE_REGION)
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def cleanup(report: Reporter, emulator: Emulator, workspace: Workspace | None, stack: Stack | None) -> None:
    """The safe removal (the key stays, so the copies stay restorable; README, "Remove it safely"), stop
    the emulator, remove the working copy: each even if the one before failed."""
    in_flight = sys.exc_info()[1]
    report.step("10/10 remove the stack but keep its key (terraform state rm + destroy), stop the emulator")
    if isinstance(in_flight, KeyboardInterrupt):
        report.line("   interrupted: Terraform was stopped and saved its state; destroying what it created")
    elif in_flight is not None:
        report.line(f"   a step failed ({type(in_flight).__name__}); cleaning up anyway")
    try:
        if stack is not None and stack.applied and emulator.running:
            kept = remove_keeping_key(stack)
            if kept:
                report.line(f"   kept (the copies stay restorable): {', '.join(kept)}")
    except KeyboardInterrupt:
        report.line("   interrupted again: destroy skipped (the emulator holds it all in memory and stops now)")
    except Exception as exc:
        report.line(f"   destroy failed: {exc}")
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a few quick steps: let them finish
        try:
            emulator.stop()
            report.line("   emulator stopped")
            if workspace is not None:
                workspace.remove()
                report.line(f"   removed {workspace.root}")
        finally:
            signal.signal(signal.SIGINT, previous)
        report.end_step()


MODES = ("single-account", "backup-account")


def main(repo: Path | None = None, mode: str = "single-account") -> int:
    """Run the demo, print its steps and the table; 0 when it worked, 1 when it failed, 130 on Ctrl-C.
    mode "backup-account": a source account and a vault on one emulator (backup_demo.py)."""
    if mode == "backup-account":
        from rds_snapshot_copy.demo import backup_demo

        return backup_demo.main(repo)
    report = Reporter()
    status = 0
    with signals_raise_keyboard_interrupt():
        try:
            run(report, repo)
        except KeyboardInterrupt:
            report.line("interrupted: cleaned up")
            status = 130
        except Exception as exc:
            report.line(f"FAILED: {exc}")
            status = 1
    print(file=report.out)
    summary = ", ".join(f"{title.split(' ')[0]} {took:.1f} s" for title, took in report.durations)
    word = "ok" if status == 0 else "FAILED" if status == 1 else "interrupted"
    print(f"demo {word} in {report.elapsed():.1f} s (steps: {summary})", file=report.out, flush=True)
    return status
