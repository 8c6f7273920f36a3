"""The world of the source side's tests (test_sharing_events.py, test_sharing_cleanup.py): moto with the source
account (moto's default) and the vaults as other accounts (credentials from sts:AssumeRole into one of their
roles act there), the function's environment, and RDS's events.

moto gaps worked around here, in the tests only, with hooks on the function's own clients: moto sends a
message to the caller's own queue of that name, not to the account in the queue URL (`deliver_across_accounts`
hands the function's SendMessage to the vault's account); a DB snapshot does not carry its instance's
OptionGroupName, and an option group's options have no Permanent / Persistent flags (`hook` adds them to
moto's answer); moto never refuses a share or throttles (`refuse`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import share_snapshot
from snapshot_copy.events import snapshot_created_event
from snapshot_copy.kinds import KINDS
from snapshot_copy.naming import target_identifier
from snapshot_copy.runtime import Runtime
from snapshot_copy.sharing import metrics as share_metrics
from snapshot_copy.tagging import TAG_SOURCE_SNAPSHOT_ARN
from tests.iam.recording import calls_of

SOURCE_ACCOUNT = "123456789012"  # moto's default account: the source account here
VAULT_ACCOUNT = "210987654321"
SECOND_VAULT_ACCOUNT = "310987654321"
REGION = "us-east-1"
VAULT_REGION = "us-west-2"
DEPLOYMENT = "rds-snapshot-share"
SHARE_ENV_VARS = (
    "VAULTS",
    "SHARE_KMS_KEY_ID",
    "SHAREABLE_KMS_KEY_ARNS",
    "SHARE_TIMEOUT_DAYS",
    "ENABLED_EVENT_IDS",
    "SOURCE_FILTER",
    "DEPLOYMENT_NAME",
    "METRIC_NAMESPACE",
    "SOURCE_REGION",
)


def account_session(account: str) -> boto3.session.Session:
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-{account}", RoleSessionName="sharing-tests"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


@dataclass
class VaultSide:
    """A vault in another account: its queue (source region) and its RDS in the destination region."""

    account: str
    sqs: Any
    rds: Any
    queue_url: str

    def as_env(self) -> dict[str, str]:
        return {
            "account_id": self.account,
            "queue_url": self.queue_url,
            "reader_role_arn": f"arn:aws:iam::{self.account}:role/rds-snapshot-copy-vault-reader",
            "destination_region": VAULT_REGION,
            "deployment_name": "rds-snapshot-copy",
            "copier_role_arn": f"arn:aws:iam::{self.account}:role/rds-snapshot-copy-copier",
        }

    def messages(self) -> list[dict[str, Any]]:
        found = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in found]

    def holds_copy(self, shared: dict[str, Any], kind: str, status: str | None = None) -> str:
        """Make the vault's copy of a shared snapshot (moto cannot copy across accounts), as its copier names it."""
        table = KINDS[kind]
        target = target_identifier(shared[table.identifier_key], shared[table.arn_key], kind)
        tags = [{"Key": TAG_SOURCE_SNAPSHOT_ARN, "Value": shared[table.arn_key]}]
        if kind == "db":
            self.rds.create_db_instance(
                DBInstanceIdentifier=f"v{target[:50]}",
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                AllocatedStorage=20,
                MasterUsername="admin_user",
                MasterUserPassword="not-a-real-password",
            )
            self.rds.create_db_snapshot(DBInstanceIdentifier=f"v{target[:50]}", DBSnapshotIdentifier=target, Tags=tags)
        else:
            self.rds.create_db_cluster(
                DBClusterIdentifier=f"v{target[:50]}",
                Engine="aurora-postgresql",
                MasterUsername="admin_user",
                MasterUserPassword="not-a-real-password",
            )
            self.rds.create_db_cluster_snapshot(
                DBClusterIdentifier=f"v{target[:50]}", DBClusterSnapshotIdentifier=target, Tags=tags
            )
        if status is not None:
            set_status(self.account, VAULT_REGION, kind, target, status)
        return target


