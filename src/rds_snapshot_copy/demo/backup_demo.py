"""`rds-snapshot-copy demo --mode backup-account`: a source account and a vault account on one local emulator.

Budget: 180 s on a 2-core machine (the single-account demo's is 120 s); the run prints its own time.

1. terraform init + apply of examples/backup-account, unchanged: the vault (the root module, with
   source_account_ids) in the emulator's default account, the source side (modules/source-account) in
   SOURCE_ACCOUNT through the example's assume_role provider;
2. in the source account: orders-db under the application's customer key (listed as shareable) with a manual
   snapshot and its automated one, ledger-aurora under aws/rds with a manual cluster snapshot;
3. RDS's created events on the source account's bus; the deployed share function (from the deployed package,
   with its role's credentials) shares the manual one as it is and makes share copies of the other two;
4. the share copies' own created events: the function shares them and tells the vault's queue;
5. the vault's deployed copier on the vault's queue: one copy call each, into the destination region, under
   the vault's key: the copies in the vault account;
6. an account the vault does not list shares a snapshot with it: the copier dead-letters it with its reason;
7. the source side's scheduled clean-up: the vault holds every copy, so the shares are removed and the share
   copies deleted;
8. `rds-snapshot-copy status` in the vault: the recovery point per source account and database;
9. `rds-snapshot-copy drill` in the vault: the copies restored, checked, deleted;
10. emulator stopped, temporary directory removed (no destroy: the emulator's state is gone with it).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import TextIO

from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION
from rds_snapshot_copy.demo.backup_account import SOURCE_ACCOUNT, STRANGER_ACCOUNT, VAULT_ACCOUNT, VaultCopy
from rds_snapshot_copy.demo.backup_steps import BackupSteps, Shared
from rds_snapshot_copy.demo.emulator import Emulator, signals_raise_keyboard_interrupt
from rds_snapshot_copy.demo.recovery_steps import run_command
from rds_snapshot_copy.demo.run import Reporter, short_key, show_command, show_metrics
from rds_snapshot_copy.terraform_cli import installation_summary

BUDGET_SECONDS = 180


def table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  " + "  ".join("-" * width for width in widths), file=out)


def print_copies(copies: list[tuple[Shared, VaultCopy | None]], key_arn: str, out: TextIO) -> None:
    rows = [
        (f"source (account {SOURCE_ACCOUNT})", "shared as", f"copy in {DESTINATION_REGION} (vault)", "key", "status")
    ]
    for entry, copy in copies:
        original = entry.original.snapshot
        shared_as = (
            "itself" if entry.shared and entry.shared.arn == original.arn else (entry.shared or original).identifier
        )
        key = (short_key(copy.kms_key_id) + (" (vault)" if copy.kms_key_id == key_arn else " (OTHER)")) if copy else "-"
        rows.append(
            (
                f"{original.kind}: {original.identifier}",
                shared_as,
                copy.identifier if copy else "NONE",
                key,
                copy.status if copy else "-",
            )
        )
    table(rows, out)
    if copies and copies[0][1] is not None:
        tags = copies[0][1].tags
        shown = ", ".join(
            f"{k}={tags[k]}" for k in ("source_account", "source_region", "snapshot_copy_deployment") if k in tags
        )
        print(f"  tags of each copy include: {shown}, source_snapshot_arn, source_snapshot_time", file=out)


def run(report: Reporter, repo: Path | None = None) -> None:
    out = report.out
    print(
        "RDS / Aurora snapshot copy: examples/backup-account (a source account, a vault account) on one emulator",
        file=out,
    )
    emulator = Emulator()
    steps: BackupSteps | None = None
    try:
        emulator.start()
        pid = emulator.process.pid if emulator.process else "?"
        report.line(f"emulator: moto_server on {emulator.endpoint} (pid {pid})")
        report.line(f"accounts: vault {VAULT_ACCOUNT} (the emulator's default), source {SOURCE_ACCOUNT} (assume_role)")
        steps = BackupSteps(emulator, repo, on_line=report.terraform_line)
        workspace = steps.create_workspace()
        report.line(f"package:  deterministic zip of lambda/, sha256 {workspace.package.base64_sha256}")
        report.line(f"workdir:  {workspace.root} (the module and examples/backup-account, copied, + emulator override)")
        report.line(f"app key:  {steps.app_key_arn} (source account; shareable_kms_key_arns)")

        report.step(f"1/10 terraform init + apply of examples/backup-account ({SOURCE_REGION} -> {DESTINATION_REGION})")
        outputs = steps.deploy()
        report.line(f"   init: done ({installation_summary()})")
        report.line(
            f"   vault: copier {steps.copier.name}, SOURCE_ACCOUNT_IDS="
            f"{steps.copier.environment.get('SOURCE_ACCOUNT_IDS')}"
        )
        report.line(
            f"   source: share function {steps.share_function.name} in {SOURCE_ACCOUNT}, queue {steps.share_queue_url}"
        )

        report.step("2/10 source account: orders-db (customer key), its automated snapshot, ledger-aurora (aws/rds)")
        for o in steps.create_sources():
            report.line(f"   {o.snapshot.kind:7} {o.snapshot.identifier}: expect {o.expected} ({o.why})")

        report.step("3/10 RDS events on the source account's bus -> its queue -> the deployed share function")
        first = steps.share_originals()
        for b in first.batches:
            show_metrics(report, b.log, nonzero_only=True)
        started = {c.tags.get("source_snapshot_arn"): c for c in steps.share_copies_started()}
        for entry in steps.shared:
            copy = started.get(entry.original.snapshot.arn)
            done = f"share copy {copy.identifier} started (shared once available)" if copy else entry.decision
            report.line(f"   {entry.original.snapshot.identifier}: {done}")
        report.line(f"   the vault's queue holds {first.vault_queue_depth} message(s)")

        report.step("4/10 the share copies' own events: shared with the vault, the vault's queue told")
        copies, second = steps.share_share_copies()
        for c in copies:
            report.line(f"   {c.kind:7} {c.identifier}")
        for b in second.batches:
            show_metrics(report, b.log, nonzero_only=True)
        report.line(f"   the vault's queue holds {second.vault_queue_depth} message(s)")

        report.step(f"5/10 the vault's copier: one copy call each into {DESTINATION_REGION}, under the vault's key")
        batches = steps.copy_in_vault(expected=second.vault_queue_depth)
        for b in batches:
            show_metrics(report, b.log, nonzero_only=True)
        found = steps.vault_copies()
        print(file=out)
        print_copies(found, outputs["kms_key_arn"], out)
        print(file=out)
        missing = [e.original.snapshot.identifier for e, c in found if c is None]
        if missing:
            raise AssertionError(f"no copy in the vault of {missing}")

        report.step(f"6/10 account {STRANGER_ACCOUNT} (not listed) shares a snapshot with the vault")
        snapshot, letters, copy = steps.stranger_refused()
        for letter in letters:
            report.line(f"   dead-lettered: {letter.get('error_code')}: {letter.get('error_reason')}")
        if copy is not None or not any(letter["body"].get("account") == STRANGER_ACCOUNT for letter in letters):
            raise AssertionError(f"{snapshot.arn} was not refused: copy {copy}, dead letters {letters}")

        report.step("7/10 the source side's clean-up (its schedule's event)")
        before = steps.source_state()
        result, log = steps.clean_up()
        show_metrics(report, log, nonzero_only=True)
        after = steps.source_state()
        for was, now in zip(before, after, strict=True):
            share = now["share_copy"]
            report.line(
                f"   {now['original'].identifier}: shared with {was['restore'] or '-'} -> {now['restore'] or '-'}"
                + (
                    f"; share copy {share.identifier}: {'deleted' if not now['share_copy_exists'] else 'STILL THERE'}"
                    if share
                    else ""
                )
            )
        if any(VAULT_ACCOUNT in (row["restore"] or []) or row["share_copy_exists"] for row in after):
            raise AssertionError(f"the clean-up left shares or share copies: {after} ({result})")

        report.step("8/10 rds-snapshot-copy status in the vault: each source account's databases")
        reconciler = steps.reconciler()
        show_command(
            report, run_command(emulator, "status", "--function", reconciler.name, "--region", SOURCE_REGION), expect=0
        )

        report.step("9/10 rds-snapshot-copy drill in the vault: restore the copies, check, delete")
        drilled = run_command(emulator, *steps.drill_args(workspace.root / "drill.json"))
        show_command(report, drilled, expect=0)
    finally:
        cleanup(report, emulator, steps)


def cleanup(report: Reporter, emulator: Emulator, steps: BackupSteps | None) -> None:
    in_flight = sys.exc_info()[1]
    report.step("10/10 stop the emulator (its state, both accounts, is gone with it), remove the working copy")
    if steps is not None and steps.stack is not None and isinstance(in_flight, KeyboardInterrupt):
        report.line("   interrupted: Terraform was stopped and saved its state")
    elif in_flight is not None:
        report.line(f"   a step failed ({type(in_flight).__name__}); cleaning up anyway")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        emulator.stop()
        report.line("   emulator stopped")
        if steps is not None and steps.workspace is not None:
            steps.workspace.remove()
            report.line(f"   removed {steps.workspace.root}")
    finally:
        signal.signal(signal.SIGINT, previous)
    report.end_step()


def main(repo: Path | None = None) -> int:
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
    over = f" (OVER the {BUDGET_SECONDS} s budget)" if report.elapsed() > BUDGET_SECONDS else ""
    print(f"demo {word} in {report.elapsed():.1f} s{over} (steps: {summary})", file=report.out, flush=True)
    return status
