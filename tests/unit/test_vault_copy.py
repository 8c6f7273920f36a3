"""The vault's copier (backup-account mode, issue 17), in moto with two accounts: SOURCE_ACCOUNT shares its
snapshots with ACCOUNT (the vault), which copies each into the destination region in ONE call, by the shared
snapshot's ARN, under the vault key. moto's gaps in cross-account sharing are closed by the harness
(rds_snapshot_copy.demo.moto_patches)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from snapshot_copy.copy_config import CopyConfig
from snapshot_copy.errors import ConfigurationError, CopyFailedError, MalformedEventError
from snapshot_copy.events import snapshot_created_event
from snapshot_copy.naming import target_identifier

from .harness import (
    ACCOUNT,
    DESTINATION_REGION,
    OTHER_ACCOUNT,
    SOURCE_ACCOUNT,
    SOURCE_REGION,
    CallRecorder,
    account_sources,
    dlq_attributes,
    fail_call,
    failures,
    handler_clients,
    invoke,
    our_copies,
    share,
    sqs_event,
    tag_dict,
    tag_time,
)


@pytest.fixture
def vault_env(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("SOURCE_ACCOUNT_IDS", SOURCE_ACCOUNT)
    return {**function_env, "SOURCE_ACCOUNT_IDS": SOURCE_ACCOUNT}


@pytest.fixture
def source_account(aws: None) -> Any:
    return account_sources(SOURCE_ACCOUNT)


@pytest.fixture
def source_calls(function_env: dict[str, str]) -> CallRecorder:
    return CallRecorder(handler_clients().source_rds)


def created(snapshot: dict[str, Any], kind: str = "db", claimed: datetime | None = None) -> dict[str, Any]:
    """What the source side sends the vault: RDS's event for the shared snapshot (manual), `account` its own."""
    arn = snapshot["DBClusterSnapshotArn" if kind == "cluster" else "DBSnapshotArn"]
    return snapshot_created_event(arn, kind, "manual", None, datetime.now(UTC), source_snapshot_time=claimed)


def set_option_group(account: str, identifier: str, name: str) -> None:
    """MOTO GAP: moto describes no OptionGroupName on a DB snapshot; give the source snapshot one."""
    from moto.rds.models import rds_backends

    rds_backends[account][SOURCE_REGION].database_snapshots[identifier].option_group_name = name


def test_a_shared_db_snapshot_is_copied_in_one_call_under_the_vault_key(
    vault_env, source_account, destination_rds, destination_calls, source_calls, kms_key_arn
) -> None:
    snapshot = source_account.db_snapshot("orders-1", instance="orders", encrypted=True)
    share(source_account, snapshot)
    arn = snapshot["DBSnapshotArn"]
    assert arn.split(":")[4] == SOURCE_ACCOUNT

    result = invoke(created(snapshot))

    target = target_identifier("orders-1", arn, "db")
    assert (result["status"], result["target"]) == ("started", target)
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert params["SourceDBSnapshotIdentifier"] == arn
    assert params["SourceRegion"] == SOURCE_REGION
    assert params["KmsKeyId"] == kms_key_arn
    assert {"CopyOptionGroup", "OptionGroupName"}.isdisjoint(params)  # a default option group
    (copy,) = our_copies(destination_rds)
    assert copy["DBSnapshotIdentifier"] == target and copy["KmsKeyId"] == kms_key_arn
    tags = tag_dict(copy)
    assert tags["source_account"] == SOURCE_ACCOUNT
    assert tags["source_snapshot_arn"] == arn
    assert tags["source_snapshot_time"] == tag_time(snapshot["OriginalSnapshotCreateTime"])
    # Described among the snapshots shared with the vault; another account's tags are not asked for.
    (described,) = source_calls.params("DescribeDBSnapshots")
    assert described == {"DBSnapshotIdentifier": arn, "IncludeShared": True, "SnapshotType": "shared"}
    assert not source_calls.params("ListTagsForResource")


def test_a_shared_cluster_snapshot_is_copied_in_one_call_under_the_vault_key(
    vault_env, source_account, destination_rds, destination_calls, source_calls, kms_key_arn
) -> None:
    snapshot = source_account.cluster_snapshot("ledger-1", cluster="ledger", encrypted=True)
    share(source_account, snapshot)
    arn = snapshot["DBClusterSnapshotArn"]

    result = invoke(created(snapshot, "cluster"))

    assert result["status"] == "started"
    (params,) = destination_calls.params("CopyDBClusterSnapshot")
    assert params["SourceDBClusterSnapshotIdentifier"] == arn
    assert (params["SourceRegion"], params["KmsKeyId"]) == (SOURCE_REGION, kms_key_arn)
    (copy,) = our_copies(destination_rds, "cluster")
    assert tag_dict(copy)["source_account"] == SOURCE_ACCOUNT
    (described,) = source_calls.params("DescribeDBClusterSnapshots")
    assert described == {"DBClusterSnapshotIdentifier": arn, "IncludeShared": True, "SnapshotType": "shared"}
    assert not source_calls.params("ListTagsForResource")


