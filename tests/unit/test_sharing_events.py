"""The source side (backup-account mode, issue 17), for a snapshot-created event: share it as it is, make a
share copy, refuse it as unshareable (with the reason), or leave it alone; the message each vault gets.
The world (moto, the vaults as other accounts, moto's gaps) is test_sharing_world.py's.
"""

from __future__ import annotations

import json
import os
from datetime import UTC

import pytest

from snapshot_copy.events import KNOWN_EVENTS, SOURCE_SNAPSHOT_TIME, parse_event
from snapshot_copy.kinds import KINDS
from snapshot_copy.sharing.handler import SharingFailedError
from snapshot_copy.sharing.naming import share_copy_identifier
from snapshot_copy.tagging import (
    TAG_DEPLOYMENT,
    TAG_SOURCE_ACCOUNT,
    TAG_SOURCE_REGION,
    TAG_SOURCE_SNAPSHOT_ARN,
    TAG_SOURCE_SNAPSHOT_TIME,
    parse_time,
)
from tests.unit.test_sharing_world import (
    DEPLOYMENT,
    REGION,
    SECOND_VAULT_ACCOUNT,
    SOURCE_ACCOUNT,
    VAULT_ACCOUNT,
    World,
    created_event,
    hook,
    refuse,
    set_status,
    sqs_batch,
    with_two_vaults,
)


@pytest.fixture
def world(share_world: World) -> World:  # tests/unit/conftest.py
    return share_world


# Share as it is


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_an_unencrypted_manual_snapshot_is_shared_as_it_is_and_each_vault_told(world: World, kind: str) -> None:
    with_two_vaults(world)
    snapshot = world.db_snapshot("mydb-manual") if kind == "db" else world.cluster_snapshot("mycluster-manual")
    identifier = snapshot[KINDS[kind].identifier_key]

    answer = world.invoke(created_event(snapshot))

    assert answer["status"] == "shared", answer
    assert answer["code"] == "Unencrypted"
    assert sorted(world.restore_accounts(kind, identifier)) == [VAULT_ACCOUNT, SECOND_VAULT_ACCOUNT]
    assert world.metrics()["Shared"] == 1
    arn = snapshot[KINDS[kind].arn_key]
    for vault in world.vaults:
        (message,) = vault.messages()
        # RDS's own shape, which the vault's copier reads as it reads RDS's, from the source account.
        parsed = parse_event(message, frozenset(KNOWN_EVENTS))
        assert (parsed.arn, parsed.account, parsed.kind) == (arn, SOURCE_ACCOUNT, kind)
        assert parsed.event_id in KINDS[kind].created_events
        assert KINDS[kind].created_events[parsed.event_id]["snapshot_type"] == "manual"
        assert message["account"] == SOURCE_ACCOUNT
        claimed = parse_time(message["detail"][SOURCE_SNAPSHOT_TIME])
        assert claimed == snapshot["SnapshotCreateTime"].astimezone(UTC).replace(microsecond=0)


def test_rds_own_event_from_tests_events_is_read(world: World) -> None:
    world.db_snapshot("mydb-manual-2024-05-06")
    with open(os.path.join(os.path.dirname(__file__), "..", "events", "db_snapshot_manual_created.json")) as file:
        event = json.load(file)

    assert world.invoke(event)["status"] == "shared"
    assert world.restore_accounts("db", "mydb-manual-2024-05-06") == [VAULT_ACCOUNT]


def test_a_manual_snapshot_under_a_shareable_key_is_shared_as_it_is(world: World) -> None:
    customer_key = world.kms.create_key(Description="grants the vault")["KeyMetadata"]["Arn"]
    world.set_env(SHAREABLE_KMS_KEY_ARNS=f"{customer_key}, ")
    snapshot = world.db_snapshot("mydb-cmk", key=customer_key)

    answer = world.invoke(created_event(snapshot))

    assert (answer["status"], answer["code"]) == ("shared", "ShareableKey")
    assert world.restore_accounts("db", "mydb-cmk") == [VAULT_ACCOUNT]
    assert world.describe("db", share_copy_identifier("mydb-cmk", snapshot["DBSnapshotArn"], "db")) is None


