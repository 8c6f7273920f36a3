"""End to end: examples/complete applied with Terraform (python-terraform) against moto_server, real
RDS events through the deployed rule and queue, the deployed package's handler, copies checked, destroy.

DB snapshots and Aurora cluster snapshots go through one apply/destroy (the example enables all four
snapshot-created event IDs). Emulator gaps are closed in rds_snapshot_copy/demo/emulator.py (`patch_moto`)
and named in the demo's harness (rds_snapshot_copy/demo), never in the module.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rds_snapshot_copy.demo.aws import (
    DESTINATION_REGION,
    SCHEDULED_EVENT,
    SOURCE_REGION,
    create_source_snapshots,
    expected_copy_tags,
    find_copy,
    put_rds_event,
    queue_depth,
    queued_event_ids,
    tags_dict,
)
from rds_snapshot_copy.demo.handler import DeployedPackage, consume_queue, run_handler
from rds_snapshot_copy.demo.readback import (
    leftovers,
    read_back_function,
    read_back_policies,
    read_back_scheduled_function,
)
from rds_snapshot_copy.demo.recovery_steps import (
    DRILL_ARGS,
    STALE_HOURS,
    STALE_SOURCE,
    as_source_snapshot,
    automated_snapshots,
    create_stale_source,
    run_command,
)
from rds_snapshot_copy.demo.retention_steps import AUDIT_COPY, destination_copies, expired, seed_older_copies
from rds_snapshot_copy.demo.stack import KEPT_ON_REMOVAL, remove_keeping_key
from rds_snapshot_copy.terraform_cli import terraform_binary
from snapshot_copy.naming import target_identifier
from tests.conftest import Deployment
from tests.iam.handler_recording import handler_env
from tests.iam.recording import calls_of
from tests.support import alarm_model

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def needs_terraform() -> None:
    # The test command needs terraform; a missing one is a failure, never a skip.
    assert terraform_binary(), "the terraform CLI is not on PATH: install terraform >= 1.9"


@pytest.mark.usefixtures("needs_terraform")
@pytest.mark.e2e
def test_end_to_end(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    d = deployment
    clients = d.clients
    timings: dict[str, float] = {}

    # 1. init + apply of the unchanged example.
    started = time.monotonic()
    d.stack.init()
    d.stack.apply()
    timings["apply"] = time.monotonic() - started
    outputs = d.outputs = d.stack.outputs()
    name = outputs["function_name"]
    # The policies as deployed, for the IAM simulation (tests/iam/test_permissions.py runs last).
    d.policies = read_back_policies(clients, outputs)

    # A second plan right after apply shows no changes. (The emulator's gaps that made it show some
    # are closed in the emulator, not here: see rds_snapshot_copy/demo/emulator.py, patch_moto.)
    started = time.monotonic()
    clean, plan_output = d.stack.plan()
    timings["plan"] = time.monotonic() - started
    assert clean, f"second plan is not empty:\n{plan_output[-6000:]}"

    queue_url = outputs["queue_url"]
    sqs = clients("sqs", SOURCE_REGION)
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    function = read_back_function(clients, name, queue_arn)
    assert function.function_response_types == ["ReportBatchItemFailures"]
    assert function.environment == outputs["lambda_environment"]
    # The module's name is the deployment's identity: every function knows it (ownership of the copies).
    assert function.environment["DEPLOYMENT_NAME"] == name
    targets = clients("events", SOURCE_REGION).list_targets_by_rule(Rule=outputs["rule_name"])["Targets"]
    assert [t["Arn"] for t in targets] == [queue_arn]

    # 2. sources.
    sources = create_source_snapshots(clients)
    assert {s.kind for s in sources} == {"db", "cluster"}

    # 3. a deletion event reaches nothing; the created events reach the queue through the rule.
    put_rds_event(clients, sources[0], "RDS-EVENT-0041")
    assert queue_depth(clients, queue_url) == 0, "a snapshot-deleted event reached the queue"
    put = [put_rds_event(clients, s, s.created_event_id) for s in sources]
    assert queued_event_ids(clients, queue_url) == sorted(p.event_id for p in put)

    # 4. the deployed package, run as the event source mapping would run it.
    unpacked = d.workspace.root / "function"
    package = DeployedPackage.unpack(d.workspace.package, function, unpacked)
    assert package.base64_sha256 == function.code_sha256
    batches = consume_queue(
        clients,
        d.emulator,
        package,
        function,
        queue_url,
        expected=len(put),
        extra_env=handler_env(d.recorded_calls_file),
    )
    assert all(not b.failed_ids for b in batches)
    assert queue_depth(clients, queue_url) == 0
    assert queue_depth(clients, outputs["dead_letter_queue_url"]) == 0, "something was dead-lettered"

    # 5. the copies: in the destination region, with the Terraform-created key and the contract's tags.
    kms = clients("kms", DESTINATION_REGION)
    key = kms.describe_key(KeyId=outputs["kms_key_arn"])["KeyMetadata"]
    assert key["KeyState"] == "Enabled"
    assert key["Arn"] == outputs["kms_key_arn"]
    assert f"alias/{name}" in {a["AliasName"] for a in kms.list_aliases(KeyId=key["KeyId"])["Aliases"]}
    for p in put:
        copy = find_copy(clients, p.snapshot)
        assert copy is not None, f"no copy of {p.snapshot.arn} in {DESTINATION_REGION}"
        assert copy.arn.split(":")[3] == DESTINATION_REGION
        assert copy.kms_key_id == outputs["kms_key_arn"]
        assert copy.tags == expected_copy_tags(p.snapshot, name)

    # 6. Retention: older copies of the same sources, then the deployed pruner, as its schedule calls it.
    # Seeded as this deployment's copier makes them (its tags and its identifiers), and an operator's CopyTags
    # copy of the oldest DB one (AUDIT_COPY): the same tags, another name, which the pruner must keep.
    seeded = seed_older_copies(clients, [p.snapshot for p in put], name)
    pruner = read_back_scheduled_function(clients, outputs["prune_function_name"])
    assert pruner.handler == "prune_snapshots.lambda_handler"
    assert (pruner.environment["RETENTION_DAYS"], pruner.environment["KEEP_LAST"]) == ("35", "3")
    assert pruner.environment["DEPLOYMENT_NAME"] == name
    before = destination_copies(clients)
    pruned, _ = run_handler(
        DeployedPackage.unpack(d.workspace.package, pruner, d.workspace.root / "pruner"),
        pruner,
        d.emulator,
        SCHEDULED_EVENT,
        extra_env=handler_env(d.recorded_pruner_calls_file),
    )
    after = destination_copies(clients)
    assert len(expired(seeded)) == 5, seeded
    assert set(pruned["deleted"]) == expired(seeded) == set(before) - set(after)
    assert all(find_copy(clients, p.snapshot) is not None for p in put), "the newest copies must stay"
    assert AUDIT_COPY in before and AUDIT_COPY in after, "the pruner deleted an operator's copy by its tags alone"
    assert pruned["quota"]["db"]["used"] == len([c for c in after.values() if c["kind"] == "db"])

    # 7. Missed events: moto, like RDS, took an automated snapshot of each database and cluster as it was
    # created, and no event was put for them. The deployed reconciler, run as its schedule runs it, enqueues
    # them; the copier copies them as it copies RDS's own events.
    missed = automated_snapshots(clients)
    assert len(missed) == 2, missed
    reconciler = read_back_scheduled_function(clients, outputs["reconcile_function_name"])
    assert reconciler.handler == "reconcile_snapshots.lambda_handler"
    assert reconciler.environment["DEPLOYMENT_NAME"] == name
    reconcile_package = DeployedPackage.unpack(d.workspace.package, reconciler, d.workspace.root / "reconciler")

    def reconcile() -> tuple[dict, dict]:
        result, log = run_handler(
            reconcile_package,
            reconciler,
            d.emulator,
            SCHEDULED_EVENT,
            extra_env=handler_env(d.recorded_reconciler_calls_file),
        )
        emf = [json.loads(line) for line in log.splitlines() if line.startswith("{") and '"_aws"' in line]
        return result, next(e for e in emf if "SourcesPastRpo" in e)

    reconciled, metrics = reconcile()
    assert sorted(reconciled["enqueued"]) == missed
    assert {(e["source"], e["kind"]) for e in reconciled["sources"]} == {
        ("orders-db", "db"),
        ("ledger-aurora", "cluster"),
    }
    assert (metrics["SourcesPastRpo"], metrics["SnapshotsEnqueued"]) == (0, 2)
    consume_queue(
        clients,
        d.emulator,
        package,
        function,
        queue_url,
        expected=len(missed),
        extra_env=handler_env(d.recorded_calls_file),
    )
    for arn in missed:
        assert find_copy(clients, as_source_snapshot(arn)) is not None, f"no copy of {arn}"
    again, _ = reconcile()
    assert again["enqueued"] == [], "a second run enqueued what is copied already"

    # 8. `rds-snapshot-copy status`, as an operator runs it: every source within the RPO (exit 0); then a stale
    # source, whose newest copy is 30 h old, past it (exit 1).
    status_args = ("status", "--function", reconciler.name, "--region", SOURCE_REGION, "--json")
    fine = run_command(d.emulator, *status_args)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert all(e["within_rpo"] for e in fine.json()["sources"]), fine.stdout
    create_stale_source(clients, name)
    stale = run_command(d.emulator, *status_args)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    by_source = {e["source"]: e for e in stale.json()["sources"]}
    assert not by_source[STALE_SOURCE]["within_rpo"]
    assert by_source[STALE_SOURCE]["recovery_point_age_hours"] == pytest.approx(STALE_HOURS, abs=0.5)
    assert by_source["orders-db"]["within_rpo"] and by_source["ledger-aurora"]["within_rpo"]

    # `rds-snapshot-copy backfill`, as an operator runs it, before any reconciler run: the stale source's new
    # snapshot (the automated one RDS took as it was created) has no copy and no request yet. A dry run lists
    # it and sends nothing; the real run enqueues it, and records the request, so that the reconciler then
    # leaves it alone. (A reconciler run in between would have requested it first: nothing left to backfill.)
    new_snapshots = sorted(set(automated_snapshots(clients)) - set(missed))
    assert len(new_snapshots) == 1 and f":{STALE_SOURCE}" in new_snapshots[0], new_snapshots
    backfill_args = ("backfill", "--function", reconciler.name, "--region", SOURCE_REGION, "--json")
    planned = run_command(d.emulator, *backfill_args, "--dry-run")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert planned.json()["dry_run"] and planned.json()["enqueued"] == new_snapshots, planned.stdout
    assert queue_depth(clients, queue_url) == 0, "a dry run sent something"
    backfilled = run_command(d.emulator, *backfill_args)
    assert backfilled.returncode == 0, backfilled.stdout + backfilled.stderr
    assert backfilled.json()["enqueued"] == new_snapshots, backfilled.stdout
    assert queue_depth(clients, queue_url) == 1

    # The recovery-point alarm, as deployed, over the reconciler's metric: it fires for the stale source and
    # when the reconciler stops running (no datapoints), and not while every source is within the RPO.
    after_backfill, stale_metrics = reconcile()
    assert after_backfill["enqueued"] == [], "the reconciler enqueued again what the backfill requested"
    assert stale_metrics["SourcesPastRpo"] == 1
    alarm = clients("cloudwatch", SOURCE_REGION).describe_alarms(AlarmNames=[f"{name}-recovery-point"])["MetricAlarms"]
    assert len(alarm) == 1, f"no alarm {name}-recovery-point"
    alarm = alarm[0]
    assert (alarm["MetricName"], alarm["TreatMissingData"]) == ("SourcesPastRpo", "breaching")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": reconciler.name}]
    past = stale_metrics["SourcesPastRpo"]
    assert alarm_model.state(alarm, [past, past]) == "ALARM"
    assert alarm_model.state(alarm, [None, None]) == "ALARM", "a stopped reconciler must not read as health"
    assert alarm_model.state(alarm, [metrics["SourcesPastRpo"]] * 2) == "OK"
    assert alarm_model.state(alarm, [metrics["SourcesPastRpo"], None]) == "OK", "one late run is not an outage"

    # The backfilled event is an event like RDS's own: the copier copies it, and the stale source is within its
    # RPO again.
    consume_queue(
        clients, d.emulator, package, function, queue_url, expected=1, extra_env=handler_env(d.recorded_calls_file)
    )
    assert find_copy(clients, as_source_snapshot(new_snapshots[0])) is not None, f"no copy of {new_snapshots[0]}"
    recovered = run_command(d.emulator, *status_args)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr

    # 9. `rds-snapshot-copy drill` of the DB and the Aurora copy (in-process, so that its calls are recorded
    # for the IAM simulation of the operator's policy): restored, checked, deleted.
    monkeypatch.setenv("AWS_ENDPOINT_URL", d.emulator.endpoint)
    for variable, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(variable, value)
    report_file = d.workspace.root / "drill.json"
    from rds_snapshot_copy import cli

    with calls_of("operator"):
        code = cli.main([*DRILL_ARGS, "--report", str(report_file)])
    assert code == 0
    drilled = json.loads(report_file.read_text())
    assert drilled["ok"] and not drilled["kept"], drilled
    assert sorted(s["source"] for s in drilled["sources"]) == ["ledger-aurora", "orders-db"], drilled
    destination = clients("rds", DESTINATION_REGION)
    assert not [i["DBInstanceIdentifier"] for i in destination.describe_db_instances()["DBInstances"]]
    assert not [c["DBClusterIdentifier"] for c in destination.describe_db_clusters()["DBClusters"]]

    # `rds-snapshot-copy adopt --apply` (in-process too, for the IAM simulation): a copy 0.4.x made (the
    # copier's identifier and tags, but no deployment tag) becomes this deployment's, and nothing else changes.
    legacy = seed_legacy_copy(clients)
    with calls_of("operator"):
        code = cli.main(["adopt", "--function", reconciler.name, "--source-region", SOURCE_REGION, "--apply"])
    assert code == 0
    adopted = destination.describe_db_snapshots(DBSnapshotIdentifier=legacy)["DBSnapshots"][0]
    assert tags_dict(adopted.get("TagList"))["snapshot_copy_deployment"] == name
    audit = destination.describe_db_snapshots(DBSnapshotIdentifier=AUDIT_COPY)["DBSnapshots"][0]
    assert tags_dict(audit.get("TagList"))["snapshot_copy_deployment"] == name  # copied with its tags, untouched

    # 10. The stack refuses a plain destroy (the key would be scheduled for deletion and every copy lost
    # with it); the safe removal keeps the key, destroys the rest, and the copies stay restorable.
    code, out, err = d.stack.tf.destroy(force=None, auto_approve=True, input=False, refresh=False)
    assert code != 0 and "prevent_destroy" in (out + err), f"a plain destroy went through:\n{(out + err)[-3000:]}"
    started = time.monotonic()
    kept = remove_keeping_key(d.stack)
    timings["destroy"] = time.monotonic() - started
    assert kept == list(KEPT_ON_REMOVAL)
    assert kms.describe_key(KeyId=outputs["kms_key_arn"])["KeyMetadata"]["KeyState"] == "Enabled"
    db_copy = find_copy(clients, next(p.snapshot for p in put if p.snapshot.kind == "db"))
    assert db_copy is not None
    restored = clients("rds", DESTINATION_REGION).restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="restored-after-removal", DBSnapshotIdentifier=db_copy.identifier
    )["DBInstance"]
    assert restored["StorageEncrypted"] and restored["KmsKeyId"] == outputs["kms_key_arn"]
    remaining = leftovers(clients, name, kept_key_arn=outputs["kms_key_arn"])
    assert not remaining, f"left behind after destroy: {remaining.found}"
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


def seed_legacy_copy(clients: Any) -> str:
    """A copy as 0.4.x made it, of a snapshot of orders-db taken before the upgrade: the copier's identifier
    and tags, without the deployment tag (0.4 had none) and the source time. Its identifier."""
    source = clients("rds", SOURCE_REGION).describe_db_snapshots(DBSnapshotIdentifier="orders-db-manual-1")
    source_arn = source["DBSnapshots"][0]["DBSnapshotArn"]
    older_arn = source_arn.replace("orders-db-manual-1", "orders-db-before-upgrade")
    identifier = target_identifier("orders-db-before-upgrade", older_arn, "db")
    clients("rds", DESTINATION_REGION).copy_db_snapshot(
        SourceDBSnapshotIdentifier=source_arn,
        TargetDBSnapshotIdentifier=identifier,
        SourceRegion=SOURCE_REGION,
        Tags=[{"Key": "source_region", "Value": SOURCE_REGION}, {"Key": "source_snapshot_arn", "Value": older_arn}],
    )
    return identifier


def _processes_with_cwd_under(directory: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "cwd").startswith(directory):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.usefixtures("needs_terraform")
@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_demo_cleans_up_when_interrupted() -> None:
    """Ctrl-C while `terraform apply` runs: destroy, emulator stopped, working copy gone, exit 130."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rds_snapshot_copy.cli", "demo"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    moto_pid = workdir = None
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if match := re.search(r"moto_server on \S+ \(pid (\d+)\)", line):
                moto_pid = int(match.group(1))
            if match := re.search(r"workdir:\s+(\S+)", line):
                workdir = match.group(1)
            if "init: done" in line:
                time.sleep(2)  # terraform apply is running now
                os.killpg(process.pid, signal.SIGINT)  # as the terminal does: the whole foreground group
        process.wait(timeout=180)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output = "".join(lines)
    assert process.returncode == 130, output
    assert "interrupted" in output, output
    assert moto_pid is not None and workdir is not None, output
    assert not Path(f"/proc/{moto_pid}").exists() or _is_zombie(moto_pid), f"moto_server {moto_pid} still runs"
    assert not Path(workdir).exists(), f"{workdir} (with its state) is left behind"
    assert not _processes_with_cwd_under(workdir), "a terraform process is left behind"
    assert not list(REPO_ROOT.glob("examples/complete/*.tfstate*"))
    assert not (REPO_ROOT / "examples/complete/.terraform").exists()


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_provider_override_covers_both_aliases() -> None:
    from rds_snapshot_copy.demo.emulator import PROVIDER_ENDPOINTS, provider_override

    text = provider_override("http://127.0.0.1:1")
    assert text.count('provider "aws"') == 2
    assert 'alias = "source"' in text and 'alias = "destination"' in text
    for service in PROVIDER_ENDPOINTS:
        assert text.count(f"{service} ") >= 2
    assert json.dumps("http://127.0.0.1:1") in text
