"""The source side's settings (VAULTS and the keys refused by name), the share copy's identifier and the
ours-rule of share copies, and the option-group rules of decide.py on RDS's own answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from snapshot_copy.errors import ConfigurationError
from snapshot_copy.naming import MAX_IDENTIFIER_LENGTH, is_valid_identifier, target_identifier
from snapshot_copy.sharing.config import ShareConfig
from snapshot_copy.sharing.decide import SHARE_AS_IS, SHARE_COPY, UNSHAREABLE, blocking_option, decide
from snapshot_copy.sharing.naming import is_share_copy, share_copy_identifier
from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_ARN, source_arn_tag_value

REGION = "us-east-1"
SHARE_KEY = f"arn:aws:kms:{REGION}:123456789012:key/11111111-2222-3333-4444-555555555555"
VAULT = {
    "account_id": "210987654321",
    "queue_url": f"https://sqs.{REGION}.amazonaws.com/210987654321/rds-snapshot-copy",
    "reader_role_arn": "arn:aws:iam::210987654321:role/rds-snapshot-copy-vault-reader",
    "destination_region": "us-west-2",
    "deployment_name": "rds-snapshot-copy",
    "copier_role_arn": "arn:aws:iam::210987654321:role/rds-snapshot-copy-copier",
}


def vault_of(account: str) -> dict[str, str]:
    return {key: value.replace("210987654321", account) for key, value in VAULT.items()}


def env(**changes: Any) -> dict[str, str]:
    base = {"SOURCE_REGION": REGION, "VAULTS": json.dumps([VAULT]), "SHARE_KMS_KEY_ID": SHARE_KEY}
    return {**base, **changes}


def test_the_settings_and_their_defaults() -> None:
    config = ShareConfig.from_env(env(SHAREABLE_KMS_KEY_ARNS=f"{SHARE_KEY.replace('1111', '9999')}, "))

    assert config.deployment_name == "rds-snapshot-share"
    assert config.share_timeout_days == 7
    assert config.vault_accounts == ("210987654321",)
    assert config.vaults[0].reader_role_arn == VAULT["reader_role_arn"]
    assert len(config.shareable_kms_key_arns) == 1


def test_two_vaults_in_one_account_share_with_it_once() -> None:
    second = {**VAULT, "destination_region": "eu-west-1", "queue_url": VAULT["queue_url"] + "-eu"}
    config = ShareConfig.from_env(env(VAULTS=json.dumps([VAULT, second])))

    assert config.vault_accounts == ("210987654321",)
    assert len(config.vaults) == 2


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"VAULTS": "[]"}, "non-empty JSON list"),
        ({"VAULTS": "{"}, "VAULTS is not JSON"),
        ({"VAULTS": json.dumps([{**VAULT, "account_id": "42"}])}, "VAULTS[0].account_id must be 12 digits"),
        ({"VAULTS": json.dumps([{k: v for k, v in VAULT.items() if k != "queue_url"}])}, "VAULTS[0] has no queue_url"),
        (
            {"VAULTS": json.dumps([{**VAULT, "reader_role_arn": "arn:aws:iam::999999999999:role/x"}])},
            "reader_role_arn must be a role of account 210987654321",
        ),
        (
            {"VAULTS": json.dumps([{**VAULT, "queue_url": VAULT["queue_url"].replace(REGION, "eu-west-1")}])},
            "copies from eu-west-1 (its queue's region), not from this SOURCE_REGION us-east-1",
        ),
        (
            {"VAULTS": json.dumps([vault_of(f"{n:012d}") for n in range(21)])},
            "at most 20",
        ),
        ({"SHARE_KMS_KEY_ID": "alias/share"}, "SHARE_KMS_KEY_ID must hold KMS key ARNs"),
        ({"SHARE_KMS_KEY_ID": SHARE_KEY.replace(REGION, "us-west-2")}, "not in SOURCE_REGION us-east-1"),
        ({"SHAREABLE_KMS_KEY_ARNS": "alias/aws/rds"}, "SHAREABLE_KMS_KEY_ARNS must hold KMS key ARNs"),
        ({"SHARE_TIMEOUT_DAYS": "0"}, "SHARE_TIMEOUT_DAYS must be at least 1"),
        ({"ENABLED_EVENT_IDS": "RDS-EVENT-9999"}, "unknown event IDs"),
        ({"DEPLOYMENT_NAME": "Bad Name"}, "DEPLOYMENT_NAME must be"),
        ({"VAULTS": ""}, "missing environment variable(s): VAULTS"),
    ],
)
def test_a_bad_setting_is_refused_by_name(changes: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        ShareConfig.from_env(env(**changes))
    assert named in str(raised.value)


def test_an_emulators_queue_url_is_taken_without_a_region() -> None:
    local = {**VAULT, "queue_url": "http://localhost:5000/210987654321/rds-snapshot-copy"}
    assert ShareConfig.from_env(env(VAULTS=json.dumps([local]))).vaults[0].queue_url == local["queue_url"]


# The share copy's identifier


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [("rds:mydb-2026-12-03-05-00", "db"), ("rds:" + "c" * 62, "cluster"), ("m" * 255, "db"), ("x" * 63, "cluster")],
)
def test_the_share_copy_identifier_is_valid_and_keeps_the_digest(identifier: str, kind: str) -> None:
    resource = "snapshot" if kind == "db" else "cluster-snapshot"
    arn = f"arn:aws:rds:{REGION}:123456789012:{resource}:{identifier}"

    share_id = share_copy_identifier(identifier, arn, kind)

    assert share_id.startswith("share-")
    assert is_valid_identifier(share_id, kind)
    assert len(share_id) <= MAX_IDENTIFIER_LENGTH[kind]
    assert share_id[-9:] == target_identifier(identifier, arn, kind)[-9:]
    other = share_copy_identifier(identifier, arn.replace("123456789012", "123456789013"), kind)
    assert other != share_id


def described(identifier: str, source_arn: str, deployment: str | None, kind: str = "db") -> dict[str, Any]:
    tags = [{"Key": TAG_SOURCE_SNAPSHOT_ARN, "Value": source_arn_tag_value(source_arn)}]
    if deployment is not None:
        tags.append({"Key": TAG_DEPLOYMENT, "Value": deployment})
    key = "DBSnapshotIdentifier" if kind == "db" else "DBClusterSnapshotIdentifier"
    return {key: identifier, "TagList": tags}


def test_ours_takes_the_deployment_tag_and_the_identifier() -> None:
    arn = f"arn:aws:rds:{REGION}:123456789012:snapshot:rds:mydb-2026-12-03-05-00"
    share_id = share_copy_identifier("rds:mydb-2026-12-03-05-00", arn, "db")

    assert is_share_copy(described(share_id, arn, "rds-snapshot-share"), "db", "rds-snapshot-share")
    assert not is_share_copy(described(share_id, arn, "other"), "db", "rds-snapshot-share")
    assert is_share_copy(described(share_id, arn, "other"), "db")  # someone's share copy: left alone
    assert not is_share_copy(described(share_id, arn, None), "db")
    assert not is_share_copy(described(share_id + "x", arn, "rds-snapshot-share"), "db", "rds-snapshot-share")
    assert not is_share_copy(described("mydb-copy", arn, "rds-snapshot-share"), "db", "rds-snapshot-share")


def test_ours_with_a_shortened_source_tag() -> None:
    identifier = "m" * 255
    arn = f"arn:aws:rds:{REGION}:123456789012:snapshot:{identifier}"
    assert len(arn) > 256
    share_id = share_copy_identifier(identifier, arn, "db")

    assert is_share_copy(described(share_id, arn, "rds-snapshot-share"), "db", "rds-snapshot-share")
    assert not is_share_copy(described("share-" + "m" * 100, arn, "rds-snapshot-share"), "db", "rds-snapshot-share")


# decide.py on RDS's answers


class OptionGroups:
    """An RDS client that answers DescribeOptionGroups only (and counts the calls)."""

    def __init__(self, options: list[dict[str, Any]]) -> None:
        self.options = options
        self.calls = 0

    def describe_option_groups(self, OptionGroupName: str) -> dict[str, Any]:
        self.calls += 1
        return {"OptionGroupsList": [{"OptionGroupName": OptionGroupName, "Options": self.options}]}


def db_snapshot(**extra: Any) -> dict[str, Any]:
    return {
        "DBSnapshotIdentifier": "mydb-manual",
        "DBSnapshotArn": f"arn:aws:rds:{REGION}:123456789012:snapshot:mydb-manual",
        "SnapshotType": "manual",
        "Status": "available",
        "Engine": "oracle-ee",
        "OptionGroupName": "custom",
        **extra,
    }


@pytest.mark.parametrize(
    ("engine", "options", "code"),
    [
        ("oracle-ee", [{"OptionName": "TDE_HSM"}], "TdeOption"),
        ("sqlserver-se", [{"OptionName": "TDE", "Permanent": True}], "TdeOption"),
        ("oracle-ee", [{"OptionName": "Timezone", "Permanent": True, "Persistent": True}], None),
        ("oracle-ee", [{"OptionName": "OLS", "Persistent": True}], None),
        ("oracle-ee", [{"OptionName": "JVM", "Persistent": True}], "PermanentOption"),
        ("mysql", [{"OptionName": "Timezone", "Permanent": True}], "PermanentOption"),
        ("mysql", [{"OptionName": "MEMCACHED"}], None),
    ],
)
def test_option_groups_that_block_a_share(engine: str, options: list[dict[str, Any]], code: str | None) -> None:
    blocked = blocking_option(db_snapshot(Engine=engine), "db", OptionGroups(options))
    assert (blocked[0] if blocked else None) == code


def test_a_default_option_group_and_a_cluster_snapshot_need_no_call() -> None:
    rds = OptionGroups([{"OptionName": "TDE"}])
    assert blocking_option(db_snapshot(OptionGroupName="default:oracle-ee-19"), "db", rds) is None
    assert blocking_option({"OptionGroupName": "custom"}, "cluster", rds) is None
    assert rds.calls == 0


def test_keys_decide_between_sharing_and_a_share_copy() -> None:
    customer = SHARE_KEY.replace("1111", "2222")
    config = ShareConfig.from_env(env(SHAREABLE_KMS_KEY_ARNS=customer))
    rds = OptionGroups([])
    encrypted = {"Encrypted": True, "OptionGroupName": None}

    assert decide(db_snapshot(**encrypted, KmsKeyId=SHARE_KEY), "db", config, rds).action == SHARE_AS_IS
    assert decide(db_snapshot(**encrypted, KmsKeyId=customer), "db", config, rds).action == SHARE_AS_IS
    aws_rds = SHARE_KEY.replace("1111", "3333")
    plan = decide(db_snapshot(**encrypted, KmsKeyId=aws_rds), "db", config, rds)
    assert (plan.action, plan.code) == (SHARE_COPY, "KeyNotShareable")
    automated = db_snapshot(SnapshotType="automated", DBSnapshotIdentifier="rds:mydb-1", OptionGroupName=None)
    assert decide(automated, "db", config, rds).action == SHARE_COPY
    tde = db_snapshot(SnapshotType="automated", DBSnapshotIdentifier="rds:mydb-1")
    assert decide(tde, "db", config, OptionGroups([{"OptionName": "TDE"}])).action == UNSHAREABLE
