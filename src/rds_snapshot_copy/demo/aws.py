"""The demo's AWS side, in the emulator: its source databases and snapshots, RDS's events on the bus, the
events queue, and the copies the copier made.

The names (regions, databases, snapshots, tags) are the demo's; what RDS and EventBridge would do with them is
written here from AWS's documentation, independently of the functions' own catalogues, so that a wrong
catalogue shows. Clients point at the emulator with its fake credentials.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from rds_snapshot_copy.demo.emulator import ACCESS_KEY, SECRET_KEY, Emulator
from snapshot_copy.naming import target_identifier

# The regions the demo deploys to (examples/complete requires them, as the module does).
SOURCE_REGION = "eu-west-1"
DESTINATION_REGION = "eu-central-1"

# How the demo names what it creates in the source region.
DB_INSTANCE = "orders-db"
DB_SNAPSHOT = "orders-db-manual-1"
CLUSTER = "ledger-aurora"
CLUSTER_SNAPSHOT = "ledger-aurora-manual-1"
# A version the emulator lists Aurora's instance classes for, so that the drill checks the writer's class as it
# would in AWS (it knows none for plain PostgreSQL: run.py says so).
AURORA_VERSION = "15.2"
SOURCE_TAGS = {
    DB_SNAPSHOT: {"team": "orders", "environment": "demo"},
    CLUSTER_SNAPSHOT: {"team": "ledger", "environment": "demo"},
}

# RDS's own events (AWS documentation, "Amazon RDS event categories and event messages"), written
# here independently of lambda/snapshot_copy/snapshot_kinds.json so a wrong catalogue shows.
RDS_EVENTS = {
    "RDS-EVENT-0042": ("RDS DB Snapshot Event", "SNAPSHOT", "creation", "Manual snapshot created"),
    "RDS-EVENT-0041": ("RDS DB Snapshot Event", "SNAPSHOT", "deletion", "Deleted manual snapshot"),
    "RDS-EVENT-0091": ("RDS DB Snapshot Event", "SNAPSHOT", "creation", "Automated snapshot created"),
    "RDS-EVENT-0075": (
        "RDS DB Cluster Snapshot Event",
        "CLUSTER_SNAPSHOT",
        "creation",
        "Manual cluster snapshot created",
    ),
}


def session(emulator: Emulator) -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


class Clients:
    """boto3 clients for both regions, pointed at the emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self._session = session(emulator)
        self._endpoint = emulator.endpoint
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str = SOURCE_REGION) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self._session.client(service, region_name=region, endpoint_url=self._endpoint)
        return self._cache[key]


@dataclass(frozen=True)
class SourceSnapshot:
    kind: str  # "db" or "cluster"
    identifier: str
    arn: str
    tags: dict[str, str]
    # When its data was taken, as RDS answered its creation (the copy's source_snapshot_time tag).
    taken_at: datetime | None = None

    @property
    def created_event_id(self) -> str:
        return "RDS-EVENT-0075" if self.kind == "cluster" else "RDS-EVENT-0042"


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tags_dict(tag_list: Iterable[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tag_list or ()}


# The network both regions have under the same names (as a DR runbook prepares it): a DB subnet group and a
# security group, which a restore in the destination takes by name from the source database.
NETWORK_NAME = "app-db"


def create_network(clients: Clients, region: str) -> str:
    """A VPC with two subnets, the DB subnet group and the security group NETWORK_NAME; the group's ID."""
    ec2 = clients("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in enumerate("ab")
    ]
    clients("rds", region).create_db_subnet_group(
        DBSubnetGroupName=NETWORK_NAME, DBSubnetGroupDescription="databases", SubnetIds=subnets
    )
    return ec2.create_security_group(GroupName=NETWORK_NAME, Description="databases", VpcId=vpc)["GroupId"]


def create_database(rds: Any, identifier: str, **settings: Any) -> dict[str, Any]:
    """An encrypted PostgreSQL instance, the demo's kind of source database."""
    return rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="demo",
        MasterUserPassword="not-a-secret-1",
        StorageEncrypted=True,
        **settings,
    )["DBInstance"]


def create_source_snapshots(clients: Clients) -> list[SourceSnapshot]:
    """An encrypted RDS instance and Aurora cluster (with its writer) in the source region, in the network
    NETWORK_NAME (which the destination has too), and a manual snapshot of each.

    Manual snapshots: RDS takes automated ones itself, and no API (so no emulator call) creates one.
    """
    security_group = create_network(clients, SOURCE_REGION)
    create_network(clients, DESTINATION_REGION)
    network = {"DBSubnetGroupName": NETWORK_NAME, "VpcSecurityGroupIds": [security_group]}
    rds = clients("rds", SOURCE_REGION)
    create_database(rds, DB_INSTANCE, **network)
    db_snapshot = rds.create_db_snapshot(
        DBSnapshotIdentifier=DB_SNAPSHOT, DBInstanceIdentifier=DB_INSTANCE, Tags=_tag_list(SOURCE_TAGS[DB_SNAPSHOT])
    )["DBSnapshot"]
    rds.create_db_cluster(
        DBClusterIdentifier=CLUSTER,
        Engine="aurora-postgresql",
        EngineVersion=AURORA_VERSION,
        MasterUsername="demo",
        MasterUserPassword="not-a-secret-1",
        StorageEncrypted=True,
        **network,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{CLUSTER}-writer",
        DBClusterIdentifier=CLUSTER,
        Engine="aurora-postgresql",
        EngineVersion=AURORA_VERSION,
        DBInstanceClass="db.r6g.large",
    )
    cluster_snapshot = rds.create_db_cluster_snapshot(
        DBClusterSnapshotIdentifier=CLUSTER_SNAPSHOT,
        DBClusterIdentifier=CLUSTER,
        Tags=_tag_list(SOURCE_TAGS[CLUSTER_SNAPSHOT]),
    )["DBClusterSnapshot"]
    return [
        SourceSnapshot(
            "db", DB_SNAPSHOT, db_snapshot["DBSnapshotArn"], dict(SOURCE_TAGS[DB_SNAPSHOT]), taken_at(db_snapshot)
        ),
        SourceSnapshot(
            "cluster",
            CLUSTER_SNAPSHOT,
            cluster_snapshot["DBClusterSnapshotArn"],
            dict(SOURCE_TAGS[CLUSTER_SNAPSHOT]),
            taken_at(cluster_snapshot),
        ),
    ]


