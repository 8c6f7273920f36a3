"""The demo's retention step: older copies of this deployment's sources, as the copier would have made them on
earlier days, and one copy the pruner must never delete, whatever its tags say.

moto stamps every snapshot "now", so a pruner would find nothing old: the emulator backdates a snapshot created
with the tag AGE_TAG (emulator.patch_moto, item 6). The older copies are this deployment's own, exactly: the
tags the copier writes (its deployment name, the source region, the source ARN, the source's data time) and
the identifier the copier gives a copy of that source ARN (naming.target_identifier). Without both the pruner
must leave a copy alone (snapshot_copy.ownership), so a seed without them would prove nothing.

AUDIT_COPY is an operator's own copy of one of them, made with CopyTags: every tag of the copier's copy, the
deployment's identity included, and an expired data time, but under a name of the operator's. Its tags pass
the pruner's IAM conditions (they cannot tell it from a copy); the identifier does not, so it must stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION, Clients, SourceSnapshot, tag_time
from rds_snapshot_copy.demo.emulator import AGE_TAG
from snapshot_copy.naming import target_identifier

# Days ago of the older copies the demo seeds, per kind: with retention 35 and keep_last 3, the DB
# source keeps today's copy and the 10- and 20-day ones and loses the rest; the cluster keeps today's and
# the 40- and 50-day ones (the newest three, whatever their age) and loses 60 and 70.
SEEDED_AGES = {"db": (10, 20, 40, 50, 60), "cluster": (40, 50, 60, 70)}
# The operator's copy: of the oldest DB copy (60 days, expired), kept under a name of the operator's.
AUDIT_COPY = "audit-keep-forever"
AUDIT_COPY_OF_DAYS = 60


@dataclass(frozen=True)
class SeededCopy:
    kind: str
    identifier: str
    days_old: int
    ours: bool = True  # False: the operator's AUDIT_COPY, which the pruner must keep


def our_copy_tags(source_arn: str, taken_at: datetime, deployment: str, days_old: float) -> list[dict[str, str]]:
    """The tags the copier writes on a copy of `source_arn` (the contract: aws.expected_copy_tags), and
    the emulator's backdating tag."""
    return [
        {"Key": "source_region", "Value": SOURCE_REGION},
        {"Key": "source_snapshot_arn", "Value": source_arn},
        {"Key": "source_account", "Value": source_arn.split(":")[4]},
        {"Key": "snapshot_copy_deployment", "Value": deployment},
        {"Key": "source_snapshot_time", "Value": tag_time(taken_at)},
        {"Key": AGE_TAG, "Value": str(days_old)},
    ]


def copy_snapshot(rds: Any, kind: str, source: str, target: str, **params: Any) -> None:
    """CopyDBSnapshot or CopyDBClusterSnapshot into the destination."""
    if kind == "cluster":
        rds.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=source, TargetDBClusterSnapshotIdentifier=target, **params
        )
    else:
        rds.copy_db_snapshot(SourceDBSnapshotIdentifier=source, TargetDBSnapshotIdentifier=target, **params)


def seed_older_copies(
    clients: Clients, sources: Iterable[SourceSnapshot], deployment: str, now: datetime | None = None
) -> list[SeededCopy]:
    """Copies of the same sources as if the copier of `deployment` had made them on earlier days, then the
    operator's AUDIT_COPY of the oldest DB one."""
    rds = clients("rds", DESTINATION_REGION)
    now = now or datetime.now(UTC)
    seeded = []
    for source in sources:
        for days in SEEDED_AGES[source.kind]:
            # The snapshot the copy is of, as if taken `days` ago (the emulator copies today's in its place).
            older_identifier = f"{source.identifier}-{days}d-ago"
            older_source = source.arn.replace(source.identifier, older_identifier)
            identifier = target_identifier(older_identifier, older_source, source.kind)
            tags = our_copy_tags(older_source, now - timedelta(days=days), deployment, days)
            copy_snapshot(rds, source.kind, source.arn, identifier, SourceRegion=SOURCE_REGION, Tags=tags)
            seeded.append(SeededCopy(source.kind, identifier, days))
    audited = next((s for s in seeded if (s.kind, s.days_old) == ("db", AUDIT_COPY_OF_DAYS)), None)
    if audited is not None:
        # In-region, every tag copied: what an operator keeping a copy for an audit would do.
        copy_snapshot(rds, "db", audited.identifier, AUDIT_COPY, CopyTags=True)
        seeded.append(SeededCopy("db", AUDIT_COPY, AUDIT_COPY_OF_DAYS, ours=False))
    return seeded


def destination_copies(clients: Clients) -> dict[str, dict[str, str]]:
    """{identifier: {kind, source database/cluster}} of the manual snapshots in the destination."""
    rds = clients("rds", DESTINATION_REGION)
    found = {}
    for s in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]:
        found[s["DBSnapshotIdentifier"]] = {"kind": "db", "source": s.get("DBInstanceIdentifier", "")}
    for s in rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]:
        found[s["DBClusterSnapshotIdentifier"]] = {"kind": "cluster", "source": s.get("DBClusterIdentifier", "")}
    return found


def expired(seeded: Iterable[SeededCopy]) -> set[str]:
    """The seeded copies the pruner must delete (retention 35, keep_last 3; see SEEDED_AGES)."""
    due = {("db", 40), ("db", 50), ("db", 60), ("cluster", 60), ("cluster", 70)}
    return {s.identifier for s in seeded if s.ours and (s.kind, s.days_old) in due}
