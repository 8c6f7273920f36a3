"""End to end, the backup-account mode: examples/backup-account applied with Terraform against moto_server, a
source account (modules/source-account) and a vault account (the root module with source_account_ids) in one
emulator; the deployed packages' handlers, each with its own role's credentials (rds_snapshot_copy/demo/
backup_steps.py runs the steps, as the demo does). Emulator gaps (a snapshot shared across accounts, SQS
across accounts) are closed in rds_snapshot_copy/demo/emulator.py and moto_patches.py, never in the module.
"""

from __future__ import annotations

import json
import time

import pytest

from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION, queue_depth, tag_time
from rds_snapshot_copy.demo.backup_account import (
    AS_IS,
    SHARE_COPY,
    SOURCE_ACCOUNT,
    STRANGER_ACCOUNT,
    VAULT_ACCOUNT,
    exists,
    restore_accounts,
    share_with,
)
from rds_snapshot_copy.demo.backup_readback import read_back_backup_policies
from rds_snapshot_copy.demo.recovery_steps import run_command
from rds_snapshot_copy.terraform_cli import terraform_binary
from tests.e2e.backup_fixture import BackupDeployment

# An account someone else shared the customer's snapshot with: the clean-up must leave it there.
UNRELATED_ACCOUNT = "999988887777"


@pytest.fixture
def needs_terraform() -> None:
    assert terraform_binary(), "the terraform CLI is not on PATH: install terraform >= 1.9"


