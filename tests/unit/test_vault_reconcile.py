"""The vault's reconciler (backup-account mode, issue 17), in moto with two source accounts: it lists the
snapshots shared with the vault account, enqueues those without a copy as RDS's event of their own account,
and states every recovery point per (account, database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from snapshot_copy.events import parse_event
from snapshot_copy.kinds import KINDS
from snapshot_copy.sources import source_key

from .harness import (
    ACCOUNT,
    OTHER_ACCOUNT,
    SOURCE_ACCOUNT,
    SOURCE_REGION,
    Queues,
    SourceFactory,
    account_sources,
    invoke,
    our_copies,
    share,
    sqs_event,
)
from .test_reconcile import received, run


@pytest.fixture
def single_env(function_env: dict[str, str], queues: Queues, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reconciler's (and the copier's) environment in single-account mode."""
    monkeypatch.setenv("COPY_QUEUE_URL", queues.url)


@pytest.fixture
def vault_env(single_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_ACCOUNT_IDS", SOURCE_ACCOUNT)


@pytest.fixture
def source_account(aws: None) -> SourceFactory:
    return account_sources(SOURCE_ACCOUNT)


def backdate(account: str, identifier: str, hours: float, kind: str = "db") -> None:
    """MOTO GAP: snapshots are taken now; make `account`'s snapshot `hours` old."""
    from moto.rds.models import rds_backends

    backend = rds_backends[account][SOURCE_REGION]
    snapshots = backend.cluster_snapshots if kind == "cluster" else backend.database_snapshots
    taken = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=hours)
    snapshots[identifier].created = taken
    if kind == "db":
        snapshots[identifier].original_snapshot_create_time = taken


def shared_snapshot(factory: SourceFactory, name: str, kind: str = "db", database: str = "orders") -> dict[str, Any]:
    if kind == "cluster":
        snapshot = factory.cluster_snapshot(name, cluster=database)
    else:
        snapshot = factory.db_snapshot(name, instance=database)
    backdate(factory.account, name, 2, kind)
    share(factory, snapshot)
    return snapshot


def entries(result: dict[str, Any]) -> dict[tuple[str | None, str, str], dict[str, Any]]:
    return {(e.get("account"), e["kind"], e["source"]): e for e in result["sources"]}


def test_a_shared_snapshot_without_a_copy_is_enqueued_as_its_accounts_event_and_copied(
    vault_env, queues: Queues, source_account: SourceFactory, destination_rds: Any
) -> None:
    db = shared_snapshot(source_account, "orders-1")
    cluster = shared_snapshot(source_account, "ledger-1", "cluster", "ledger")

    result = run()

    assert sorted(result["enqueued"]) == sorted([db["DBSnapshotArn"], cluster["DBClusterSnapshotArn"]])
    messages = received(queues)
    events = [json.loads(m["Body"]) for m in messages]
    assert {e["account"] for e in events} == {SOURCE_ACCOUNT}
    refs = [
        parse_event(e, frozenset(KINDS["db"].created_events) | frozenset(KINDS["cluster"].created_events))
        for e in events
    ]
    assert {(r.account, r.kind) for r in refs} == {(SOURCE_ACCOUNT, "db"), (SOURCE_ACCOUNT, "cluster")}
    found = entries(result)
    assert set(found) == {(SOURCE_ACCOUNT, "db", "orders"), (SOURCE_ACCOUNT, "cluster", "ledger")}
    assert found[(SOURCE_ACCOUNT, "db", "orders")]["recovery_point"] is None

    # The copier takes the reconciler's messages as RDS's own.
    response = invoke(sqs_event(queues.records(events)))
    assert response == {"batchItemFailures": []}
    (copy,) = our_copies(destination_rds)
    assert source_key(copy, "db") == (SOURCE_ACCOUNT, "orders")
    assert source_key(our_copies(destination_rds, "cluster")[0], "cluster") == (SOURCE_ACCOUNT, "ledger")

    # Copied: nothing more to enqueue, and a recovery point for each source of that account.
    again = run()
    assert again["enqueued"] == []
    assert again["already_copied"] == 2
    for entry in again["sources"]:
        assert entry["account"] == SOURCE_ACCOUNT and entry["recovery_point"] is not None