@dataclass
class World:
    """The source account (moto's default) with the function's environment, and its vaults."""

    rds: Any
    kms: Any
    vaults: list[VaultSide]
    share_key: str
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    _instances: set[str] = field(default_factory=set)

    @property
    def vault(self) -> VaultSide:
        return self.vaults[0]

    def set_env(self, **env: str) -> None:
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)

    # Source snapshots
    def instance(self, name: str = "mydb", key: str | None = None) -> str:
        if name not in self._instances:
            extra = {"StorageEncrypted": True, "KmsKeyId": key} if key else {}
            self.rds.create_db_instance(
                DBInstanceIdentifier=name,
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                AllocatedStorage=20,
                MasterUsername="admin_user",
                MasterUserPassword="not-a-real-password",
                **extra,
            )
            self._instances.add(name)
        return name

    def cluster(self, name: str = "mycluster", key: str | None = None) -> str:
        if name not in self._instances:
            extra = {"StorageEncrypted": True, "KmsKeyId": key} if key else {}
            self.rds.create_db_cluster(
                DBClusterIdentifier=name,
                Engine="aurora-postgresql",
                MasterUsername="admin_user",
                MasterUserPassword="not-a-real-password",
                **extra,
            )
            self._instances.add(name)
        return name

    def db_snapshot(self, name: str, key: str | None = None, instance: str = "mydb", **kwargs: Any) -> dict[str, Any]:
        self.instance(instance if not key else f"{instance}-enc", key)
        source = instance if not key else f"{instance}-enc"
        return self.rds.create_db_snapshot(DBInstanceIdentifier=source, DBSnapshotIdentifier=name, **kwargs)[
            "DBSnapshot"
        ]

    def cluster_snapshot(self, name: str, key: str | None = None, **kwargs: Any) -> dict[str, Any]:
        cluster = self.cluster("mycluster-enc" if key else "mycluster", key)
        return self.rds.create_db_cluster_snapshot(
            DBClusterIdentifier=cluster, DBClusterSnapshotIdentifier=name, **kwargs
        )["DBClusterSnapshot"]

    def automated(self, kind: str, name: str, key: str | None = None) -> dict[str, Any]:
        from moto.rds.models import rds_backends

        backend = rds_backends[SOURCE_ACCOUNT][REGION]
        identifier = f"rds:{name}"
        if kind == "db":
            backend.create_auto_snapshot(self.instance("mydb-enc" if key else "mydb", key), identifier)
            return self.rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]
        backend.create_auto_cluster_snapshot(self.cluster("mycluster-enc" if key else "mycluster", key), identifier)
        return self.rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=identifier)["DBClusterSnapshots"][0]

    def describe(self, kind: str, identifier: str) -> dict[str, Any] | None:
        table = KINDS[kind]
        try:
            return getattr(self.rds, table.describe_operation)(**{table.identifier_key: identifier})[table.answer_key][
                0
            ]
        except ClientError:
            return None

    def restore_accounts(self, kind: str, identifier: str) -> list[str]:
        if kind == "db":
            answer = self.rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=identifier)
            attributes = answer["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
        else:
            answer = self.rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=identifier)
            attributes = answer["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"]
        return next((a["AttributeValues"] for a in attributes if a["AttributeName"] == "restore"), [])

    def add_accounts(self, kind: str, identifier: str, accounts: list[str]) -> None:
        if kind == "db":
            self.rds.modify_db_snapshot_attribute(
                DBSnapshotIdentifier=identifier, AttributeName="restore", ValuesToAdd=accounts
            )
        else:
            self.rds.modify_db_cluster_snapshot_attribute(
                DBClusterSnapshotIdentifier=identifier, AttributeName="restore", ValuesToAdd=accounts
            )

    # The function
    def function_rds(self) -> Any:
        """The function's own (cached) RDS client: tests hook moto's gaps onto it."""
        return share_snapshot.source_clients(REGION)[0]

    def invoke(self, event: Any, at: datetime | None = None) -> dict[str, Any]:
        """The handler as Lambda calls it; `at`: the clock it reads (the clean-up's timeouts)."""
        self.capsys.readouterr()
        with calls_of("share"):
            if at is None:
                return share_snapshot.lambda_handler(event, None)
            config = share_snapshot.ShareConfig.from_env()
            rds, sqs, sts = share_snapshot.source_clients(REGION)
            readers = share_snapshot.VaultReaders(sts, "tests")
            clients = share_snapshot.Clients(rds=rds, sqs=sqs, vault_rds=readers.rds)
            return share_snapshot.handle(event, config, clients, Runtime(function_name="t", clock=at.timestamp))

    def metrics(self) -> dict[str, int]:
        """The last EMF line the function wrote."""
        lines = [json.loads(line) for line in self.capsys.readouterr().out.splitlines() if '"_aws"' in line]
        assert lines, "the function wrote no metrics"
        return {name: lines[-1][name] for name in share_metrics.SHARING_METRICS}