def test_sharing_adds_the_vault_accounts_only_and_keeps_the_others(world: World) -> None:
    snapshot = world.db_snapshot("mydb-shared-elsewhere")
    world.add_accounts("db", "mydb-shared-elsewhere", ["111111111111"])

    world.invoke(created_event(snapshot))

    assert sorted(world.restore_accounts("db", "mydb-shared-elsewhere")) == ["111111111111", VAULT_ACCOUNT]


# Share copies


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_an_automated_snapshot_gets_a_share_copy_which_its_own_event_shares(world: World, kind: str) -> None:
    original = world.automated(kind, f"{kind}-2026-12-03-05-00")
    table = KINDS[kind]
    expected = share_copy_identifier(original[table.identifier_key], original[table.arn_key], kind)

    answer = world.invoke(created_event(original))

    assert (answer["status"], answer["code"], answer["target"]) == ("share_copy_started", "NotManual", expected)
    assert world.metrics()["ShareCopiesStarted"] == 1
    copy = world.describe(kind, expected)
    tags = {tag["Key"]: tag["Value"] for tag in copy["TagList"]}
    assert tags[TAG_DEPLOYMENT] == DEPLOYMENT
    assert tags[TAG_SOURCE_SNAPSHOT_ARN] == original[table.arn_key]
    assert tags[TAG_SOURCE_REGION] == REGION
    assert tags[TAG_SOURCE_ACCOUNT] == SOURCE_ACCOUNT
    assert parse_time(tags[TAG_SOURCE_SNAPSHOT_TIME]) == original["SnapshotCreateTime"].astimezone(UTC).replace(
        microsecond=0
    )
    # The automated snapshot itself is never shared (RDS cannot), and no vault has heard of anything yet.
    assert world.restore_accounts(kind, original[table.identifier_key]) == []
    assert world.vault.messages() == []

    # The share copy's own created event (a manual snapshot of ours): shared, and the vault told of the copy,
    # with the original's data time.
    answer = world.invoke(created_event(copy))

    assert (answer["status"], answer["code"]) == ("shared", "ShareCopy")
    assert world.restore_accounts(kind, expected) == [VAULT_ACCOUNT]
    (message,) = world.vault.messages()
    assert message["detail"]["SourceArn"] == copy[table.arn_key]
    assert parse_time(message["detail"][SOURCE_SNAPSHOT_TIME]) == parse_time(tags[TAG_SOURCE_SNAPSHOT_TIME])


def test_a_snapshot_under_another_key_gets_a_share_copy_under_the_share_key(world: World) -> None:
    # aws/rds is one of these: a key that is neither the share key nor listed; no KMS call tells them apart.
    other_key = world.kms.create_key(Description="aws/rds stand-in")["KeyMetadata"]["Arn"]
    snapshot = world.cluster_snapshot("mycluster-default-key", key=other_key)

    answer = world.invoke(created_event(snapshot))

    assert (answer["status"], answer["code"]) == ("share_copy_started", "KeyNotShareable")
    copy = world.describe("cluster", answer["target"])
    assert copy["KmsKeyId"] == world.share_key
    assert world.restore_accounts("cluster", "mycluster-default-key") == []


def test_a_retried_event_does_not_copy_twice(world: World) -> None:
    original = world.automated("db", "mydb-2026-12-03-05-00")
    world.invoke(created_event(original))

    answer = world.invoke(created_event(original))

    assert (answer["status"], answer["code"]) == ("pending", "ShareCopyExists")


def test_a_share_copy_not_available_yet_waits_for_its_event_or_the_clean_up(world: World) -> None:
    original = world.automated("cluster", "mycluster-2026-12-03-05-00")
    copy_id = world.invoke(created_event(original))["target"]
    set_status(SOURCE_ACCOUNT, REGION, "cluster", copy_id, "creating")

    answer = world.invoke(created_event(world.describe("cluster", copy_id)))

    assert (answer["status"], answer["code"]) == ("pending", "ShareCopyNotAvailable")
    assert world.restore_accounts("cluster", copy_id) == []
    assert world.vault.messages() == []