def test_the_same_database_name_in_two_accounts_is_two_sources(
    vault_env, queues: Queues, source_account: SourceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_ACCOUNT_IDS", f"{SOURCE_ACCOUNT},{OTHER_ACCOUNT}")
    other = account_sources(OTHER_ACCOUNT)
    first = shared_snapshot(source_account, "orders-1")
    second = shared_snapshot(other, "orders-1")
    invoke(sqs_event(queues.records([json.loads(m["Body"]) for m in received_after(run(), queues, [first])])))

    result = run()

    found = entries(result)
    assert set(found) == {(SOURCE_ACCOUNT, "db", "orders"), (OTHER_ACCOUNT, "db", "orders")}
    # Only the first account's database has a copy: the other's is not covered by it.
    assert found[(SOURCE_ACCOUNT, "db", "orders")]["recovery_point"] is not None
    assert found[(OTHER_ACCOUNT, "db", "orders")]["recovery_point"] is None
    assert result["enqueued"] == [second["DBSnapshotArn"]]


def received_after(result: dict[str, Any], queues: Queues, only: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages of the run `result`, those of the snapshots `only` (the rest are left off)."""
    wanted = {s["DBSnapshotArn"] for s in only}
    assert wanted <= set(result["enqueued"])
    return [m for m in received(queues) if json.loads(m["Body"])["detail"]["SourceArn"] in wanted]


def test_a_snapshot_shared_by_an_account_not_allowed_is_skipped(
    vault_env, queues: Queues, source_account: SourceFactory
) -> None:
    intruder = shared_snapshot(account_sources(OTHER_ACCOUNT), "orders-7")
    allowed = shared_snapshot(source_account, "orders-8")
    result = run()
    assert result["enqueued"] == [allowed["DBSnapshotArn"]]
    assert result["skipped"] == {"account_not_allowed": 1}
    assert intruder["DBSnapshotArn"] not in json.dumps(received(queues))
    assert {e["account"] for e in result["sources"]} == {SOURCE_ACCOUNT}


def test_the_vaults_own_snapshots_count_only_when_its_account_is_listed(
    vault_env, queues: Queues, sources: SourceFactory, source_account: SourceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .harness import backdate_source, drop_automated_snapshots

    own = sources.db_snapshot("vault-own-1", instance="vaultdb")
    backdate_source("vault-own-1", hours=2)
    drop_automated_snapshots()
    shared = shared_snapshot(source_account, "orders-1")

    result = run()
    assert result["enqueued"] == [shared["DBSnapshotArn"]]
    assert set(entries(result)) == {(SOURCE_ACCOUNT, "db", "orders")}
    received(queues)

    monkeypatch.setenv("SOURCE_ACCOUNT_IDS", f"{SOURCE_ACCOUNT},{ACCOUNT}")
    result = run()
    assert sorted(result["enqueued"]) == sorted([own["DBSnapshotArn"], shared["DBSnapshotArn"]])
    assert set(entries(result)) == {(SOURCE_ACCOUNT, "db", "orders"), (ACCOUNT, "db", "vaultdb")}
    (own_message,) = [
        m for m in received(queues) if json.loads(m["Body"])["detail"]["SourceArn"] == own["DBSnapshotArn"]
    ]
    assert json.loads(own_message["Body"])["account"] == ACCOUNT


def test_a_source_stays_with_its_recovery_point_after_the_share_is_removed(
    vault_env, queues: Queues, source_account: SourceFactory
) -> None:
    snapshot = shared_snapshot(source_account, "orders-1")
    invoke(sqs_event(queues.records([json.loads(m["Body"]) for m in received_after(run(), queues, [snapshot])])))
    # The source side's clean-up unshares a snapshot once the vault holds an available copy.
    source_account.rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="orders-1", AttributeName="restore", ValuesToRemove=[ACCOUNT]
    )
    result = run()
    assert result["enqueued"] == []
    (entry,) = result["sources"]
    assert (entry["account"], entry["source"]) == (SOURCE_ACCOUNT, "orders")
    assert entry["recovery_point"] is not None and entry["within_rpo"] is True


def test_single_account_mode_entries_name_no_account(
    single_env: None, queues: Queues, sources: SourceFactory, source_account: SourceFactory
) -> None:
    from .harness import backdate_source, drop_automated_snapshots

    sources.db_snapshot("orders-1", instance="orders")
    backdate_source("orders-1", hours=2)
    drop_automated_snapshots()
    shared_snapshot(source_account, "shared-1")  # shared with this account, which copies only its own
    result = run()
    assert [e["source"] for e in result["sources"]] == ["orders"]
    assert "account" not in result["sources"][0]
    assert len(result["enqueued"]) == 1 and result["enqueued"][0].split(":")[4] == ACCOUNT


def test_per_source_metrics_carry_the_account_in_backup_mode(
    vault_env, queues: Queues, source_account: SourceFactory, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from .harness import metric_records

    monkeypatch.setenv("PER_SOURCE_METRICS", "true")
    shared_snapshot(source_account, "orders-1")
    capsys.readouterr()
    run()
    (record,) = [r for r in metric_records(capsys) if "RecoveryPointAgeHours" in vars(r)]
    assert (record.SourceAccount, record.SourceIdentifier, record.SnapshotKind) == (SOURCE_ACCOUNT, "orders", "db")
    assert [sorted(d) for d in record._aws["CloudWatchMetrics"][0]["Dimensions"]] == [
        ["FunctionName", "SnapshotKind", "SourceAccount", "SourceIdentifier"]
    ]


def test_the_reconciler_reads_the_same_account_settings_as_the_copier(queues: Queues) -> None:
    from snapshot_copy.errors import ConfigurationError
    from snapshot_copy.reconcile_config import ReconcileConfig

    env = {"SOURCE_REGION": SOURCE_REGION, "DESTINATION_REGION": "us-west-2", "COPY_QUEUE_URL": queues.url}
    assert not ReconcileConfig.from_env(env).accounts.backup_mode
    config = ReconcileConfig.from_env({**env, "SOURCE_ACCOUNT_IDS": f"{SOURCE_ACCOUNT},{OTHER_ACCOUNT}"})
    assert config.accounts.listed == (SOURCE_ACCOUNT, OTHER_ACCOUNT)
    assert ReconcileConfig.from_env({**env, "SOURCE_ORGANIZATION_ID": "o-abcdefghij"}).accounts.backup_mode
    with pytest.raises(ConfigurationError, match=r"SOURCE_ACCOUNT_IDS .*got '12345'"):
        ReconcileConfig.from_env({**env, "SOURCE_ACCOUNT_IDS": "12345"})


def test_another_accounts_source_never_copied_goes_past_the_rpo(vault_env, queues: Queues, source_account) -> None:
    # Its creation time cannot be read from the vault: its oldest shared snapshot stands for it.
    shared_snapshot(source_account, "orders-1")
    backdate(SOURCE_ACCOUNT, "orders-1", 30)
    (entry,) = run()["sources"]
    assert entry["recovery_point"] is None and entry["past_rpo"] is True
