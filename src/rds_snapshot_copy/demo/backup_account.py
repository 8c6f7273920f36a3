"""The backup-account demo's AWS side: two accounts in one emulator, the source account's databases and
snapshots, what the source side must do with each, and what the vault must hold afterwards.

moto keys everything by account: the emulator's fake static credentials act in its default account, the
VAULT here (where examples/backup-account deploys the root module), and credentials from sts:AssumeRole into
a role of another account act in that account (the role need not exist: moto checks no trust policy). The
example's `app` provider assumes ADMIN_ROLE in SOURCE_ACCOUNT that way, and so do the demo's own clients.

The three snapshots cover RDS's sharing rules (README, "Backup account"):
- orders-db's manual snapshot, under the application's customer key that the platform team lists as
  shareable (shareable_kms_key_arns): shared as it is;
- orders-db's AUTOMATED snapshot (moto, like RDS, takes one as the database is created): RDS shares no
  automated snapshot, so the source side makes a manual share copy under its share key and shares that;
- ledger-aurora's manual cluster snapshot under the default `aws/rds` key: RDS shares nothing under an AWS
  managed key. moto has no AWS managed keys: a database encrypted without a KmsKeyId gets the stand-in key
  id "default_kms_key_id", which, like aws/rds's ARN, is in no list the source side knows: a share copy.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from rds_snapshot_copy.demo.aws import (
    DESTINATION_REGION,
    SOURCE_REGION,
    SOURCE_TAGS,
    Clients,
    SourceSnapshot,
    create_database,
    create_network,
    taken_at,
)
from rds_snapshot_copy.demo.emulator import ACCESS_KEY, ACCOUNT_ID, SECRET_KEY, Emulator
from snapshot_copy.naming import target_identifier

VAULT_ACCOUNT = ACCOUNT_ID  # moto's default account: the static credentials'
SOURCE_ACCOUNT = "210987654321"
# An account the vault does not list: it shares a snapshot with the vault all the same.
STRANGER_ACCOUNT = "345678901234"
ADMIN_ROLE = "OrganizationAccountAccessRole"

APP_KEY_DESCRIPTION = "orders: the application's database key (listed as shareable with the vault)"
ORDERS_DB = "orders-db"
ORDERS_SNAPSHOT = "orders-db-manual-1"
LEDGER = "ledger-aurora"
LEDGER_SNAPSHOT = "ledger-aurora-manual-1"
STRANGER_DB = "stranger-db"
STRANGER_SNAPSHOT = "stranger-db-manual-1"
AURORA_VERSION = "15.2"

AS_IS = "shared as-is"
SHARE_COPY = "share copy"


def assumed_credentials(emulator: Emulator, role_arn: str, session_name: str = "rds-snapshot-copy-demo") -> dict:
    """sts:AssumeRole with the emulator's static credentials: credentials that act in the role's account."""
    sts = boto3.client(
        "sts",
        region_name=SOURCE_REGION,
        endpoint_url=emulator.endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    return sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]


def credentials_env(credentials: dict) -> dict[str, str]:
    """The environment a process (a function, the command) needs to act with these credentials."""
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def role_env(emulator: Emulator, role_arn: str) -> dict[str, str]:
    """A function's environment additions to act as its role (as Lambda hands it its role's credentials)."""
    return credentials_env(assumed_credentials(emulator, role_arn, role_arn.rsplit("/", 1)[-1][:64]))


class AccountClients(Clients):
    """boto3 clients of one account, both regions, pointed at the emulator (the vault: its static credentials;
    another account: the credentials of ADMIN_ROLE there, as the example's provider assumes it)."""

    def __init__(self, emulator: Emulator, account: str = VAULT_ACCOUNT, role_name: str = ADMIN_ROLE) -> None:
        super().__init__(emulator)
        self.account = account
        self.env: dict[str, str] = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        if account != VAULT_ACCOUNT:
            credentials = assumed_credentials(emulator, f"arn:aws:iam::{account}:role/{role_name}")
            self.env = credentials_env(credentials)
            self._session = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
        found = self("sts").get_caller_identity()["Account"]
        if found != account:
            raise AssertionError(f"clients meant for account {account} act in {found}")


def create_app_key(source: AccountClients) -> str:
    """The application's customer key in the source account (the platform team lists it as shareable)."""
    return source("kms", SOURCE_REGION).create_key(Description=APP_KEY_DESCRIPTION)["KeyMetadata"]["Arn"]


@dataclass(frozen=True)
class Original:
    """A snapshot in the source account and what the source side must do with it."""

    snapshot: SourceSnapshot
    event_id: str  # RDS's snapshot-created event for it
    expected: str  # AS_IS or SHARE_COPY
    why: str


def _snapshot(kind: str, answer: dict[str, Any], tags: dict[str, str]) -> SourceSnapshot:
    key = "DBClusterSnapshot" if kind == "cluster" else "DBSnapshot"
    return SourceSnapshot(kind, answer[f"{key}Identifier"], answer[f"{key}Arn"], tags, taken_at(answer))


def create_originals(source: AccountClients, app_key_arn: str) -> list[Original]:
    """orders-db (customer key) with a manual and its automated snapshot; ledger-aurora (aws/rds stand-in)
    with a manual cluster snapshot."""
    security_group = create_network(source, SOURCE_REGION)
    network = {"DBSubnetGroupName": "app-db", "VpcSecurityGroupIds": [security_group]}
    rds = source("rds", SOURCE_REGION)
    create_database(rds, ORDERS_DB, KmsKeyId=app_key_arn, **network)
    manual = rds.create_db_snapshot(
        DBSnapshotIdentifier=ORDERS_SNAPSHOT,
        DBInstanceIdentifier=ORDERS_DB,
        Tags=[{"Key": k, "Value": v} for k, v in SOURCE_TAGS[ORDERS_SNAPSHOT].items()],
    )["DBSnapshot"]
    automated = rds.describe_db_snapshots(DBInstanceIdentifier=ORDERS_DB, SnapshotType="automated")["DBSnapshots"]
    if len(automated) != 1:
        raise AssertionError(f"expected one automated snapshot of {ORDERS_DB}, found {automated}")
    rds.create_db_cluster(
        DBClusterIdentifier=LEDGER,
        Engine="aurora-postgresql",
        EngineVersion=AURORA_VERSION,
        MasterUsername="demo",
        MasterUserPassword="not-a-secret-1",
        StorageEncrypted=True,  # no KmsKeyId: RDS takes aws/rds
        **network,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{LEDGER}-writer",
        DBClusterIdentifier=LEDGER,
        Engine="aurora-postgresql",
        EngineVersion=AURORA_VERSION,
        DBInstanceClass="db.r6g.large",
    )
    cluster = rds.create_db_cluster_snapshot(
        DBClusterSnapshotIdentifier=LEDGER_SNAPSHOT,
        DBClusterIdentifier=LEDGER,
        Tags=[{"Key": k, "Value": v} for k, v in SOURCE_TAGS[LEDGER_SNAPSHOT].items()],
    )["DBClusterSnapshot"]
    return [
        Original(
            _snapshot("db", manual, dict(SOURCE_TAGS[ORDERS_SNAPSHOT])),
            "RDS-EVENT-0042",
            AS_IS,
            "manual, under a key listed in shareable_kms_key_arns",
        ),
        Original(
            _snapshot("db", automated[0], {}),
            "RDS-EVENT-0091",
            SHARE_COPY,
            "automated: RDS shares no automated snapshot",
        ),
        Original(
            _snapshot("cluster", cluster, dict(SOURCE_TAGS[LEDGER_SNAPSHOT])),
            "RDS-EVENT-0075",
            SHARE_COPY,
            f"under aws/rds (the emulator's stand-in {cluster.get('KmsKeyId')}): RDS shares nothing under it",
        ),
    ]


def share_copies(source: AccountClients, prefix: str = "share-") -> list[SourceSnapshot]:
    """The source account's manual snapshots named like the source side's share copies, both kinds."""
    rds = source("rds", SOURCE_REGION)
    found = [
        _snapshot("db", s, {})
        for s in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
        if s["DBSnapshotIdentifier"].startswith(prefix)
    ]
    found += [
        _snapshot("cluster", s, {})
        for s in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
        if s["DBClusterSnapshotIdentifier"].startswith(prefix)
    ]
    return sorted(found, key=lambda s: s.arn)


def restore_accounts(source: AccountClients, snapshot: SourceSnapshot) -> list[str] | None:
    """The accounts a snapshot is shared with (its restore attribute); None when the snapshot is gone."""
    rds = source("rds", SOURCE_REGION)
    try:
        if snapshot.kind == "cluster":
            result = rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=snapshot.identifier)
            attributes = result["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"]
        else:
            result = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=snapshot.identifier)
            attributes = result["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
    except source("rds", SOURCE_REGION).exceptions.ClientError as exc:
        if "NotFound" in exc.response["Error"]["Code"]:
            return None
        raise
    values = [a.get("AttributeValues", []) for a in attributes if a.get("AttributeName") == "restore"]
    return sorted(values[0]) if values else []


def exists(clients: Clients, region: str, snapshot: SourceSnapshot) -> bool:
    rds = clients("rds", region)
    try:
        if snapshot.kind == "cluster":
            rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=snapshot.identifier)
        else:
            rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot.identifier)
    except rds.exceptions.ClientError as exc:
        if "NotFound" in exc.response["Error"]["Code"]:
            return False
        raise
    return True


