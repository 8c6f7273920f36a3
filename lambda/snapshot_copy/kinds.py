"""DB instance snapshots versus DB cluster (Aurora) snapshots: every difference, in one table.

What Terraform needs too (ARN resource types, detail-types, event IDs, copy limits) is read from
snapshot_kinds.json beside this file, which the Terraform module reads too; the boto3 names are added here.
Code that works on both kinds looks its operation, keys and limits up in `KINDS` instead of branching.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore import xform_name

_CATALOGUE: dict[str, dict[str, Any]] = json.loads(Path(__file__).with_name("snapshot_kinds.json").read_text())


@dataclass(frozen=True)
class Kind:
    name: str  # "db" or "cluster"
    description: str
    # ARNs: arn:<partition>:rds:<region>:<account>:<arn_resource_type>:<identifier>
    arn_resource_type: str
    source_arn_resource_type: str  # the database's or cluster's own ARN type
    detail_type: str  # EventBridge detail-type of its snapshot events
    max_copies_in_progress: int  # AWS's default limit of cross-region copies in progress per region
    created_events: dict[str, dict[str, str]]  # RDS event ID -> {snapshot_type, description}
    # boto3
    describe_operation: str
    answer_key: str
    identifier_key: str
    arn_key: str
    identifier_filter: str  # Filters name that selects snapshots by identifier
    source_identifier_key: str  # the database or cluster a snapshot was taken of
    copy_operation: str
    delete_operation: str  # boto3's name of the catalogue's delete_action (IAM's and the API's name)
    copy_source_param: str
    copy_target_param: str
    max_identifier_length: int  # RDS's limit for a snapshot identifier of this kind
    # RDS refuses a KMS key for the copy of an unencrypted cluster snapshot; a DB snapshot's copy can
    # (and here always does) take the destination key.
    copy_key_only_if_encrypted: bool
    copy_takes_option_group: bool  # option groups belong to DB instances
    # The destination's manual snapshot quota: Service Quotas' name for it (service code "rds") and AWS's
    # default, used where the quota cannot be read. Copies count against it like any manual snapshot.
    manual_snapshot_quota_name: str
    default_manual_snapshot_quota: int
    snapshot_time_keys: tuple[str, ...]  # when the data was taken, first key present wins

    def source_arn(self, partition: str, region: str, account: str, identifier: str) -> str:
        """The ARN of the database or cluster a snapshot of this kind is taken of."""
        return f"arn:{partition}:rds:{region}:{account}:{self.source_arn_resource_type}:{identifier}"

    def arn(self, partition: str, region: str, account: str, identifier: str) -> str:
        return f"arn:{partition}:rds:{region}:{account}:{self.arn_resource_type}:{identifier}"


def _kind(name: str, **boto: Any) -> Kind:
    shared = _CATALOGUE[name]
    return Kind(
        name=name,
        description=shared["description"],
        arn_resource_type=shared["arn_resource_type"],
        source_arn_resource_type=shared["source_arn_resource_type"],
        detail_type=shared["detail_type"],
        max_copies_in_progress=int(shared["max_copies_in_progress"]),
        created_events=dict(shared["created_events"]),
        delete_operation=xform_name(shared["delete_action"]),
        **boto,
    )


DB = _kind(
    "db",
    describe_operation="describe_db_snapshots",
    answer_key="DBSnapshots",
    identifier_key="DBSnapshotIdentifier",
    arn_key="DBSnapshotArn",
    identifier_filter="db-snapshot-id",
    source_identifier_key="DBInstanceIdentifier",
    copy_operation="copy_db_snapshot",
    copy_source_param="SourceDBSnapshotIdentifier",
    copy_target_param="TargetDBSnapshotIdentifier",
    max_identifier_length=255,
    copy_key_only_if_encrypted=False,
    copy_takes_option_group=True,
    manual_snapshot_quota_name="Manual DB instance snapshots",
    default_manual_snapshot_quota=100,
    # A copy's SnapshotCreateTime is when it was copied; OriginalSnapshotCreateTime when the data was taken.
    snapshot_time_keys=("OriginalSnapshotCreateTime", "SnapshotCreateTime"),
)
CLUSTER = _kind(
    "cluster",
    describe_operation="describe_db_cluster_snapshots",
    answer_key="DBClusterSnapshots",
    identifier_key="DBClusterSnapshotIdentifier",
    arn_key="DBClusterSnapshotArn",
    identifier_filter="db-cluster-snapshot-id",
    source_identifier_key="DBClusterIdentifier",
    copy_operation="copy_db_cluster_snapshot",
    copy_source_param="SourceDBClusterSnapshotIdentifier",
    copy_target_param="TargetDBClusterSnapshotIdentifier",
    max_identifier_length=63,
    copy_key_only_if_encrypted=True,
    copy_takes_option_group=False,
    manual_snapshot_quota_name="Manual DB cluster snapshots",
    default_manual_snapshot_quota=100,
    snapshot_time_keys=("SnapshotCreateTime",),
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (DB, CLUSTER)}
if set(KINDS) != set(_CATALOGUE):
    raise RuntimeError(f"snapshot_kinds.json names {sorted(_CATALOGUE)}, kinds.py knows {sorted(KINDS)}")

# RDS event ID -> (kind, its entry in the catalogue)
CREATED_EVENTS: dict[str, tuple[Kind, dict[str, str]]] = {
    event_id: (kind, event) for kind in KINDS.values() for event_id, event in kind.created_events.items()
}
BY_ARN_RESOURCE_TYPE: dict[str, Kind] = {kind.arn_resource_type: kind for kind in KINDS.values()}