def test_the_claimed_data_time_is_kept_when_earlier_than_the_shared_snapshots_own(
    vault_env, source_account, destination_rds
) -> None:
    # A cluster share copy's SnapshotCreateTime is when the share copy was made: the event carries the original's.
    snapshot = source_account.cluster_snapshot("ledger-2", cluster="ledger")
    share(source_account, snapshot)
    original = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=7)
    invoke(created(snapshot, "cluster", claimed=original))
    (copy,) = our_copies(destination_rds, "cluster")
    assert tag_dict(copy)["source_snapshot_time"] == tag_time(original)


def test_a_claimed_time_later_than_the_snapshots_own_is_not_believed(
    vault_env, source_account, destination_rds
) -> None:
    snapshot = source_account.cluster_snapshot("ledger-3", cluster="ledger")
    share(source_account, snapshot)
    invoke(created(snapshot, "cluster", claimed=datetime.now(UTC) + timedelta(days=3)))
    (copy,) = our_copies(destination_rds, "cluster")
    assert tag_dict(copy)["source_snapshot_time"] == tag_time(snapshot["SnapshotCreateTime"])


def test_a_claimed_time_far_before_the_snapshots_own_is_not_believed(
    vault_env, source_account, destination_rds
) -> None:
    """Whoever holds a source account can send the vault any SourceSnapshotTime: a claim of last year would let
    the vault's pruner (and the retention lock) treat a fresh copy as old. A share copy is made within hours of
    its original: a claim more than 24 h before the snapshot's own time is not believed."""
    snapshot = source_account.cluster_snapshot("ledger-4", cluster="ledger")
    share(source_account, snapshot)
    invoke(created(snapshot, "cluster", claimed=datetime.now(UTC) - timedelta(days=400)))
    (copy,) = our_copies(destination_rds, "cluster")
    assert tag_dict(copy)["source_snapshot_time"] == tag_time(snapshot["SnapshotCreateTime"])


def test_an_unshared_snapshot_gets_rdss_error_and_a_clear_dead_letter(
    vault_env, source_account, destination_calls, with_dlq
) -> None:
    snapshot = source_account.db_snapshot("secret-1", instance="orders")  # never shared with the vault
    records = with_dlq.records([created(snapshot)])
    response = invoke(sqs_event(records))
    assert failures(response) == set()  # settled: moved to the dead-letter queue by the function
    (dead,) = with_dlq.dead_letters()
    attributes = dlq_attributes(dead)
    assert attributes["error_code"] == "SourceSnapshotNotShared"
    assert (
        snapshot["DBSnapshotArn"] in attributes["error_reason"] and "DBSnapshotNotFound" in attributes["error_reason"]
    )
    assert f"account {SOURCE_ACCOUNT} is not shared with this account" in attributes["error_reason"]
    assert not destination_calls.params("CopyDBSnapshot")


def test_rds_refusing_the_copy_of_an_unshared_snapshot_is_the_same_clear_outcome(
    vault_env, source_account, destination_rds
) -> None:
    # Shared when described, unshared by the time of the copy: RDS's (moto_patches') not-found of the copy call.
    snapshot = source_account.cluster_snapshot("ledger-4", cluster="ledger")
    share(source_account, snapshot)
    source_account.rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="ledger-4", AttributeName="restore", ValuesToRemove=[ACCOUNT]
    )
    handler_clients().source_rds.meta.events.register(
        "before-call.rds.DescribeDBClusterSnapshots",
        lambda **_: (
            type("Http", (), {"status_code": 200, "headers": {}, "content": b""})(),
            {"DBClusterSnapshots": [{**snapshot, "Status": "available"}]},
        ),
    )
    with pytest.raises(CopyFailedError, match="DBClusterSnapshotNotFoundFault") as raised:
        invoke(created(snapshot, "cluster"))
    assert raised.value.code == "SourceSnapshotNotShared"
    assert our_copies(destination_rds, "cluster") == []


