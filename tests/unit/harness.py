"""Helpers for the unit tests (the fixtures are in tests/conftest.py).

Known moto gaps worked around here (test harness only; the function is never changed for moto),
re-checked at moto 5.2.5 (which fixed the lookup of automated snapshots, `...:snapshot:rds:mydb-x`, by ARN):
  * moto's copies are ``available`` at once: ``SourceFactory.set_destination_status`` sets pending/copying.
  * moto ignores SourceRegion and OptionGroupName, and accepts a KmsKeyId for the copy of an unencrypted
    cluster snapshot (RDS refuses it): those are asserted on the request (``CallRecorder`` / Stubber).
  * moto never raises the cross-region copy limit, throttling or 5xx: botocore Stubber provides them.
  * moto cannot copy or describe a snapshot another account shared (backup-account mode): the same patch as
    the emulator's, ``rds_snapshot_copy.demo.moto_patches.apply()``, is applied when this module is imported.
"""

from __future__ import annotations

import copy
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

import copy_snapshot
from rds_snapshot_copy.demo import moto_patches
from tests.iam.recording import calls_of

moto_patches.apply()

ACCOUNT = "123456789012"  # moto's default account: the vault's in the backup-account tests
# A source account of the backup-account mode: it shares snapshots with ACCOUNT (the vault).
SOURCE_ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"  # an account the vault does not copy from

SOURCE_REGION = "us-east-1"

DESTINATION_REGION = "us-west-2"

EVENTS_DIR = Path(__file__).parent.parent / "events"

REQUESTS_TABLE = "rds-snapshot-copy-copy-requests"

FUNCTION_ENV_VARS = (
    "SOURCE_REGION",
    "DESTINATION_REGION",
    "DESTINATION_REGION_KMS_KEY_ID",
    "ENABLED_EVENT_IDS",
    "OPTION_GROUP_NAME",
    "DEAD_LETTER_QUEUE_URL",
    "MAX_DB_COPIES_IN_PROGRESS",
    "MAX_CLUSTER_COPIES_IN_PROGRESS",
    "MAX_RECEIVE_COUNT",
    "MAX_WAIT_SECONDS",
    "WAIT_DELAY_MAX_SECONDS",
    "MAX_ERROR_TRIES",
    "METRIC_NAMESPACE",
    "DEPLOYMENT_NAME",
    "AWS_LAMBDA_FUNCTION_NAME",
    "SOURCE_ACCOUNT_IDS",
    "SOURCE_ORGANIZATION_ID",
    "OPTION_GROUP_MAP",
    # the reconciler's (and the copier's REQUESTS_TABLE)
    "COPY_QUEUE_URL",
    "RETENTION_DAYS",
    "RPO_HOURS",
    "SOURCE_FILTER",
    "REQUESTS_TABLE",
    "GRACE_MINUTES",
    "REREQUEST_AFTER_HOURS",
    "PER_SOURCE_METRICS",
    "DRILL_MAX_AGE_DAYS",
    # the pruner's
    "KEEP_LAST",
    "DRY_RUN",
)


def handler_clients() -> copy_snapshot.Clients:
    """The (cached) clients the handler will use: attach a Stubber or a CallRecorder to them."""
    if os.environ.get("REQUESTS_TABLE"):
        return copy_snapshot.clients_for(SOURCE_REGION, DESTINATION_REGION, True)
    return copy_snapshot.clients_for(SOURCE_REGION, DESTINATION_REGION)


@dataclass
class LambdaContext:
    function_name: str = "rds-snapshot-copy"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    # The function's own account comes from here (runtime.account_of_context), as in Lambda.
    invoked_function_arn: str = f"arn:aws:lambda:{SOURCE_REGION}:{ACCOUNT}:function:rds-snapshot-copy"


def invoke(event: Any, context: Any = None, *, keep_listing: bool = False) -> dict[str, Any]:
    """Invoke the handler. Unless `keep_listing`, forget the copy listing the container keeps between
    invocations (slots.py): tests change snapshot states behind its back (moto's copies are `available` at
    once, real ones in progress for hours); tests of the kept listing itself pass keep_listing."""
    if not keep_listing:
        for clients in _cached_clients():
            clients.slot_listings.clear()
            clients.slot_readings.clear()
    # Every AWS call the handler makes is recorded for the IAM simulation (tests/iam).
    with calls_of("copier"):
        return copy_snapshot.lambda_handler(event, context if context is not None else LambdaContext())


