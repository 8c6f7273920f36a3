"""moto 5.2.5's gaps in RDS snapshot sharing across accounts, closed for the emulator and the unit tests only
(never in the functions' code). `apply()` patches moto's RDS backend in this process; it is idempotent.

moto keys its backends by account, then region (`moto.rds.models.rds_backends[account][region]`); credentials
from sts:AssumeRole into another account's role act in that account. What it lacks, and what `apply()` does:

1. CopyDBSnapshot / CopyDBClusterSnapshot (and any call that finds a snapshot by its ARN, e.g. a restore)
   look an ARN up in the CALLER's account whatever account it names, so a snapshot shared from another account
   is "not found". Patched: an ARN of another account is looked up in that account's backend (of the ARN's
   region), and found only when the snapshot's `restore` attribute lists the caller's account (or "all"), as
   RDS shares a manual snapshot. Otherwise RDS's answer for a snapshot not shared with the caller: the
   not-found error of the operation's model in botocore, `DBSnapshotNotFound` (DBSnapshotNotFoundFault) for a
   DB snapshot and `DBClusterSnapshotNotFoundFault` for a cluster snapshot (moto's own DB code is
   `DBSnapshotNotFoundFault`, not AWS's).
2. DescribeDBSnapshots / DescribeDBClusterSnapshots with SnapshotType="shared" return every snapshot shared
   with the caller in the region, ignoring the identifier (an ARN), the instance or cluster identifier and the
   filters. Patched: the identifier (ARN or name), the DBInstanceIdentifier / DBClusterIdentifier and the
   filters select among them; an identifier that selects none is RDS's not-found error (1.). IncludeShared
   without SnapshotType="shared" still lists the caller's own snapshots only (the functions never rely on it).
3. moto answers a shared snapshot's describe with its owner's TagList; the functions never rely on it (RDS's
   ListTagsForResource answers for the caller's own resources only, so the copier reads no source tags of a
   shared snapshot): left as it is.
"""

from __future__ import annotations

from typing import Any

_PATCHED = "_snapshot_copy_sharing_patched"
# AWS's not-found code for each resource type (botocore's CopyDBSnapshot / CopyDBClusterSnapshot models).
NOT_FOUND_CODES = {"snapshot": "DBSnapshotNotFound", "cluster-snapshot": "DBClusterSnapshotNotFoundFault"}


def apply() -> None:
    """Patch moto's RDS backend (idempotent); see the module docstring."""
    from moto.rds import models
    from moto.rds.exceptions import RDSClientError
    from moto.rds.utils import split_arn

    backend_class = models.RDSBackend
    if getattr(backend_class, _PATCHED, False):
        return
    original_get_snapshot = backend_class.get_snapshot
    original_describe_db = backend_class.describe_db_snapshots
    original_describe_cluster = backend_class.describe_db_cluster_snapshots

    def not_found(resource_type: str, identifier: str) -> Exception:
        what = "DBSnapshot" if resource_type == "snapshot" else "DBClusterSnapshot"
        return RDSClientError(NOT_FOUND_CODES[resource_type], f"{what} {identifier} not found.")

    def shared_with(snapshot: Any, account: str) -> bool:
        restore = snapshot.attributes.get("restore") or []
        return account in restore or "all" in restore

    def get_snapshot(self: Any, identifier: str, resource_type: Any, not_found_exception: Any) -> Any:
        if not identifier.startswith("arn:"):
            return original_get_snapshot(self, identifier, resource_type, not_found_exception)
        region, account, arn_type, name = split_arn(identifier)
        if account == self.account_id:
            return original_get_snapshot(self, identifier, resource_type, not_found_exception)
        owner = models.rds_backends[account][region]
        snapshot = owner.resource_map[resource_type].get(name)
        if snapshot is None or not shared_with(snapshot, self.account_id):
            raise not_found(arn_type, identifier)
        return snapshot

    def select_shared(
        self: Any,
        shared: list[Any],
        resource_class: Any,
        arn_type: str,
        identifier: str | None,
        owner_filter: str,
        owner_identifier: str | None,
        filters: dict[str, Any] | None,
    ) -> list[Any]:
        if identifier:
            shared = [s for s in shared if identifier in (s.arn, s.resource_id)]
        if owner_identifier:
            filters = models.merge_filters(filters, {owner_filter: [owner_identifier]})
        if filters:
            by_arn = {s.arn: s for s in shared}
            shared = list(self._filter_resources(by_arn, filters, resource_class).values())
        if identifier and not shared:
            raise not_found(arn_type, identifier)
        return shared

    def describe_db_snapshots(
        self: Any,
        db_instance_identifier: str | None,
        db_snapshot_identifier: str | None = None,
        snapshot_type: str | None = None,
        filters: dict[str, Any] | None = None,
    ) -> list[Any]:
        if snapshot_type != "shared":
            return original_describe_db(self, db_instance_identifier, db_snapshot_identifier, snapshot_type, filters)
        shared = self.get_shared_db_snapshots()
        return select_shared(
            self,
            shared,
            models.DBSnapshot,
            "snapshot",
            db_snapshot_identifier,
            "db-instance-id",
            db_instance_identifier,
            filters,
        )

    def describe_db_cluster_snapshots(
        self: Any,
        db_cluster_identifier: str | None,
        db_snapshot_identifier: str | None,
        snapshot_type: str | None = None,
        filters: Any = None,
    ) -> list[Any]:
        if snapshot_type != "shared":
            return original_describe_cluster(
                self, db_cluster_identifier, db_snapshot_identifier, snapshot_type, filters
            )
        shared = self.get_shared_db_cluster_snapshots()
        return select_shared(
            self,
            shared,
            models.DBClusterSnapshot,
            "cluster-snapshot",
            db_snapshot_identifier,
            "db-cluster-id",
            db_cluster_identifier,
            filters,
        )

    backend_class.get_snapshot = get_snapshot
    backend_class.describe_db_snapshots = describe_db_snapshots
    backend_class.describe_db_cluster_snapshots = describe_db_cluster_snapshots
    # get_db_snapshot / get_db_cluster_snapshot call self.get_snapshot: patched through it.
    setattr(backend_class, _PATCHED, True)