def test_a_snapshot_of_an_account_not_allowed_is_refused_without_any_call(
    vault_env, destination_calls, source_calls, with_dlq
) -> None:
    other = account_sources(OTHER_ACCOUNT)
    snapshot = other.db_snapshot("intruder-1", instance="orders")
    share(other, snapshot)  # shared with the vault, but the vault does not copy from that account
    response = invoke(sqs_event(with_dlq.records([created(snapshot)])))
    assert failures(response) == set()
    (dead,) = with_dlq.dead_letters()
    attributes = dlq_attributes(dead)
    assert attributes["error_code"] == "AccountNotAllowed"
    assert (
        OTHER_ACCOUNT in attributes["error_reason"]
        and f"SOURCE_ACCOUNT_IDS {SOURCE_ACCOUNT}" in attributes["error_reason"]
    )
    assert source_calls.calls == [] and destination_calls.calls == []


def test_without_source_account_ids_another_accounts_snapshot_is_refused(
    function_env, source_account, destination_calls, source_calls
) -> None:
    snapshot = source_account.db_snapshot("orders-9", instance="orders")
    share(source_account, snapshot)
    with pytest.raises(CopyFailedError, match=f"account {SOURCE_ACCOUNT}") as raised:
        invoke(created(snapshot))
    assert raised.value.code == "AccountNotAllowed"
    assert f"this account only ({ACCOUNT}" in str(raised.value)
    assert source_calls.calls == [] and destination_calls.calls == []


def test_an_event_whose_account_is_not_its_snapshots_is_malformed(vault_env, source_account, with_dlq) -> None:
    snapshot = source_account.db_snapshot("orders-2", instance="orders")
    share(source_account, snapshot)
    event = {**created(snapshot), "account": OTHER_ACCOUNT}
    with pytest.raises(MalformedEventError, match=f"account '{OTHER_ACCOUNT}' is not the account of its snapshot"):
        invoke(event)
    invoke(sqs_event(with_dlq.records([event])))
    (dead,) = with_dlq.dead_letters()
    assert dlq_attributes(dead)["error_code"] == "MalformedEvent"


def test_an_unreadable_claimed_time_is_malformed(vault_env, source_account) -> None:
    snapshot = source_account.db_snapshot("orders-3", instance="orders")
    event = created(snapshot)
    event["detail"]["SourceSnapshotTime"] = "yesterday"
    with pytest.raises(MalformedEventError, match="SourceSnapshotTime 'yesterday'"):
        invoke(event)