def set_status(account: str, region: str, kind: str, identifier: str, status: str) -> None:
    """moto's snapshots are `available` at once; real ones are copying for a while, or fail."""
    from moto.rds.models import rds_backends

    backend = rds_backends[account][region]
    store = backend.database_snapshots if kind == "db" else backend.cluster_snapshots
    store[identifier].status = status


def created_event(snapshot: dict[str, Any]) -> dict[str, Any]:
    """RDS's own snapshot-created event for a snapshot (events.snapshot_created_event, as tests/events)."""
    kind = "cluster" if "DBClusterSnapshotArn" in snapshot else "db"
    table = KINDS[kind]
    return snapshot_created_event(
        snapshot[table.arn_key], kind, snapshot["SnapshotType"], snapshot.get("SnapshotCreateTime"), datetime.now(UTC)
    )


def sqs_batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{index}",
                "receiptHandle": f"r{index}",
                "body": json.dumps(event, default=str),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{SOURCE_ACCOUNT}:rds-snapshot-share",
                "awsRegion": REGION,
            }
            for index, event in enumerate(events)
        ]
    }


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "5b2b3d6e-0000-0000-0000-000000000000",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": SOURCE_ACCOUNT,
        "time": "2026-12-03T10:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{SOURCE_ACCOUNT}:rule/rds-snapshot-share-cleanup"],
        "detail": {},
    }


def make_world(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> World:
    """The source account with the function's environment and one vault (a second one ready: with_two_vaults);
    inside moto (the `aws` fixture)."""
    for name in SHARE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    vaults = []
    for account in (VAULT_ACCOUNT, SECOND_VAULT_ACCOUNT):
        session = account_session(account)
        sqs = session.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="rds-snapshot-copy")["QueueUrl"]
        vaults.append(VaultSide(account, sqs, session.client("rds", region_name=VAULT_REGION), url))
    kms = boto3.client("kms", region_name=REGION)
    share_key = kms.create_key(Description="share key")["KeyMetadata"]["Arn"]
    world = World(boto3.client("rds", region_name=REGION), kms, vaults[:1], share_key, monkeypatch, capsys)
    world.set_env(
        SOURCE_REGION=REGION,
        VAULTS=json.dumps([vaults[0].as_env()]),
        SHARE_KMS_KEY_ID=share_key,
        DEPLOYMENT_NAME=DEPLOYMENT,
    )
    world.all_vaults = vaults  # type: ignore[attr-defined]
    deliver_across_accounts(share_snapshot.source_clients(REGION)[1], vaults)
    return world


def deliver_across_accounts(function_sqs: Any, vaults: list[VaultSide]) -> None:
    """moto gap: SendMessage to another account's queue URL lands in the caller's account. The function's call
    (recorded as it made it) is answered by the vault's own client, so the message lands in the vault."""
    pending: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        pending.append(dict(params))

    def send(**_: Any) -> Any:
        params = pending.pop()
        vault = next(v for v in vaults if v.queue_url == params["QueueUrl"])
        return SimpleNamespace(status_code=200, headers={}), vault.sqs.send_message(**params)

    function_sqs.meta.events.register("before-parameter-build.sqs.SendMessage", keep)
    function_sqs.meta.events.register("before-call.sqs.SendMessage", send)


def with_two_vaults(world: World) -> None:
    world.vaults = world.all_vaults  # type: ignore[attr-defined]
    world.set_env(VAULTS=json.dumps([vault.as_env() for vault in world.vaults]))


def hook(client: Any, operation: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change moto's parsed answer to one of the function's calls (a moto gap), in place."""

    def after(parsed: dict[str, Any], **_: Any) -> None:
        change(parsed)

    client.meta.events.register(f"after-call.rds.{operation}", after)


def refuse(client: Any, operation: str, code: str, message: str) -> None:
    """Make RDS refuse one of the function's calls as real RDS would (moto never does)."""

    def before(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    client.meta.events.register(f"before-call.rds.{operation}", before)