@dataclass(frozen=True)
class VaultCopy:
    shared: SourceSnapshot  # what the vault copied: the original or its share copy
    identifier: str
    arn: str
    kms_key_id: str
    status: str
    tags: dict[str, str]


def vault_copy(vault: AccountClients, shared: SourceSnapshot) -> VaultCopy | None:
    """The vault copier's copy of a shared snapshot: in the destination region, under the copier's identifier
    for the shared snapshot (naming.target_identifier), whose source_snapshot_arn tag names it."""
    identifier = target_identifier(shared.identifier, shared.arn, shared.kind)
    rds = vault("rds", DESTINATION_REGION)
    try:
        if shared.kind == "cluster":
            found = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=identifier)["DBClusterSnapshots"]
            arn_key = "DBClusterSnapshotArn"
        else:
            found = rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"]
            arn_key = "DBSnapshotArn"
    except rds.exceptions.ClientError as exc:
        if "NotFound" in exc.response["Error"]["Code"]:
            return None
        raise
    snapshot = found[0]
    tags = {t["Key"]: t.get("Value", "") for t in snapshot.get("TagList") or []}
    if tags.get("source_snapshot_arn") != shared.arn:
        return None
    return VaultCopy(shared, identifier, snapshot[arn_key], snapshot.get("KmsKeyId", ""), snapshot["Status"], tags)