def test_the_vaults_own_snapshots_are_not_copied_unless_its_account_is_listed(
    vault_env, sources, destination_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = sources.db_snapshot("own-1")
    with pytest.raises(CopyFailedError) as raised:
        invoke(created(snapshot))
    assert raised.value.code == "AccountNotAllowed"
    monkeypatch.setenv("SOURCE_ACCOUNT_IDS", f"{SOURCE_ACCOUNT},{ACCOUNT}")
    assert invoke(created(snapshot))["status"] == "started"
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert params["SourceDBSnapshotIdentifier"] == snapshot["DBSnapshotArn"]


def test_in_organization_mode_the_copier_leaves_the_gate_to_iam(
    function_env, source_account, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_ORGANIZATION_ID", "o-abcdefghij")
    snapshot = source_account.db_snapshot("orders-4", instance="orders")
    share(source_account, snapshot)
    assert invoke(created(snapshot))["status"] == "started"
    assert tag_dict(our_copies(destination_rds)[0])["source_account"] == SOURCE_ACCOUNT


# ---- option groups ----


def test_a_mapped_option_group_names_the_destinations(
    vault_env, source_account, destination_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPTION_GROUP_MAP", json.dumps({"orders-og": "orders-og-dr"}))
    snapshot = source_account.db_snapshot("og-1", instance="orders")
    set_option_group(SOURCE_ACCOUNT, "og-1", "orders-og")
    share(source_account, snapshot)
    invoke(created(snapshot))
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert params["OptionGroupName"] == "orders-og-dr" and "CopyOptionGroup" not in params


def test_an_unmapped_option_group_of_another_account_is_copied_along(
    vault_env, source_account, destination_calls
) -> None:
    snapshot = source_account.db_snapshot("og-2", instance="orders")
    set_option_group(SOURCE_ACCOUNT, "og-2", "orders-og")
    share(source_account, snapshot)
    invoke(created(snapshot))
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert params["CopyOptionGroup"] is True and "OptionGroupName" not in params


def test_option_group_name_still_applies_and_the_map_wins_over_it(
    vault_env, source_account, destination_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPTION_GROUP_NAME", "everything-dr")
    monkeypatch.setenv("OPTION_GROUP_MAP", json.dumps({"orders-og": "orders-og-dr"}))
    for name, group in (("og-3", "orders-og"), ("og-4", "billing-og")):
        snapshot = source_account.db_snapshot(name, instance="orders")
        set_option_group(SOURCE_ACCOUNT, name, group)
        share(source_account, snapshot)
        invoke(created(snapshot))
    assert [p["OptionGroupName"] for p in destination_calls.params("CopyDBSnapshot")] == [
        "orders-og-dr",
        "everything-dr",
    ]


def test_this_accounts_own_non_default_option_group_is_not_copied_along(
    function_env, sources, destination_calls
) -> None:
    # RDS copies an option group only on a cross-account copy: single-account mode asks for none, as before.
    snapshot = sources.db_snapshot("own-og-1")
    set_option_group(ACCOUNT, "own-og-1", "orders-og")
    invoke(created(snapshot))
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert {"CopyOptionGroup", "OptionGroupName"}.isdisjoint(params)


def test_a_missing_option_group_dead_letters_naming_it_and_the_map(
    vault_env, source_account, with_dlq, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPTION_GROUP_MAP", json.dumps({"orders-og": "orders-og-dr"}))
    snapshot = source_account.db_snapshot("og-5", instance="orders")
    set_option_group(SOURCE_ACCOUNT, "og-5", "orders-og")
    share(source_account, snapshot)
    # MOTO GAP: moto ignores OptionGroupName; RDS answers this for a group the destination does not have.
    fail_call(
        handler_clients().destination_rds,
        "CopyDBSnapshot",
        "OptionGroupNotFoundFault",
        "Specified OptionGroupName: orders-og-dr not found.",
        404,
    )
    response = invoke(sqs_event(with_dlq.records([created(snapshot)])))
    assert failures(response) == set()
    (dead,) = with_dlq.dead_letters()
    attributes = dlq_attributes(dead)
    assert attributes["error_code"] == "OptionGroupNotFound"
    reason = attributes["error_reason"]
    assert "'orders-og-dr'" in reason and "'orders-og'" in reason and "OPTION_GROUP_MAP" in reason
    assert DESTINATION_REGION in reason


# ---- settings ----


@pytest.mark.parametrize(
    ("value", "named"),
    [("11111111111", "'11111111111'"), ("111111111111,abc", "'abc'"), ("1111111111111", "'1111111111111'")],
)
def test_a_malformed_source_account_id_is_refused_by_name(function_env, value: str, named: str) -> None:
    with pytest.raises(ConfigurationError, match=f"SOURCE_ACCOUNT_IDS .*got {named}"):
        CopyConfig.from_env({**function_env, "SOURCE_ACCOUNT_IDS": value})


def test_source_account_ids_are_read_in_order_without_duplicates_and_blanks(function_env) -> None:
    config = CopyConfig.from_env(
        {**function_env, "SOURCE_ACCOUNT_IDS": f" {SOURCE_ACCOUNT}, ,{OTHER_ACCOUNT},{SOURCE_ACCOUNT}"}
    )
    assert config.accounts.listed == (SOURCE_ACCOUNT, OTHER_ACCOUNT)
    assert config.accounts.backup_mode
    assert not CopyConfig.from_env({**function_env, "SOURCE_ACCOUNT_IDS": ""}).accounts.backup_mode


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SOURCE_ORGANIZATION_ID", "org-1", "SOURCE_ORGANIZATION_ID must be an AWS Organizations id"),
        ("OPTION_GROUP_MAP", "{not json", "OPTION_GROUP_MAP is not JSON"),
        ("OPTION_GROUP_MAP", '{"a": 1}', "OPTION_GROUP_MAP must be a JSON object"),
        ("OPTION_GROUP_MAP", '["a"]', "OPTION_GROUP_MAP must be a JSON object"),
    ],
)
def test_malformed_vault_settings_are_refused_by_name(function_env, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        CopyConfig.from_env({**function_env, name: value})


def test_without_a_function_arn_in_the_context_the_account_is_asked_of_sts_once(
    vault_env, source_account, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copy_snapshot

    snapshot = source_account.db_snapshot("orders-5", instance="orders")
    share(source_account, snapshot)
    intruder = account_sources(OTHER_ACCOUNT).db_snapshot("x-1", instance="x")
    copy_snapshot.own_account.cache_clear()
    asked: list[str] = []
    real_client = boto3.session.Session.client

    def client(self: Any, service: str, *args: Any, **kwargs: Any) -> Any:
        if service == "sts":
            asked.append(service)
        return real_client(self, service, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", client)

    class BareContext:
        function_name = "copier"

    try:
        assert invoke(created(snapshot), BareContext())["status"] == "started"
        with pytest.raises(CopyFailedError) as raised:
            invoke(created(intruder), BareContext())
        assert raised.value.code == "AccountNotAllowed"
        assert f"this account only ({ACCOUNT}" not in str(raised.value)  # listed accounts named instead
    finally:
        copy_snapshot.own_account.cache_clear()
    assert asked == ["sts"]