def _cached_clients() -> list[Any]:
    source, destination = os.environ.get("SOURCE_REGION"), os.environ.get("DESTINATION_REGION")
    if not source or not destination or copy_snapshot.clients_for.cache_info().currsize == 0:
        return []
    cached = [copy_snapshot.clients_for(source, destination)]
    if os.environ.get("REQUESTS_TABLE"):  # the handler's clients with a DynamoDB client are cached apart
        cached.append(copy_snapshot.clients_for(source, destination, True))
    return cached


class CallRecorder:
    """Records the parameters of every call a botocore client makes (moto or not), by operation name."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register(f"provide-client-params.{client.meta.service_model.endpoint_prefix}", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, copy.deepcopy(params)))

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


def _tags(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in (tags or {}).items()]


class SourceFactory:
    """Instances, clusters and their snapshots in the source region (moto), of `account` (default: ACCOUNT)
    through `session` (default: the default credentials, ACCOUNT's)."""

    def __init__(self, rds: Any, session: Any = None, account: str = ACCOUNT) -> None:
        self.rds = rds
        self.session = session or boto3
        self.account = account
        self._source_key: str | None = None

    @property
    def source_key(self) -> str:
        if self._source_key is None:
            kms = self.session.client("kms", region_name=SOURCE_REGION)
            self._source_key = kms.create_key(Description="source")["KeyMetadata"]["Arn"]
        return self._source_key

    # DB instances and snapshots
    def db_instance(self, name: str = "mydb", encrypted: bool = False) -> str:
        try:
            self.rds.describe_db_instances(DBInstanceIdentifier=name)
            return name
        except self.rds.exceptions.DBInstanceNotFoundFault:
            pass
        kwargs: dict[str, Any] = {}
        if encrypted:
            kwargs = {"StorageEncrypted": True, "KmsKeyId": self.source_key}
        self.rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password",
            **kwargs,
        )
        return name

    def db_snapshot(
        self, name: str, tags: dict[str, str] | None = None, instance: str = "mydb", encrypted: bool = False
    ) -> dict[str, Any]:
        self.db_instance(instance, encrypted=encrypted)
        kwargs: dict[str, Any] = {"Tags": _tags(tags)} if tags else {}
        return self.rds.create_db_snapshot(DBInstanceIdentifier=instance, DBSnapshotIdentifier=name, **kwargs)[
            "DBSnapshot"
        ]

    def automated_db_snapshot(self, name: str, instance: str = "mydb", tags: dict[str, str] | None = None) -> dict:
        """An automated snapshot `rds:<name>` (as RDS names them), created through moto's own backend."""
        from moto.rds.models import rds_backends

        self.db_instance(instance)
        identifier = f"rds:{name}"
        snapshot = rds_backends[self.account][SOURCE_REGION].create_auto_snapshot(instance, identifier)
        if tags:
            snapshot.tags = _tags(tags)
        return self.rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]

    # Clusters and cluster snapshots
    def cluster(self, name: str = "mycluster", encrypted: bool = False) -> str:
        try:
            self.rds.describe_db_clusters(DBClusterIdentifier=name)
            return name
        except self.rds.exceptions.DBClusterNotFoundFault:
            pass
        kwargs: dict[str, Any] = {}
        if encrypted:
            kwargs = {"StorageEncrypted": True, "KmsKeyId": self.source_key}
        self.rds.create_db_cluster(
            DBClusterIdentifier=name,
            Engine="aurora-postgresql",
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password",
            **kwargs,
        )
        return name

    def cluster_snapshot(
        self, name: str, tags: dict[str, str] | None = None, cluster: str = "mycluster", encrypted: bool = False
    ) -> dict[str, Any]:
        self.cluster(cluster, encrypted=encrypted)
        kwargs: dict[str, Any] = {"Tags": _tags(tags)} if tags else {}
        return self.rds.create_db_cluster_snapshot(
            DBClusterIdentifier=cluster, DBClusterSnapshotIdentifier=name, **kwargs
        )["DBClusterSnapshot"]

    def automated_cluster_snapshot(self, name: str, cluster: str = "mycluster") -> dict[str, Any]:
        from moto.rds.models import rds_backends

        self.cluster(cluster)
        identifier = f"rds:{name}"
        rds_backends[self.account][SOURCE_REGION].create_auto_cluster_snapshot(cluster, identifier)
        return self.rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=identifier)["DBClusterSnapshots"][0]


