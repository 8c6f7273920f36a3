"""RDS in the source region (the snapshots the events name) and in the destination (where copies go).

Only the calls the functions (and the tutorial's function) make: describe_db_snapshots by identifier and
as a paginated listing (SnapshotType, MaxRecords 20..100, Marker), copy_db_snapshot,
list_tags_for_resource; for the reconciler (`Reader`, a client of its own on the same state) also
describe_db_instances / describe_db_clusters and the listings of both snapshot kinds in both regions
(the burst has no Aurora: the cluster listings are empty). Errors are botocore ClientErrors with RDS's
codes and messages.

The destination enforces, in this order: the target name is free (DBSnapshotAlreadyExists); the
account's manual snapshot quota (SnapshotQuotaExceeded "Cannot create more than N manual snapshots",
counting every manual snapshot in the region, copies in progress included); the limit of cross-region
copies in progress (SnapshotQuotaExceeded "Cannot copy more than 20 snapshots across regions",
counting every copy in progress, ours or not). A copy is `pending` for its first two minutes, then
`copying`, then `available` after its drawn duration.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .fake_aws import CallStats, FakeClient, Faults, client_error, strict
from .sim import Sim

ACCOUNT = "123456789012"
PENDING_SECONDS = 120
LIST_OPTIONS = {"SnapshotType", "Filters", "MaxRecords", "Marker"}


def paged(
    items: Sequence[Any],
    answer_key: str,
    operation: str,
    MaxRecords: int = 100,
    Marker: str | None = None,
    view: Callable[[Any], dict[str, Any]] = lambda item: item,
) -> dict[str, Any]:
    """One page of a Marker-paged describe call (RDS allows 20 to 100 records a page)."""
    if not 20 <= MaxRecords <= 100:
        raise client_error("InvalidParameterValue", "MaxRecords must be between 20 and 100", operation)
    start = int(Marker) if Marker else 0
    answer: dict[str, Any] = {answer_key: [view(item) for item in items[start : start + MaxRecords]]}
    if start + MaxRecords < len(items):
        answer["Marker"] = str(start + MaxRecords)
    return answer


def _check_type(SnapshotType: str | None, operation: str) -> None:
    if SnapshotType not in (None, "manual"):
        raise client_error("InvalidParameterValue", f"SnapshotType {SnapshotType} not modelled", operation)


@dataclass
class SourceSnapshot:
    identifier: str
    arn: str
    view: dict[str, Any]


class SourceRds(FakeClient):
    def __init__(self, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults, region: str) -> None:
        super().__init__("rds-source", sim, stats, rng, faults)
        self.region = region
        self.by_identifier: dict[str, SourceSnapshot] = {}
        self.by_arn: dict[str, SourceSnapshot] = {}
        self.snapshot_views: list[dict[str, Any]] = []  # in creation order, as listed
        self.instances: list[dict[str, Any]] = []

    def add_automated_snapshot(self, identifier: str, created: datetime | None = None) -> SourceSnapshot:
        """identifier: rds:<instance>-<yyyy-mm-dd-hh-mm>, as RDS names automated snapshots."""
        db_instance = identifier.removeprefix("rds:").rsplit("-", 5)[0]
        arn = f"arn:aws:rds:{self.region}:{ACCOUNT}:snapshot:{identifier}"
        view: dict[str, Any] = {
            "DBSnapshotIdentifier": identifier,
            "DBSnapshotArn": arn,
            "DBInstanceIdentifier": db_instance,
            "SnapshotType": "automated",
            "Status": "available",
            "Encrypted": True,
            "AllocatedStorage": 100,
            "TagList": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}],
        }
        if created is not None:
            view["SnapshotCreateTime"] = created
        snapshot = SourceSnapshot(identifier, arn, view)
        self.by_identifier[identifier] = snapshot
        self.by_arn[arn] = snapshot
        self.snapshot_views.append(view)
        return snapshot

    def add_db_instance(self, identifier: str, created: datetime) -> None:
        """A live DB instance with backups on (a source the reconciler watches)."""
        self.instances.append(
            {
                "DBInstanceIdentifier": identifier,
                "DBInstanceArn": f"arn:aws:rds:{self.region}:{ACCOUNT}:db:{identifier}",
                "DBInstanceStatus": "available",
                "Engine": "postgres",
                "InstanceCreateTime": created,
                "BackupRetentionPeriod": 7,
                "TagList": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}],
            }
        )

    # -- answers, shared by every client of this region ------------------------------------------------
    def answer_describe_db_snapshots(self, SnapshotType: str | None = None, **page: Any) -> dict[str, Any]:
        _check_type(SnapshotType, "DescribeDBSnapshots")
        # RDS lists a source's automated snapshots (SnapshotType unset); the burst's source has no manual ones.
        views = self.snapshot_views if SnapshotType is None else []
        return paged(views, "DBSnapshots", "DescribeDBSnapshots", **page)

    def answer_describe_db_cluster_snapshots(self, SnapshotType: str | None = None, **page: Any) -> dict[str, Any]:
        _check_type(SnapshotType, "DescribeDBClusterSnapshots")
        return paged([], "DBClusterSnapshots", "DescribeDBClusterSnapshots", **page)

    def answer_describe_db_instances(self, **page: Any) -> dict[str, Any]:
        return paged(self.instances, "DBInstances", "DescribeDBInstances", **page)

    def answer_describe_db_clusters(self, **page: Any) -> dict[str, Any]:
        return paged([], "DBClusters", "DescribeDBClusters", **page)

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        strict("describe_db_snapshots (source)", kwargs, {"DBSnapshotIdentifier"})
        identifier = kwargs["DBSnapshotIdentifier"]

        def answer() -> dict[str, Any]:
            found = self.by_identifier.get(identifier)
            if found is None:
                raise client_error("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.", "DescribeDBSnapshots")
            view = dict(found.view)
            view["TagList"] = [dict(tag) for tag in found.view["TagList"]]
            return {"DBSnapshots": [view]}

        return self._call("describe_db_snapshots[id]", "DescribeDBSnapshots", answer)

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        strict("list_tags_for_resource (source)", kwargs, {"ResourceName"})
        found = self.by_arn.get(kwargs["ResourceName"])
        return self._call(
            "list_tags_for_resource",
            "ListTagsForResource",
            lambda: {"TagList": [dict(tag) for tag in (found.view["TagList"] if found else [])]},
        )


@dataclass
class DestinationSnapshot:
    identifier: str
    source: str | None  # the SourceDBSnapshotIdentifier of the request (None: not a copy of ours)
    view: dict[str, Any]
    started_at: float
    finishes_at: float

    @property
    def in_progress(self) -> bool:
        return self.view["Status"] != "available"


@dataclass
class DestinationStats:
    copies_started: Counter[str] = field(default_factory=Counter)  # per source ARN
    started_at: dict[str, float] = field(default_factory=dict)  # per source ARN, first copy started
    finished_at: dict[str, float] = field(default_factory=dict)  # per source ARN, first copy finished
    refusals: Counter[str] = field(default_factory=Counter)
    max_in_progress: int = 0
    first_started_at: float | None = None


class DestinationRds(FakeClient):
    def __init__(
        self,
        sim: Sim,
        stats: CallStats,
        rng: random.Random,
        faults: Faults,
        *,
        region: str,
        source: SourceRds,
        copy_limit: int,
        manual_quota: int,
        duration_of: Callable[[str], float],
    ) -> None:
        super().__init__("rds-destination", sim, stats, rng, faults)
        self.region = region
        self.source = source
        self.copy_limit = copy_limit
        self.manual_quota = manual_quota
        self.duration_of = duration_of
        self.snapshots: dict[str, DestinationSnapshot] = {}
        self.in_progress = 0
        self.result = DestinationStats()
        self._order: list[DestinationSnapshot] = []

    # -- set-up -----------------------------------------------------------------------------------------
    def add_existing(
        self,
        identifier: str,
        tags: list[dict[str, str]],
        seconds_left: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """A manual snapshot present before the burst: available, or a copy someone else has in progress.
        `extra`: more of RDS's fields (a copy's DBInstanceIdentifier, OriginalSnapshotCreateTime)."""
        view = {
            "DBSnapshotIdentifier": identifier,
            "DBSnapshotArn": f"arn:aws:rds:{self.region}:{ACCOUNT}:snapshot:{identifier}",
            "SnapshotType": "manual",
            "Status": "available",
            "TagList": tags,
            **(extra or {}),
        }
        snapshot = DestinationSnapshot(identifier, None, view, self.sim.now, self.sim.now)
        self._add(snapshot)
        if seconds_left is not None:
            view["Status"] = "copying"
            self.in_progress += 1
            snapshot.finishes_at = self.sim.now + seconds_left
            self.sim.at(snapshot.finishes_at, lambda: self._finish(snapshot))

    def _add(self, snapshot: DestinationSnapshot) -> None:
        self.snapshots[snapshot.identifier] = snapshot
        self._order.append(snapshot)

    # -- API ----------------------------------------------------------------------------------------------
    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        if "DBSnapshotIdentifier" in kwargs:
            strict("describe_db_snapshots (destination)", kwargs, {"DBSnapshotIdentifier"})
            return self._call(
                "describe_db_snapshots[id]",
                "DescribeDBSnapshots",
                lambda: self._describe_one(kwargs["DBSnapshotIdentifier"]),
            )
        strict("describe_db_snapshots (destination)", kwargs, {"SnapshotType", "Filters", "MaxRecords", "Marker"})
        return self._call("describe_db_snapshots[list]", "DescribeDBSnapshots", lambda: self._list(**kwargs))

    def _describe_one(self, identifier: str) -> dict[str, Any]:
        found = self.snapshots.get(identifier)
        if found is None:
            raise client_error("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.", "DescribeDBSnapshots", 404)
        return {"DBSnapshots": [dict(found.view)]}

    def _list(
        self,
        SnapshotType: str | None = None,
        Filters: list[dict[str, Any]] | None = None,
        MaxRecords: int = 100,
        Marker: str | None = None,
    ) -> dict[str, Any]:
        _check_type(SnapshotType, "DescribeDBSnapshots")
        order = self._order
        for filter_ in Filters or []:
            if filter_["Name"] != "db-snapshot-id":
                raise client_error(
                    "InvalidParameterValue", f"filter {filter_['Name']} not modelled", "DescribeDBSnapshots"
                )
            wanted = set(filter_["Values"])
            order = [snapshot for snapshot in order if snapshot.identifier in wanted]
        return paged(order, "DBSnapshots", "DescribeDBSnapshots", MaxRecords, Marker, view=lambda s: s.view)

    # -- answers for another function's client (Reader) ---------------------------------------------------
    def answer_describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._list(**kwargs)

    def answer_describe_db_cluster_snapshots(self, SnapshotType: str | None = None, **page: Any) -> dict[str, Any]:
        _check_type(SnapshotType, "DescribeDBClusterSnapshots")
        return paged([], "DBClusterSnapshots", "DescribeDBClusterSnapshots", **page)

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        strict("list_tags_for_resource (destination)", kwargs, {"ResourceName"})
        identifier = kwargs["ResourceName"].rsplit(":", 1)[-1]
        found = self.snapshots.get(identifier)
        return self._call(
            "list_tags_for_resource",
            "ListTagsForResource",
            lambda: {"TagList": list(found.view["TagList"]) if found else []},
        )

    def copy_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        strict(
            "copy_db_snapshot",
            kwargs,
            {
                "SourceDBSnapshotIdentifier",
                "TargetDBSnapshotIdentifier",
                "SourceRegion",
                "KmsKeyId",
                "Tags",
                "CopyTags",
                "OptionGroupName",
            },
        )
        return self._call("copy_db_snapshot", "CopyDBSnapshot", lambda: self._copy(**kwargs), ghost=True)

    def _copy(
        self,
        SourceDBSnapshotIdentifier: str,
        TargetDBSnapshotIdentifier: str,
        SourceRegion: str | None = None,
        KmsKeyId: str | None = None,
        Tags: list[dict[str, str]] | None = None,
        CopyTags: bool = False,
        OptionGroupName: str | None = None,
    ) -> dict[str, Any]:
        operation = "CopyDBSnapshot"
        source_arn, target = SourceDBSnapshotIdentifier, TargetDBSnapshotIdentifier
        if SourceRegion != self.source.region:
            raise client_error("InvalidParameterValue", f"SourceRegion {SourceRegion!r} is not the source's", operation)
        source = self.source.by_arn.get(source_arn)
        if source is None:
            raise client_error("DBSnapshotNotFound", f"DBSnapshot {source_arn} not found.", operation, 404)
        if source.view["Encrypted"] and not KmsKeyId:
            raise client_error(
                "InvalidParameterValue", "KmsKeyId is required to copy an encrypted snapshot across regions", operation
            )
        if target in self.snapshots:
            raise client_error(
                "DBSnapshotAlreadyExists",
                f"Cannot create the snapshot because a snapshot with the identifier {target} already exists.",
                operation,
            )
        if len(self.snapshots) >= self.manual_quota:
            self.result.refusals["manual_snapshot_quota"] += 1
            raise client_error(
                "SnapshotQuotaExceeded", f"Cannot create more than {self.manual_quota} manual snapshots", operation
            )
        if self.in_progress >= self.copy_limit:
            self.result.refusals["copies_in_progress"] += 1
            raise client_error(
                "SnapshotQuotaExceeded", f"Cannot copy more than {self.copy_limit} snapshots across regions", operation
            )
        # RDS does not document the order of TagList; the fake lists the request's tags last-first, which
        # puts the function's own tags first and makes its tag lookup over a listing cheap. No outcome changes.
        tags = list(reversed(Tags or []))
        if CopyTags:
            tags = [dict(tag) for tag in source.view["TagList"]] + tags
        now = self.sim.now
        view = {
            "DBSnapshotIdentifier": target,
            "DBSnapshotArn": f"arn:aws:rds:{self.region}:{ACCOUNT}:snapshot:{target}",
            "SourceDBSnapshotIdentifier": source_arn,
            "SourceRegion": SourceRegion,
            "SnapshotType": "manual",
            "Status": "pending",
            "KmsKeyId": KmsKeyId,
            "TagList": tags,
            # RDS keeps the database's identifier and when the data was taken on a copy.
            "DBInstanceIdentifier": source.view["DBInstanceIdentifier"],
        }
        if "SnapshotCreateTime" in source.view:
            view["OriginalSnapshotCreateTime"] = source.view["SnapshotCreateTime"]
        snapshot = DestinationSnapshot(target, source_arn, view, now, now + self.duration_of(source_arn))
        self._add(snapshot)
        self.in_progress += 1
        self.result.max_in_progress = max(self.result.max_in_progress, self.in_progress)
        if self.in_progress > self.copy_limit:
            raise AssertionError(f"{self.in_progress} copies in progress, limit {self.copy_limit}")
        self.result.copies_started[source_arn] += 1
        self.result.started_at.setdefault(source_arn, now)
        if self.result.first_started_at is None:
            self.result.first_started_at = now
        self.sim.at(min(now + PENDING_SECONDS, snapshot.finishes_at), lambda: self._copying(snapshot))
        self.sim.at(snapshot.finishes_at, lambda: self._finish(snapshot))
        return {"DBSnapshot": dict(view)}

    # -- progress of a copy ------------------------------------------------------------------------------
    def _copying(self, snapshot: DestinationSnapshot) -> None:
        if snapshot.view["Status"] == "pending":
            snapshot.view["Status"] = "copying"

    def _finish(self, snapshot: DestinationSnapshot) -> None:
        snapshot.view["Status"] = "available"
        self.in_progress -= 1
        if snapshot.source is not None:
            self.result.finished_at.setdefault(snapshot.source, self.sim.now)


class Reader(FakeClient):
    """Another function's client of a region (the reconciler's): the same snapshots and databases, its own
    call counts, latency draws and faults, so it leaves the copier's random draws alone."""

    def __init__(
        self,
        name: str,
        backing: SourceRds | DestinationRds,
        sim: Sim,
        stats: CallStats,
        rng: random.Random,
        faults: Faults,
        latency: tuple[float, float] = (0.2, 0.5),
    ) -> None:
        super().__init__(name, sim, stats, rng, faults, latency)
        self.backing = backing

    def _answer(self, operation: str, api_name: str, kwargs: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
        strict(f"{operation} ({self.name})", kwargs, allowed)
        answer = getattr(self.backing, f"answer_{operation}", None)
        if answer is None:
            raise TypeError(f"{operation} is not modelled for {self.name}")
        return self._call(operation, api_name, lambda: answer(**kwargs))

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._answer("describe_db_snapshots", "DescribeDBSnapshots", kwargs, LIST_OPTIONS)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._answer("describe_db_cluster_snapshots", "DescribeDBClusterSnapshots", kwargs, LIST_OPTIONS)

    def describe_db_instances(self, **kwargs: Any) -> dict[str, Any]:
        return self._answer("describe_db_instances", "DescribeDBInstances", kwargs, {"MaxRecords", "Marker"})

    def describe_db_clusters(self, **kwargs: Any) -> dict[str, Any]:
        return self._answer("describe_db_clusters", "DescribeDBClusters", kwargs, {"MaxRecords", "Marker"})
