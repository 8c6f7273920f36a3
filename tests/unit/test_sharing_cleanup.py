"""The source side's scheduled clean-up (issue 17): shares are taken back once every vault holds an available
copy (read with the vault's reader role, in its destination region), share copies are deleted then, a crash
leaves nothing behind, timed-out shares are counted and removed, and nothing but our share copies is ever
deleted, nothing but the vault accounts ever removed from a restore attribute.

The world (moto, the vaults as other accounts, moto's gaps) is test_sharing_world.py's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

import share_snapshot
from snapshot_copy.kinds import KINDS
from snapshot_copy.runtime import Runtime
from snapshot_copy.sharing.naming import share_copy_identifier
from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_ARN
from tests.iam.recording import RECORDER
from tests.unit.test_sharing_world import (
    DEPLOYMENT,
    REGION,
    SOURCE_ACCOUNT,
    VAULT_ACCOUNT,
    VAULT_REGION,
    World,
    created_event,
    scheduled_event,
    set_status,
    with_two_vaults,
)

UNRELATED_ACCOUNT = "111111111111"


@pytest.fixture
def world(share_world: World) -> World:  # tests/unit/conftest.py
    return share_world


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_a_share_copy_left_by_a_crash_is_shared_then_removed_once_the_vault_copy_is_available(
    world: World, kind: str
) -> None:
    table = KINDS[kind]
    original = world.automated(kind, f"{kind}-2026-12-03-05-00")
    copy_id = world.invoke(created_event(original))["target"]
    # The function stopped here: the share copy's own event never came.

    answer = world.invoke(scheduled_event())

    assert answer["status"] == "done"
    assert world.metrics()["Shared"] == 1
    assert world.restore_accounts(kind, copy_id) == [VAULT_ACCOUNT]
    (message,) = world.vault.messages()
    copy = world.describe(kind, copy_id)
    assert message["detail"]["SourceArn"] == copy[table.arn_key]

    # The vault is still copying: nothing is removed.
    vault_copy = world.vault.holds_copy(copy, kind, status="copying")
    world.invoke(scheduled_event())
    assert world.describe(kind, copy_id) is not None
    assert world.metrics()["ShareCopiesDeleted"] == 0

    # The vault's copy is available: the share copy goes; the original (automated, RDS's) stays.
    set_status(VAULT_ACCOUNT, VAULT_REGION, kind, vault_copy, "available")
    world.invoke(scheduled_event(), at=later(0.1))

    assert world.describe(kind, copy_id) is None
    assert world.metrics()["ShareCopiesDeleted"] == 1
    assert world.describe(kind, original[table.identifier_key]) is not None
    # The vault's copy was read as the vault's reader role, in the vault's destination region.
    calls = [c for c in RECORDER.of("share") if c.where.endswith(f"[{kind}]")]
    assumed = {c.params["RoleArn"] for c in calls if c.operation == "AssumeRole"}
    assert assumed == {f"arn:aws:iam::{VAULT_ACCOUNT}:role/rds-snapshot-copy-vault-reader"}
    reads = [c.params for c in calls if c.region == VAULT_REGION]
    assert {table.identifier_key: vault_copy} in reads


def test_the_vault_accounts_only_are_removed_from_a_customer_snapshot(world: World) -> None:
    snapshot = world.db_snapshot("mydb-manual")
    world.add_accounts("db", "mydb-manual", [UNRELATED_ACCOUNT])
    world.invoke(created_event(snapshot))
    assert sorted(world.restore_accounts("db", "mydb-manual")) == [UNRELATED_ACCOUNT, VAULT_ACCOUNT]

    world.invoke(scheduled_event())
    assert sorted(world.restore_accounts("db", "mydb-manual")) == [UNRELATED_ACCOUNT, VAULT_ACCOUNT]

    world.vault.holds_copy(snapshot, "db")
    world.invoke(scheduled_event())

    assert world.restore_accounts("db", "mydb-manual") == [UNRELATED_ACCOUNT]
    assert world.metrics()["SharesRemoved"] == 1
    assert world.describe("db", "mydb-manual") is not None


def test_every_vault_must_hold_a_copy(world: World) -> None:
    with_two_vaults(world)
    snapshot = world.cluster_snapshot("mycluster-manual")
    world.invoke(created_event(snapshot))
    world.vaults[0].holds_copy(snapshot, "cluster")

    world.invoke(scheduled_event())
    assert len(world.restore_accounts("cluster", "mycluster-manual")) == 2

    world.vaults[1].holds_copy(snapshot, "cluster")
    world.invoke(scheduled_event())
    assert world.restore_accounts("cluster", "mycluster-manual") == []


def test_a_timed_out_share_is_counted_logged_and_removed(world: World, caplog) -> None:
    customer = world.db_snapshot("mydb-never-copied")
    world.add_accounts("db", "mydb-never-copied", [UNRELATED_ACCOUNT])
    world.invoke(created_event(customer))
    original = world.automated("cluster", "mycluster-2026-12-03-05-00")
    copy_id = world.invoke(created_event(original))["target"]
    world.invoke(created_event(world.describe("cluster", copy_id)))

    # Six days on: still waiting.
    world.invoke(scheduled_event(), at=later(6))
    assert world.metrics()["ShareTimedOut"] == 0
    assert world.describe("cluster", copy_id) is not None

    world.invoke(scheduled_event(), at=later(7.5))

    metrics = world.metrics()
    assert (metrics["ShareTimedOut"], metrics["SharesRemoved"], metrics["ShareCopiesDeleted"]) == (2, 1, 1)
    assert world.restore_accounts("db", "mydb-never-copied") == [UNRELATED_ACCOUNT]
    assert world.describe("cluster", copy_id) is None
    assert world.describe("db", "mydb-never-copied") is not None
    timed_out = [r.getMessage() for r in caplog.records if "hold no available copy" in r.getMessage()]
    assert len(timed_out) == 2


def test_never_deletes_a_customer_snapshot_or_another_deployments_share_copy(world: World) -> None:
    # Another source deployment's share copy, shared with the same vault, which holds its copy.
    original = world.automated("db", "mydb-2026-12-03-05-00")
    world.set_env(DEPLOYMENT_NAME="other-share")
    foreign_id = world.invoke(created_event(original))["target"]
    world.invoke(created_event(world.describe("db", foreign_id)))
    world.set_env(DEPLOYMENT_NAME=DEPLOYMENT)
    world.vault.holds_copy(world.describe("db", foreign_id), "db")
    # A customer's snapshot tagged as if it were our share copy, under a name that is not the share copy's:
    # tags alone prove nothing.
    other = world.automated("db", "mydb-2026-12-03-06-00")
    impostor = world.db_snapshot(
        "share-impostor",
        Tags=[
            {"Key": TAG_DEPLOYMENT, "Value": DEPLOYMENT},
            {"Key": TAG_SOURCE_SNAPSHOT_ARN, "Value": other["DBSnapshotArn"]},
        ],
    )
    world.add_accounts("db", "share-impostor", [VAULT_ACCOUNT])
    world.vault.holds_copy(impostor, "db")
    assert share_copy_identifier(other["DBSnapshotIdentifier"], other["DBSnapshotArn"], "db") != "share-impostor"

    world.invoke(scheduled_event(), at=later(7.5))

    assert world.describe("db", foreign_id) is not None
    assert world.restore_accounts("db", foreign_id) == [VAULT_ACCOUNT]
    assert world.describe("db", "share-impostor") is not None
    # The customer's snapshot was shared with the vault (not by us, but it is one): only the vault account goes.
    assert world.restore_accounts("db", "share-impostor") == []
    deletes = [c for c in RECORDER.of("share") if c.operation.startswith("Delete")]
    assert [c for c in deletes if c.where.endswith("another_deployments_share_copy")] == []


def test_a_broken_share_copy_is_deleted_and_counted(world: World) -> None:
    original = world.automated("db", "mydb-2026-12-03-05-00")
    copy_id = world.invoke(created_event(original))["target"]
    set_status(SOURCE_ACCOUNT, REGION, "db", copy_id, "failed")

    world.invoke(scheduled_event())

    assert world.describe("db", copy_id) is None
    metrics = world.metrics()
    assert (metrics["Failed"], metrics["ShareCopiesDeleted"]) == (1, 1)


def test_a_vault_that_cannot_be_read_fails_that_snapshot_only(world: World) -> None:
    first = world.db_snapshot("mydb-a")
    second = world.db_snapshot("mydb-b")
    for snapshot in (first, second):
        world.invoke(created_event(snapshot))
    world.vault.holds_copy(second, "db")

    def refuse_first(params: dict, **_: object) -> None:
        if params.get("DBSnapshotIdentifier", "").startswith("mydb-a"):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "DescribeDBSnapshots")

    reader = share_snapshot.VaultReaders.rds

    def refusing_reader(self: share_snapshot.VaultReaders, vault: object) -> object:
        client = reader(self, vault)
        client.meta.events.register("before-parameter-build.rds.DescribeDBSnapshots", refuse_first, "refuse")
        return client

    world.monkeypatch.setattr(share_snapshot.VaultReaders, "rds", refusing_reader)
    answer = world.invoke(scheduled_event())

    assert answer["status"] == "failed"
    assert world.metrics()["Failed"] == 1
    assert world.restore_accounts("db", "mydb-a") == [VAULT_ACCOUNT]
    assert world.restore_accounts("db", "mydb-b") == []


def test_the_clean_up_stops_near_the_timeout_and_the_next_run_goes_on(world: World) -> None:
    snapshot = world.db_snapshot("mydb-manual")
    world.invoke(created_event(snapshot))
    world.vault.holds_copy(snapshot, "db")
    rds, sqs, sts = share_snapshot.source_clients(REGION)
    clients = share_snapshot.Clients(rds=rds, sqs=sqs, vault_rds=share_snapshot.VaultReaders(sts, "tests").rds)
    config = share_snapshot.ShareConfig.from_env()

    share_snapshot.handle(scheduled_event(), config, clients, Runtime(function_name="t", seconds_left=lambda: 5.0))
    assert world.restore_accounts("db", "mydb-manual") == [VAULT_ACCOUNT]

    share_snapshot.handle(scheduled_event(), config, clients, Runtime(function_name="t", seconds_left=lambda: 60.0))
    assert world.restore_accounts("db", "mydb-manual") == []