def account_session(account: str) -> boto3.session.Session:
    """A session acting in `account` (moto: credentials from sts:AssumeRole into one of its roles)."""
    credentials = boto3.client("sts", region_name=SOURCE_REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-{account}", RoleSessionName="unit-tests"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def account_sources(account: str = SOURCE_ACCOUNT) -> SourceFactory:
    """A SourceFactory in another account's source region (a source account of the backup-account mode)."""
    session = account_session(account)
    return SourceFactory(session.client("rds", region_name=SOURCE_REGION), session, account)


def share(factory: SourceFactory, snapshot: dict[str, Any], with_account: str = ACCOUNT) -> None:
    """Share a manual snapshot of `factory`'s account with `with_account` (its restore attribute), as the
    source side does."""
    if "DBClusterSnapshotIdentifier" in snapshot:
        factory.rds.modify_db_cluster_snapshot_attribute(
            DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"],
            AttributeName="restore",
            ValuesToAdd=[with_account],
        )
    else:
        factory.rds.modify_db_snapshot_attribute(
            DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"], AttributeName="restore", ValuesToAdd=[with_account]
        )


def fail_call(client: Any, operation: str, code: str, message: str, status: int = 400) -> None:
    """Make every `operation` (e.g. "CopyDBSnapshot") of `client` answer RDS's error `code` (moto never does)."""

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        http = SimpleNamespace(status_code=status, headers={}, content=b"")
        return http, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}

    client.meta.events.register(f"before-call.rds.{operation}", answer)


def destination_backend() -> Any:
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT][DESTINATION_REGION]


def backdate_source(identifier: str, hours: float, kind: str = "db") -> None:
    """MOTO GAP: snapshots are created now; make a source snapshot `hours` old (before it is copied)."""
    from datetime import UTC, datetime, timedelta

    from moto.rds.models import rds_backends

    backend = rds_backends[ACCOUNT][SOURCE_REGION]
    snapshots = backend.cluster_snapshots if kind == "cluster" else backend.database_snapshots
    taken = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=hours)
    snapshots[identifier].created = taken
    if kind == "db":
        snapshots[identifier].original_snapshot_create_time = taken


def drop_automated_snapshots() -> None:
    """moto takes an automated snapshot when it creates an instance or cluster; tests that count snapshots
    remove them (their own automated snapshots are made with SourceFactory.automated_*)."""
    from moto.rds.models import rds_backends

    backend = rds_backends[ACCOUNT][SOURCE_REGION]
    for snapshots in (backend.database_snapshots, backend.cluster_snapshots):
        for identifier in [i for i, s in snapshots.items() if s.snapshot_type == "automated"]:
            del snapshots[identifier]


def set_destination_status(identifier: str, status: str, kind: str = "db") -> None:
    """MOTO GAP: moto's copies are `available` at once; put one in a copy's in-progress state."""
    backend = destination_backend()
    snapshots = backend.cluster_snapshots if kind == "cluster" else backend.database_snapshots
    snapshots[identifier].status = status


def destination_snapshot(
    destination_rds: Any, identifier: str, tags: dict[str, str], kind: str = "db", status: str | None = None
) -> None:
    """A manual snapshot named `identifier` in the destination with these tags (a copy of 0.4.x, another
    deployment's, an operator's own), in `status` (MOTO GAP: moto's snapshots are `available` at once)."""
    if kind == "cluster":
        try:
            destination_rds.describe_db_clusters(DBClusterIdentifier="destcluster")
        except destination_rds.exceptions.DBClusterNotFoundFault:
            destination_rds.create_db_cluster(
                DBClusterIdentifier="destcluster",
                Engine="aurora-postgresql",
                MasterUsername="admin_user",
                MasterUserPassword="not-a-real-password",
            )
        destination_rds.create_db_cluster_snapshot(
            DBClusterIdentifier="destcluster", DBClusterSnapshotIdentifier=identifier, Tags=_tags(tags)
        )
    else:
        try:
            destination_rds.describe_db_instances(DBInstanceIdentifier="destdb")
        except destination_rds.exceptions.DBInstanceNotFoundFault:
            destination_rds.create_db_instance(
                DBInstanceIdentifier="destdb",
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                AllocatedStorage=20,
                MasterUsername="admin_user",
                MasterUserPassword="not-a-real-password",
            )
        destination_rds.create_db_snapshot(
            DBInstanceIdentifier="destdb", DBSnapshotIdentifier=identifier, Tags=_tags(tags)
        )
    if status is not None:
        set_destination_status(identifier, status, kind)


def our_copies(destination_rds: Any, kind: str = "db") -> list[dict[str, Any]]:
    """Snapshots in the destination that carry our source_snapshot_arn tag."""
    if kind == "cluster":
        snapshots = destination_rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
    else:
        snapshots = destination_rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    return [s for s in snapshots if any(t["Key"] == "source_snapshot_arn" for t in s.get("TagList", []))]