def test_another_deployments_share_copy_is_left_alone(world: World) -> None:
    original = world.automated("db", "mydb-2026-12-03-06-00")
    world.set_env(DEPLOYMENT_NAME="other-share")
    copy_id = world.invoke(created_event(original))["target"]
    world.set_env(DEPLOYMENT_NAME=DEPLOYMENT)

    answer = world.invoke(created_event(world.describe("db", copy_id)))

    assert (answer["status"], answer["code"]) == ("ignored", "ForeignShareCopy")
    assert world.restore_accounts("db", copy_id) == []
    assert world.metrics()["EventsIgnored"] == 1


# Unshareable


def test_a_tde_snapshot_is_unshareable_with_the_reason_and_not_retried(world: World, caplog) -> None:
    world.rds.create_option_group(
        OptionGroupName="sqlserver-tde",
        EngineName="sqlserver-ee",
        MajorEngineVersion="15.00",
        OptionGroupDescription="x",
    )
    world.rds.modify_option_group(OptionGroupName="sqlserver-tde", OptionsToInclude=[{"OptionName": "TDE"}])
    snapshot = world.db_snapshot("mydb-tde")
    hook(
        world.function_rds(),
        "DescribeDBSnapshots",
        lambda parsed: [
            s.update(OptionGroupName="sqlserver-tde", Engine="sqlserver-ee") for s in parsed["DBSnapshots"]
        ],
    )

    answer = world.invoke(sqs_batch(created_event(snapshot)))

    assert answer == {"batchItemFailures": []}  # done: never retried
    assert world.metrics()["UnshareableSnapshots"] == 1
    (line,) = [r for r in caplog.records if getattr(r, "code", None) == "TdeOption"]
    assert "sqlserver-tde has the TDE option" in line.getMessage()
    assert world.restore_accounts("db", "mydb-tde") == []
    assert world.vault.messages() == []


def test_a_permanent_option_is_unshareable_and_no_share_copy_is_made(world: World, caplog) -> None:
    world.rds.create_option_group(
        OptionGroupName="pg-permanent", EngineName="mysql", MajorEngineVersion="8.0", OptionGroupDescription="x"
    )
    world.rds.modify_option_group(OptionGroupName="pg-permanent", OptionsToInclude=[{"OptionName": "SOMETHING"}])
    original = world.automated("db", "mydb-2026-12-03-07-00")
    client = world.function_rds()
    hook(client, "DescribeDBSnapshots", lambda p: [s.update(OptionGroupName="pg-permanent") for s in p["DBSnapshots"]])
    hook(client, "DescribeOptionGroups", lambda p: p["OptionGroupsList"][0]["Options"][0].update(Permanent=True))

    answer = world.invoke(created_event(original))

    assert (answer["status"], answer["code"]) == ("unshareable", "PermanentOption")
    assert "permanent option SOMETHING" in answer["reason"]
    share_id = share_copy_identifier(original["DBSnapshotIdentifier"], original["DBSnapshotArn"], "db")
    assert world.describe("db", share_id) is None
    assert any("permanent option SOMETHING" in record.getMessage() for record in caplog.records)


def test_rds_refusing_the_share_makes_it_unshareable(world: World) -> None:
    snapshot = world.db_snapshot("mydb-refused")
    refuse(world.function_rds(), "ModifyDBSnapshotAttribute", "InvalidParameterValue", "cannot share this snapshot")

    answer = world.invoke(created_event(snapshot))

    assert (answer["status"], answer["code"]) == ("unshareable", "InvalidParameterValue")
    assert world.metrics()["UnshareableSnapshots"] == 1
    assert world.vault.messages() == []