def share_with(clients: AccountClients, snapshot: SourceSnapshot, account: str) -> None:
    rds = clients("rds", SOURCE_REGION)
    if snapshot.kind == "cluster":
        rds.modify_db_cluster_snapshot_attribute(
            DBClusterSnapshotIdentifier=snapshot.identifier, AttributeName="restore", ValuesToAdd=[account]
        )
    else:
        rds.modify_db_snapshot_attribute(
            DBSnapshotIdentifier=snapshot.identifier, AttributeName="restore", ValuesToAdd=[account]
        )


def create_stranger_share(stranger: AccountClients) -> SourceSnapshot:
    """An account the vault does not list shares a snapshot with the vault (an unencrypted one: no key stops it)."""
    rds = stranger("rds", SOURCE_REGION)
    rds.create_db_instance(
        DBInstanceIdentifier=STRANGER_DB,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="demo",
        MasterUserPassword="not-a-secret-1",
    )
    answer = rds.create_db_snapshot(DBSnapshotIdentifier=STRANGER_SNAPSHOT, DBInstanceIdentifier=STRANGER_DB)
    snapshot = _snapshot("db", answer["DBSnapshot"], {})
    share_with(stranger, snapshot, VAULT_ACCOUNT)
    return snapshot


def rds_created_event(snapshot: SourceSnapshot, account: str, event_id: str, when: datetime | None = None) -> dict:
    """RDS's snapshot-created event for a snapshot of `account`, as EventBridge delivers it."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "version": "0",
        "id": f"demo-{snapshot.identifier}",
        "detail-type": "RDS DB Cluster Snapshot Event" if snapshot.kind == "cluster" else "RDS DB Snapshot Event",
        "source": "aws.rds",
        "account": account,
        "time": stamp,
        "region": SOURCE_REGION,
        "resources": [snapshot.arn],
        "detail": {
            "EventCategories": ["creation"],
            "SourceType": "CLUSTER_SNAPSHOT" if snapshot.kind == "cluster" else "SNAPSHOT",
            "SourceArn": snapshot.arn,
            "Date": (when.strftime("%Y-%m-%dT%H:%M:%S.000Z") if when else stamp),
            "SourceIdentifier": snapshot.identifier,
            "Message": "Manual snapshot created",
            "EventID": event_id,
        },
    }


def scheduled_event(account: str) -> dict[str, Any]:
    """The clean-up schedule's event, as EventBridge Scheduler/rules deliver it in the source account."""
    return {
        "version": "0",
        "id": "0b9d1d2c-0000-4000-8000-00000000c1ea",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": SOURCE_REGION,
        "resources": [],
        "detail": {},
    }


def dead_letters(clients: Clients, queue_url: str) -> list[dict[str, Any]]:
    """The messages in a dead-letter queue with the reason attributes the copier writes, read and left there
    (visibility 0)."""
    messages = (
        clients("sqs", SOURCE_REGION)
        .receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )
    found = []
    for m in messages:
        attributes = {k: v.get("StringValue", "") for k, v in (m.get("MessageAttributes") or {}).items()}
        found.append({"body": json.loads(m["Body"]), **attributes})
    return found