@pytest.mark.usefixtures("needs_terraform")
@pytest.mark.e2e
def test_backup_account(backup_deployment: BackupDeployment) -> None:
    d = backup_deployment
    steps = d.steps
    timings: dict[str, float] = {}

    # 1. init + apply of the unchanged example: both accounts.
    started = time.monotonic()
    outputs = d.outputs = steps.deploy()
    timings["apply"] = time.monotonic() - started
    backup = outputs["backup_account"]
    assert backup is not None and backup["account_id"] == VAULT_ACCOUNT
    assert (backup["source_region"], backup["destination_region"]) == (SOURCE_REGION, DESTINATION_REGION)
    # Both accounts' policies as deployed, for the IAM simulation (tests/iam runs last).
    d.policies = read_back_backup_policies(outputs, steps.vault, steps.source)
    assert d.policies.source_account_id == SOURCE_ACCOUNT
    assert steps.copier.environment["SOURCE_ACCOUNT_IDS"] == SOURCE_ACCOUNT
    assert steps.share_function.arn.split(":")[4] == SOURCE_ACCOUNT
    assert steps.share_function.function_response_types == ["ReportBatchItemFailures"]
    vaults = d.policies.source.environment["VAULTS"]
    assert backup["queue_url"] in vaults and backup["reader_role_arn"] in vaults

    # 2. the source account's snapshots: manual under a shareable key, automated, manual under aws/rds.
    originals = steps.create_sources()
    assert [o.expected for o in originals] == [AS_IS, SHARE_COPY, SHARE_COPY]
    manual = originals[0].snapshot
    share_with(steps.source, manual, UNRELATED_ACCOUNT)

    # 3. RDS's events through the source side's rule and queue: the manual one is shared as it is and the
    # vault told; the other two get share copies (not shared before they are available: their own events).
    first = steps.share_originals()
    assert all(not b.failed_ids for b in first.batches)
    assert [s.decision for s in steps.shared] == ["shared as-is", "not shared", "not shared"]
    assert first.vault_queue_depth == 1
    assert restore_accounts(steps.source, manual) == sorted([VAULT_ACCOUNT, UNRELATED_ACCOUNT])
    for o in originals[1:]:
        assert VAULT_ACCOUNT not in (restore_accounts(steps.source, o.snapshot) or []), "shared an unshareable one"

    # 4. the share copies' own events: shared with the vault, the vault's queue told.
    copies, second = steps.share_share_copies()
    assert len(copies) == 2 and all(c.identifier.startswith("share-") for c in copies)
    assert {c.kind for c in copies} == {"db", "cluster"}
    assert [s.decision for s in steps.shared] == [AS_IS, SHARE_COPY, SHARE_COPY]
    assert second.vault_queue_depth == 3

    # 5. the vault's copier: one copy each, in the destination region, under the vault's key, with the source's
    # account and the ORIGINAL's data time (a share copy's own time is later).
    batches = steps.copy_in_vault(expected=3)
    assert all(not b.failed_ids for b in batches)
    assert queue_depth(steps.vault, outputs["queue_url"]) == 0
    assert queue_depth(steps.vault, outputs["dead_letter_queue_url"]) == 0, "something was dead-lettered"
    deployment = steps.copier.environment["DEPLOYMENT_NAME"]
    for entry, copy in steps.vault_copies():
        assert copy is not None, f"no copy in the vault of {entry.shared}"
        assert copy.status == "available"
        assert copy.arn.split(":")[3:5] == [DESTINATION_REGION, VAULT_ACCOUNT]
        assert copy.kms_key_id == outputs["kms_key_arn"]
        assert entry.shared is not None and entry.original.snapshot.taken_at is not None
        assert copy.tags["source_account"] == SOURCE_ACCOUNT
        assert copy.tags["source_snapshot_arn"] == entry.shared.arn
        assert copy.tags["source_region"] == SOURCE_REGION
        assert copy.tags["snapshot_copy_deployment"] == deployment
        assert copy.tags["source_snapshot_time"] == tag_time(entry.original.snapshot.taken_at)

    # 6. an account the vault does not list shares a snapshot with it: dead-lettered with a reason naming it,
    # nothing copied.
    stranger, letters, copy = steps.stranger_refused()
    assert copy is None
    refused = [letter for letter in letters if letter["body"].get("account") == STRANGER_ACCOUNT]
    assert len(refused) == 1, letters
    assert refused[0]["body"]["detail"]["SourceArn"] == stranger.arn
    assert refused[0]["error_code"] == "AccountNotAllowed"
    assert STRANGER_ACCOUNT in refused[0]["error_reason"] and SOURCE_ACCOUNT in refused[0]["error_reason"]

    # 7. the source side's clean-up: every vault copy is available, so the vault account comes off each restore
    # attribute (and only it) and the share copies are deleted; the customer's snapshots stay.
    result, _ = steps.clean_up()
    assert result["status"] == "done", result
    state = steps.source_state()
    for row in state:
        assert VAULT_ACCOUNT not in (row["restore"] or []), row
        assert exists(steps.source, SOURCE_REGION, row["original"]), f"the clean-up deleted {row['original']}"
    assert restore_accounts(steps.source, manual) == [UNRELATED_ACCOUNT]
    assert [row["share_copy_exists"] for row in state] == [False, False, False]
    assert all(row["share_copy"] is not None for row in state[1:])

    # 8. `rds-snapshot-copy status` in the vault: each source database, per source account, within its RPO.
    reconciler = steps.reconciler()
    status = run_command(d.emulator, "status", "--function", reconciler.name, "--region", SOURCE_REGION, "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    rows = {(row.get("account"), row["source"]) for row in status.json()["sources"]}
    assert {(SOURCE_ACCOUNT, "orders-db"), (SOURCE_ACCOUNT, "ledger-aurora")} <= rows, status.stdout

    # 9. `rds-snapshot-copy drill` in the vault: the DB and the Aurora copy restored, checked, deleted.
    report = d.workspace_root / "drill.json"
    drilled = run_command(d.emulator, *steps.drill_args(report))
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    drill = json.loads(report.read_text())
    assert drill["ok"] and not drill["kept"], drill
    assert sorted(s["source"] for s in drill["sources"]) == ["ledger-aurora", "orders-db"], drill
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


def test_emulator_shares_across_accounts_only_what_is_shared() -> None:
    """The emulator's cross-account gaps, closed (emulator.patch_moto, moto_patches.apply): a source account's
    role sends to the vault's queue by its URL; the vault copies a snapshot shared with it in one call, and an
    unshared one gives RDS's not-found error."""
    from botocore.exceptions import ClientError

    from rds_snapshot_copy.demo.backup_account import AccountClients, create_stranger_share
    from rds_snapshot_copy.demo.emulator import Emulator

    with Emulator() as emulator:
        vault = AccountClients(emulator)
        source = AccountClients(emulator, SOURCE_ACCOUNT)
        url = vault("sqs", SOURCE_REGION).create_queue(QueueName="vault-events")["QueueUrl"]
        source("sqs", SOURCE_REGION).send_message(QueueUrl=url, MessageBody="from the source account")
        received = vault("sqs", SOURCE_REGION).receive_message(QueueUrl=url)["Messages"]
        assert [m["Body"] for m in received] == ["from the source account"]
        assert "QueueUrls" not in source("sqs", SOURCE_REGION).list_queues(), "the queue is the vault's"

        shared = create_stranger_share(source)  # an unencrypted snapshot of the source account, shared
        destination = vault("rds", DESTINATION_REGION)
        destination.copy_db_snapshot(
            SourceDBSnapshotIdentifier=shared.arn, TargetDBSnapshotIdentifier="copied", SourceRegion=SOURCE_REGION
        )
        assert destination.describe_db_snapshots(DBSnapshotIdentifier="copied")["DBSnapshots"][0]["Status"]
        source("rds", SOURCE_REGION).modify_db_snapshot_attribute(
            DBSnapshotIdentifier=shared.identifier, AttributeName="restore", ValuesToRemove=[VAULT_ACCOUNT]
        )
        with pytest.raises(ClientError) as refused:
            destination.copy_db_snapshot(
                SourceDBSnapshotIdentifier=shared.arn, TargetDBSnapshotIdentifier="again", SourceRegion=SOURCE_REGION
            )
        assert refused.value.response["Error"]["Code"] == "DBSnapshotNotFound"


def test_demo_mode_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """`rds-snapshot-copy demo --mode backup-account` runs the backup-account demo; an unknown mode is a usage
    error (exit 2); no --mode is the single-account demo, as before."""
    from rds_snapshot_copy import cli
    from rds_snapshot_copy.demo import backup_demo, run

    ran: list[tuple[str, object]] = []
    monkeypatch.setattr(backup_demo, "main", lambda repo=None: ran.append(("backup-account", repo)) or 0)
    monkeypatch.setattr(run, "run", lambda report, repo=None: ran.append(("single-account", repo)))
    assert cli.main(["demo", "--mode", "backup-account"]) == 0
    assert cli.main(["demo"]) == 0
    assert ran == [("backup-account", None), ("single-account", None)]
    with pytest.raises(SystemExit) as usage:
        cli.main(["demo", "--mode", "two-accounts"])
    assert usage.value.code == 2