def taken_at(snapshot: dict[str, Any]) -> datetime | None:
    """When a snapshot's data was taken, as RDS describes it: the earliest of its OriginalSnapshotCreateTime
    (DB snapshots keep it through copies) and SnapshotCreateTime. Written here from RDS's documentation, not
    from the function's catalogue, so that the copies' tag is checked against an independent reading."""
    times = [snapshot.get(key) for key in ("OriginalSnapshotCreateTime", "SnapshotCreateTime")]
    known = [t for t in times if isinstance(t, datetime)]
    return min(known) if known else None


def tag_time(when: datetime) -> str:
    """The source_snapshot_time tag's format (the contract: ISO 8601, UTC, to the second)."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class PutEvent:
    event_id: str  # EventBridge's id of the event
    rds_event_id: str
    snapshot: SourceSnapshot
    put_at: float


def put_rds_event(clients: Clients, snapshot: SourceSnapshot, rds_event_id: str) -> PutEvent:
    """Put an event shaped like RDS's own on the source region's default bus."""
    detail_type, source_type, category, message = RDS_EVENTS[rds_event_id]
    detail = {
        "EventCategories": [category],
        "SourceType": source_type,
        "SourceArn": snapshot.arn,
        "Date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "Message": message,
        "SourceIdentifier": snapshot.identifier,
        "EventID": rds_event_id,
    }
    put_at = time.time()
    answer = clients("events", SOURCE_REGION).put_events(
        Entries=[
            {
                "Source": "aws.rds",
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "Resources": [snapshot.arn],
                "EventBusName": "default",
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        raise AssertionError(f"PutEvents failed: {answer}")
    return PutEvent(answer["Entries"][0]["EventId"], rds_event_id, snapshot, put_at)


def queue_depth(clients: Clients, queue_url: str) -> int:
    """Messages in the queue, visible or in flight (moto's own delivery attempt may hold them briefly)."""
    attributes = clients("sqs", SOURCE_REGION).get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def queued_event_ids(clients: Clients, queue_url: str) -> list[str]:
    """EventBridge ids of the events in the queue, read without consuming them (visibility 0)."""
    messages = (
        clients("sqs", SOURCE_REGION)
        .receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)
        .get("Messages", [])
    )
    return sorted(json.loads(m["Body"]).get("id", "?") for m in messages)


@dataclass(frozen=True)
class Copy:
    source: SourceSnapshot
    identifier: str
    arn: str
    kms_key_id: str
    tags: dict[str, str]
    status: str
    seconds_from_event: float | None = None


def find_copy(clients: Clients, source: SourceSnapshot) -> Copy | None:
    """The copier's copy of `source` in the destination region: the snapshot under the copier's identifier for
    it (naming.target_identifier) whose source_snapshot_arn tag names `source`. Not any snapshot with the tag:
    an operator's CopyTags copy of it carries the same tags under another name (retention_steps.AUDIT_COPY)."""
    identifier = target_identifier(source.identifier, source.arn, source.kind)
    rds = clients("rds", DESTINATION_REGION)
    if source.kind == "cluster":
        found = rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
        id_key, arn_key = "DBClusterSnapshotIdentifier", "DBClusterSnapshotArn"
    else:
        found = rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
        id_key, arn_key = "DBSnapshotIdentifier", "DBSnapshotArn"
    for snapshot in found:
        tags = tags_dict(snapshot.get("TagList"))
        if snapshot[id_key] == identifier and tags.get("source_snapshot_arn") == source.arn:
            return Copy(
                source=source,
                identifier=snapshot[id_key],
                arn=snapshot[arn_key],
                kms_key_id=snapshot.get("KmsKeyId", ""),
                tags=tags,
                status=snapshot.get("Status", ""),
            )
    return None


def expected_copy_tags(source: SourceSnapshot, deployment: str) -> dict[str, str]:
    """The contract: the source's own tags, plus source_region, source_snapshot_arn, the source's account (the
    ARN's: source_account), the deployment's name (snapshot_copy_deployment) and when the source's data was
    taken (source_snapshot_time); incremental_base "false": the demo's first copy of each source is a full one
    (and an Aurora copy always is)."""
    assert source.taken_at is not None, f"{source.arn}: no time known for it"
    return {
        **source.tags,
        "source_region": SOURCE_REGION,
        "source_snapshot_arn": source.arn,
        "source_account": source.arn.split(":")[4],
        "snapshot_copy_deployment": deployment,
        "source_snapshot_time": tag_time(source.taken_at),
        "incremental_base": "false",
    }


SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-25T04:00:00Z",
    "region": SOURCE_REGION,
    "resources": [],
    "detail": {},
}