@pytest.mark.parametrize(("others", "shared"), [(18, True), (19, False)])
def test_rds_limit_of_twenty_accounts(world: World, others: int, shared: bool) -> None:
    with_two_vaults(world)
    snapshot = world.db_snapshot("mydb-popular")
    existing = [f"4000000000{n:02d}" for n in range(others)]
    world.add_accounts("db", "mydb-popular", existing)

    answer = world.invoke(created_event(snapshot))

    accounts = world.restore_accounts("db", "mydb-popular")
    if shared:
        assert answer["status"] == "shared"
        assert len(accounts) == 20
    else:
        assert (answer["status"], answer["code"]) == ("unshareable", "ShareLimitExceeded")
        assert "limit of 20 accounts" in answer["reason"]
        assert sorted(accounts) == existing
        assert world.metrics()["UnshareableSnapshots"] == 1


# Ignored, retried, failed


def test_a_snapshot_not_selected_is_ignored(world: World) -> None:
    world.set_env(SOURCE_FILTER=json.dumps({"exclude_identifiers": ["mydb"]}))
    snapshot = world.db_snapshot("mydb-excluded")

    answer = world.invoke(created_event(snapshot))

    assert (answer["status"], answer["code"]) == ("ignored", "NotSelected")
    assert world.restore_accounts("db", "mydb-excluded") == []


def test_a_tag_filter_reads_the_databases_own_tags(world: World) -> None:
    world.set_env(SOURCE_FILTER=json.dumps({"include_tags": {"backup": ["vault"]}}))
    untagged = world.db_snapshot("mydb-untagged")
    world.instance("tagged-db")
    world.rds.add_tags_to_resource(
        ResourceName=f"arn:aws:rds:{REGION}:{SOURCE_ACCOUNT}:db:tagged-db", Tags=[{"Key": "backup", "Value": "vault"}]
    )
    tagged = world.db_snapshot("tagged-db-manual", instance="tagged-db")

    assert world.invoke(created_event(untagged))["code"] == "NotSelected"
    assert world.invoke(created_event(tagged))["status"] == "shared"


def test_an_event_not_enabled_is_ignored(world: World) -> None:
    world.set_env(ENABLED_EVENT_IDS="RDS-EVENT-0091")
    snapshot = world.db_snapshot("mydb-manual-not-enabled")

    answer = world.invoke(created_event(snapshot))

    assert (answer["status"], answer["code"]) == ("ignored", "NotASnapshotEvent")
    assert "not enabled" in answer["reason"]
    assert world.restore_accounts("db", "mydb-manual-not-enabled") == []


def test_a_snapshot_that_is_gone_is_ignored(world: World) -> None:
    snapshot = world.db_snapshot("mydb-gone")
    world.rds.delete_db_snapshot(DBSnapshotIdentifier="mydb-gone")

    assert world.invoke(created_event(snapshot))["code"] == "SnapshotGone"


def test_a_batch_reports_only_the_records_that_must_come_back(world: World) -> None:
    good = world.db_snapshot("mydb-good")
    malformed = created_event(good) | {"detail": {**created_event(good)["detail"], "SourceArn": "not-an-arn"}}
    busy = world.db_snapshot("mydb-busy")
    hook(
        world.function_rds(),
        "DescribeDBSnapshots",
        lambda p: [s.update(Status="creating") for s in p["DBSnapshots"] if s["DBSnapshotIdentifier"] == "mydb-busy"],
    )

    answer = world.invoke(sqs_batch(created_event(good), malformed, created_event(busy)))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    metrics = world.metrics()
    assert (metrics["Shared"], metrics["Failed"]) == (1, 2)


def test_a_bare_event_that_fails_raises_with_its_code(world: World) -> None:
    snapshot = world.db_snapshot("mydb-throttled")
    refuse(world.function_rds(), "DescribeDBSnapshotAttributes", "Throttling", "Rate exceeded")

    with pytest.raises(SharingFailedError) as raised:
        world.invoke(created_event(snapshot))

    assert raised.value.code == "Throttling"
    assert world.metrics()["Failed"] == 1
