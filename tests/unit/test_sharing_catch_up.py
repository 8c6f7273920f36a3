"""The source side catches up a snapshot whose created event never came (EventBridge lost it, the region was
out): the hourly clean-up finds it and shares it, or starts its share copy, as its event would have; before,
nothing ever shared it and the vaults, which see only what is shared, could not know of it (issue 19's year in
backup-account mode). A snapshot its event handled is left alone, whatever became of its share since.

The world (moto, the vaults as other accounts) is test_sharing_world.py's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from snapshot_copy.kinds import KINDS
from snapshot_copy.sharing.naming import share_copy_identifier
from tests.unit.test_sharing_world import VAULT_ACCOUNT, World, created_event, refuse, scheduled_event


@pytest.fixture
def world(share_world: World) -> World:  # tests/unit/conftest.py
    return share_world


def hours_on(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def share_copy_of(snapshot: dict, kind: str) -> str:
    table = KINDS[kind]
    return share_copy_identifier(snapshot[table.identifier_key], snapshot[table.arn_key], kind)


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_an_automated_snapshot_whose_event_was_lost_gets_its_share_copy_from_the_next_clean_up(
    world: World, kind: str
) -> None:
    original = world.automated(kind, f"{kind}-2026-12-03-05-00")
    # No event: EventBridge lost it (and that of the snapshot RDS took when the database was created).
    table = KINDS[kind]
    lost = getattr(world.rds, table.describe_operation)(SnapshotType="automated")[table.answer_key]
    assert original[table.arn_key] in [s[table.arn_key] for s in lost]

    world.invoke(scheduled_event(), at=hours_on(1))

    metrics = world.metrics()
    assert metrics["MissedEventsCaughtUp"] == metrics["ShareCopiesStarted"] == len(lost)
    for snapshot in lost:
        assert world.describe(kind, share_copy_of(snapshot, kind)) is not None

    # The next run sees the share copy on its way: nothing is caught up twice.
    world.invoke(scheduled_event(), at=hours_on(2))
    assert world.metrics()["MissedEventsCaughtUp"] == 0


def test_a_customer_snapshot_whose_event_was_lost_is_shared_and_announced(world: World) -> None:
    snapshot = world.cluster_snapshot("mycluster-weekly")  # unencrypted: shared as it is

    world.invoke(scheduled_event(), at=hours_on(1))

    metrics = world.metrics()
    # The one shared as it is, and the snapshot RDS took when the cluster was created (a share copy).
    assert (metrics["MissedEventsCaughtUp"], metrics["Shared"], metrics["ShareCopiesStarted"]) == (2, 1, 1)
    assert world.restore_accounts("cluster", "mycluster-weekly") == [VAULT_ACCOUNT]
    (message,) = world.vault.messages()
    assert message["detail"]["SourceArn"] == snapshot["DBClusterSnapshotArn"]


def test_a_snapshot_its_event_handled_is_not_caught_up_after_its_share_copy_is_gone(world: World) -> None:
    original = world.automated("cluster", "cluster-2026-12-03-05-00")
    copy_id = world.invoke(created_event(original))["target"]
    world.invoke(created_event(world.describe("cluster", copy_id)))
    world.vault.holds_copy(world.describe("cluster", copy_id), "cluster")
    world.invoke(scheduled_event(), at=hours_on(1))  # (catches up the snapshot RDS took at the cluster's creation)
    assert world.describe("cluster", copy_id) is None  # copied by the vault: the share copy went

    world.invoke(scheduled_event(), at=hours_on(2))

    metrics = world.metrics()
    assert (metrics["MissedEventsCaughtUp"], metrics["ShareCopiesStarted"]) == (0, 0)
    assert world.describe("cluster", copy_id) is None


def test_a_customer_snapshot_shared_copied_and_unshared_is_not_caught_up(world: World) -> None:
    snapshot = world.db_snapshot("mydb-weekly")
    world.invoke(created_event(snapshot))
    world.vault.holds_copy(snapshot, "db")
    world.invoke(scheduled_event(), at=hours_on(1))
    assert world.restore_accounts("db", "mydb-weekly") == []

    world.invoke(scheduled_event(), at=hours_on(2))

    assert world.metrics()["MissedEventsCaughtUp"] == 0
    assert world.restore_accounts("db", "mydb-weekly") == []


@pytest.mark.parametrize(("hours", "why"), [(0.1, "its event may be on its way"), (27, "older than a day")])
def test_only_snapshots_of_the_last_day_are_caught_up(world: World, hours: float, why: str) -> None:
    original = world.automated("cluster", "cluster-2026-12-03-05-00")

    world.invoke(scheduled_event(), at=hours_on(hours))

    assert world.metrics()["MissedEventsCaughtUp"] == 0, why
    assert world.describe("cluster", share_copy_of(original, "cluster")) is None


def test_a_snapshot_the_source_filter_leaves_out_is_not_caught_up(world: World) -> None:
    world.set_env(SOURCE_FILTER='{"exclude_identifiers": ["mycluster"]}')
    original = world.automated("cluster", "cluster-2026-12-03-05-00")

    world.invoke(scheduled_event(), at=hours_on(1))

    assert world.metrics()["MissedEventsCaughtUp"] == 0
    assert world.describe("cluster", share_copy_of(original, "cluster")) is None


def test_a_listing_that_fails_fails_its_kind_only_and_the_run_reports_it(world: World) -> None:
    # Throttled past the client's retries: the clean-up raised out of the handler before (a failed scheduled
    # run, the other kind not cleaned up or caught up either). Found by the year in backup-account mode.
    cluster = world.automated("cluster", "cluster-2026-12-03-05-00")
    world.automated("db", "db-2026-12-03-05-00")
    refuse(world.function_rds(), "DescribeDBSnapshots", "Throttling", "Rate exceeded")

    answer = world.invoke(scheduled_event(), at=hours_on(1))

    assert answer["status"] == "failed"
    metrics = world.metrics()
    assert metrics["Failed"] == 1
    assert metrics["MissedEventsCaughtUp"] >= 1
    assert world.describe("cluster", share_copy_of(cluster, "cluster")) is not None