def tag_time(when: Any) -> str:
    """A time as the source_snapshot_time tag holds it (README: ISO 8601 in UTC, to the second); written out
    here rather than imported, so that the tests state the format and run against a release without it."""
    from datetime import UTC

    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def tag_dict(snapshot: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in snapshot.get("TagList", [])}


def load_event(name: str, arn: str | None = None, **detail: Any) -> dict[str, Any]:
    """A sample event from tests/events (without `.json`), its snapshot ARN replaced by `arn` (the
    SourceArn, resources and SourceIdentifier follow it); `detail` overrides detail fields."""
    event = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    if arn is not None:
        event["resources"] = [arn]
        event["detail"]["SourceArn"] = arn
        event["detail"]["SourceIdentifier"] = arn.split(":", 6)[6] if arn.count(":") >= 6 else arn
        event["region"] = arn.split(":")[3]
    event["detail"].update(detail)
    return event


def db_event(snapshot: dict[str, Any]) -> dict[str, Any]:
    kind = (
        "db_snapshot_automated_created" if snapshot.get("SnapshotType") == "automated" else "db_snapshot_manual_created"
    )
    return load_event(kind, snapshot["DBSnapshotArn"])


def cluster_event(snapshot: dict[str, Any]) -> dict[str, Any]:
    kind = (
        "cluster_snapshot_automated_created"
        if snapshot.get("SnapshotType") == "automated"
        else "cluster_snapshot_manual_created"
    )
    return load_event(kind, snapshot["DBClusterSnapshotArn"])


@dataclass
class Queues:
    """The function's source queue and dead-letter queue (moto SQS, in the source region)."""

    sqs: Any
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str
    name: str = "rds-snapshot-copy"
    sent: dict[str, str] = field(default_factory=dict)

    def records(
        self,
        bodies: list[Any],
        receive_count: int | list[int] = 1,
        sent_timestamp: int | None = None,
    ) -> list[dict[str, Any]]:
        """Send each body (dicts as JSON) to the queue, receive them (real receipt handles) and build the
        records Lambda's event source mapping would deliver. `receive_count`/`sent_timestamp` override
        ApproximateReceiveCount / SentTimestamp (ms) as the mapping would report them."""
        counts = receive_count if isinstance(receive_count, list) else [receive_count] * len(bodies)
        ids = []
        for body in bodies:
            text = body if isinstance(body, str) else json.dumps(body)
            ids.append(self.sqs.send_message(QueueUrl=self.url, MessageBody=text)["MessageId"])
        received: dict[str, dict[str, Any]] = {}
        while len(received) < len(ids):
            answer = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=43200,  # so that any shorter visibility afterwards is the function's doing
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            assert messages, "harness: sent messages were not received"
            for message in messages:
                received[message["MessageId"]] = message
        records = []
        for message_id, count in zip(ids, counts, strict=True):
            message = received[message_id]
            attributes = message["Attributes"]
            records.append(
                {
                    "messageId": message_id,
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": {
                        "ApproximateReceiveCount": str(count),
                        "SentTimestamp": str(sent_timestamp)
                        if sent_timestamp is not None
                        else attributes["SentTimestamp"],
                        "SenderId": attributes.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
                        "ApproximateFirstReceiveTimestamp": attributes.get(
                            "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
                        ),
                    },
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.arn,
                    "awsRegion": SOURCE_REGION,
                }
            )
        return records

    def visible_in(self, message_id: str) -> float:
        """Seconds until the message is visible again (moto's state)."""
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[ACCOUNT][SOURCE_REGION].queues[self.name]
        for message in queue._messages:
            if message.id == message_id:
                return (message.visible_at - time.time() * 1000) / 1000
        raise AssertionError(f"message {message_id} is not in the queue")

    def dead_letters(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=600
            )
            if not answer.get("Messages"):
                return out
            out.extend(answer["Messages"])


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def failures(response: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def dlq_attributes(message: dict[str, Any]) -> dict[str, str]:
    return {key: value["StringValue"] for key, value in message.get("MessageAttributes", {}).items()}


def metric_records(capsys: pytest.CaptureFixture[str]) -> list[SimpleNamespace]:
    """The Embedded Metric Format lines the function wrote to stdout (read once: capsys consumes them)."""
    records = []
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            records.append(SimpleNamespace(**json.loads(line)))
    return records


def only_metrics(capsys: pytest.CaptureFixture[str]) -> SimpleNamespace:
    records = metric_records(capsys)
    assert len(records) == 1, f"expected one EMF record on stdout, got {len(records)}"
    return records[0]


def new_id() -> str:
    return uuid.uuid4().hex[:8]
