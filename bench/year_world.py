"""The year's simulated AWS: a fleet of databases and Aurora clusters in the source region, their snapshots,
and RDS in the destination, for both snapshot kinds; the functions reach it through fake clients.

- Source: DB instances (and Aurora clusters with two member instances each, which DescribeDBInstances lists
  too), created and deleted during the year. Automated snapshots daily at each source's backup window,
  kept BackupRetentionPeriod (7) days; weekly manual snapshots for a share of them, kept 28 days; a final
  manual snapshot when a source is deleted (its automated ones go with it, RDS's default).
- Destination: every manual snapshot of both kinds, whoever made it: our copies, an operator's own
  snapshots, another deployment's copies. RDS's rules as in fake_rds.py: the target name is free, the
  manual snapshot quota (per kind, counting copies in progress), copies in progress (20 DB, 5 cluster, all
  copies counted). A copy is `pending` for 2 minutes, `copying`, then `available`; during the destination
  stall it stays `copying` until the stall ends; while the key is disabled a copy with it is refused.
- Copy durations: a full copy takes size / 150 GB/h (sizes lognormal, median 100 GB, sigma 1), an
  incremental one (the previous copy of the same source still in the destination) a tenth of that, each
  plus 10 minutes and a lognormal factor (sigma 0.3).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from snapshot_copy.kinds import KINDS

from .fake_aws import client_error
from .fake_rds import ACCOUNT, PENDING_SECONDS
from .sim import Sim
from .year_faults import DAY, FaultPlan

SOURCE_REGION = "us-east-1"
DESTINATION_REGION = "us-west-2"
KMS_KEY_ID = f"arn:aws:kms:{DESTINATION_REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
AUTOMATED_RETENTION_DAYS = 7
MANUAL_SOURCE_KEEP_DAYS = 28
THROUGHPUT_GB_PER_HOUR = 150.0
INCREMENTAL_SHARE = 0.1


@dataclass
class Source:
    identifier: str
    kind: str  # "db" or "cluster"
    created: float  # simulated seconds
    deleted: float | None
    backup_minute: float  # minute of the day its automated snapshot is taken
    weekly_manual: bool
    size_gb: float


@dataclass
class Snap:
    """A source snapshot: what the functions are asked to copy. In the backup-account mode (year_backup.py)
    the fleet's snapshots are another account's, and what the vault copies is a share copy (`origin`: the
    ARN of the snapshot it copies, `taken` that one's), shared with the accounts in `shared_with`."""

    kind: str
    identifier: str
    arn: str
    source: str
    taken: float
    view: dict[str, Any]
    account: str = ACCOUNT
    origin: str | None = None
    shared_with: set[str] = field(default_factory=set)


@dataclass
class Copy:
    """A manual snapshot in the destination. `maker`: "ours", "operator" or "other" (the ground truth the
    invariants judge by; the functions only see what RDS shows)."""

    kind: str
    identifier: str
    maker: str
    source_arn: str | None
    source: str
    taken: float | None  # when the data was taken
    view: dict[str, Any]
    started: float
    finishes: float
    incremental: bool = False
    size_gb: float = 0.0


@dataclass
class Deletion:
    at: float
    copy: Copy
    by: str  # which function's client


@dataclass
class WorldStats:
    copies_started: Counter[str] = field(default_factory=Counter)  # our copies per source ARN
    first_available: dict[str, float] = field(default_factory=dict)  # per source ARN, our first available copy
    full: int = 0
    incremental: int = 0
    transferred_gb: float = 0.0
    refusals: Counter[str] = field(default_factory=Counter)
    max_in_progress: Counter[str] = field(default_factory=Counter)
    quota_peak: Counter[str] = field(default_factory=Counter)
    deletions: list[Deletion] = field(default_factory=list)
    over_quota: list[str] = field(default_factory=list)  # each add that took a kind past its quota (invariant 3)


class World:
    def __init__(self, sim: Sim, epoch: float, plan: FaultPlan, rng: random.Random, quota: dict[str, int]) -> None:
        self.sim = sim
        self.epoch = epoch
        self.plan = plan
        self.rng = rng
        self.quota = quota
        self.copy_limit = {name: kind.max_copies_in_progress for name, kind in KINDS.items()}
        self.sources: dict[str, Source] = {}
        self.snaps: dict[str, dict[str, Snap]] = {k: {} for k in KINDS}  # per kind, by identifier
        self.by_arn: dict[str, Snap] = {}
        self.copies: dict[str, dict[str, Copy]] = {k: {} for k in KINDS}
        self.in_progress: Counter[str] = Counter()
        self.stats = WorldStats()
        self._lists: dict[tuple[str, str], list[Any]] = {}
        self._fleet_views: dict[str, list[dict[str, Any]]] = {}
        self.fleet_account = ACCOUNT  # whose databases the fleet's are (year_backup.py: a source account's)
        self.origin_of: dict[str, str] = {}  # a share copy's ARN -> the ARN of the snapshot it copies, for good
        self.on_copy_available: Callable[[Copy], None] = lambda copy: None
        self.on_delete: Callable[[Copy, str], None] = lambda copy, by: None

    def when(self, seconds: float) -> datetime:
        return datetime.fromtimestamp(self.epoch + seconds, UTC)

    def _listing(self, region: str, kind: str) -> list[Any]:
        """ "source": the deployment's own account's snapshots; "shared": those other accounts share with it;
        "destination": every manual snapshot there."""
        key = (region, kind)
        found = self._lists.get(key)
        if found is None:
            if region == "source":
                found = [s for s in self.snaps[kind].values() if s.account == ACCOUNT]
            elif region == "shared":
                found = [s for s in self.snaps[kind].values() if ACCOUNT in s.shared_with]
            else:
                found = list(self.copies[kind].values())
            self._lists[key] = found
        return found

    def _changed(self, region: str, kind: str) -> None:
        self._lists.pop((region, kind), None)
        if region == "source":
            self._lists.pop(("shared", kind), None)

    # -- the source region ------------------------------------------------------------------------------
    def add_source(self, source: Source) -> None:
        self.sources[source.identifier] = source
        # The listings of live databases and clusters are built once per change of the fleet, not per page.
        for when in (source.created, source.deleted):
            if when is not None and when > self.sim.now:
                self.sim.at(when, self._fleet_changed)

    def _fleet_changed(self) -> None:
        self._fleet_views.clear()

    def live(self, kind: str) -> list[Source]:
        now = self.sim.now
        return [
            s
            for s in self.sources.values()
            if s.kind == kind and s.created <= now and (s.deleted is None or s.deleted > now)
        ]

    def take_snapshot(self, source: Source, snapshot_type: str, identifier: str) -> Snap:
        table = KINDS[source.kind]
        arn = table.arn("aws", SOURCE_REGION, self.fleet_account, identifier)
        when = self.when(self.sim.now)
        view: dict[str, Any] = {
            table.identifier_key: identifier,
            table.arn_key: arn,
            table.source_identifier_key: source.identifier,
            "SnapshotType": snapshot_type,
            "Status": "available",
            "SnapshotCreateTime": when,
            "TagList": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}],
        }
        view["StorageEncrypted" if source.kind == "cluster" else "Encrypted"] = True
        snap = Snap(source.kind, identifier, arn, source.identifier, self.sim.now, view, self.fleet_account)
        self.add_snap(snap)
        return snap

    def add_snap(self, snap: Snap) -> None:
        self.snaps[snap.kind][snap.identifier] = snap
        self.by_arn[snap.arn] = snap
        self._changed("source", snap.kind)

    def expire_source_snapshot(self, snap: Snap) -> None:
        if self.snaps[snap.kind].pop(snap.identifier, None) is not None:
            self.by_arn.pop(snap.arn, None)
            self._changed("source", snap.kind)

    def instance_views(self) -> list[dict[str, Any]]:
        if self.fleet_account != ACCOUNT:
            return []  # the fleet is in a source account: the deployment's own has no databases
        if "instances" not in self._fleet_views:
            self._fleet_views["instances"] = self._instance_views()
        return self._fleet_views["instances"]

    def _instance_views(self) -> list[dict[str, Any]]:
        views = []
        for source in self.live("db"):
            views.append(self._instance_view(source.identifier, source))
        for source in self.live("cluster"):
            for member in (1, 2):  # Aurora members: listed, left out as sources by the reconciler
                view = self._instance_view(f"{source.identifier}-instance-{member}", source)
                view["DBClusterIdentifier"] = source.identifier
                views.append(view)
        return views

    def _instance_view(self, identifier: str, source: Source) -> dict[str, Any]:
        return {
            "DBInstanceIdentifier": identifier,
            "DBInstanceStatus": "available",
            "InstanceCreateTime": self.when(source.created),
            "BackupRetentionPeriod": AUTOMATED_RETENTION_DAYS,
            "TagList": [{"Key": "team", "Value": "data"}],
        }

    def cluster_views(self) -> list[dict[str, Any]]:
        if self.fleet_account != ACCOUNT:
            return []
        if "clusters" not in self._fleet_views:
            self._fleet_views["clusters"] = self._cluster_views()
        return self._fleet_views["clusters"]

    def _cluster_views(self) -> list[dict[str, Any]]:
        return [
            {
                "DBClusterIdentifier": source.identifier,
                "Status": "available",
                "ClusterCreateTime": self.when(source.created),
                "BackupRetentionPeriod": AUTOMATED_RETENTION_DAYS,
                "TagList": [{"Key": "team", "Value": "data"}],
            }
            for source in self.live("cluster")
        ]

    # -- the destination ----------------------------------------------------------------------------------
    def manual_count(self, kind: str) -> int:
        return len(self.copies[kind])

    def add_copy(self, copy: Copy, in_progress: bool) -> None:
        self.copies[copy.kind][copy.identifier] = copy
        self._changed("destination", copy.kind)
        used = self.manual_count(copy.kind)
        self.stats.quota_peak[copy.kind] = max(self.stats.quota_peak[copy.kind], used)
        if used > self.quota[copy.kind]:  # RDS would have refused it: the fakes let it through to be counted
            self.stats.over_quota.append(
                f"day {self.sim.now / DAY:.2f}: {used} manual {copy.kind} snapshots, quota {self.quota[copy.kind]}"
                f" ({copy.maker}'s {copy.identifier})"
            )
        if in_progress:
            self.in_progress[copy.kind] += 1
            peak = self.stats.max_in_progress
            peak[copy.kind] = max(peak[copy.kind], self.in_progress[copy.kind])
            self.sim.at(min(self.sim.now + PENDING_SECONDS, copy.finishes), lambda: self._copying(copy))
            self.sim.at(copy.finishes, lambda: self._finish(copy))

    def _copying(self, copy: Copy) -> None:
        if copy.view["Status"] == "pending":
            copy.view["Status"] = "copying"

    def _finish(self, copy: Copy) -> None:
        stall = self.plan.window("destination copy stall")
        if stall is not None and stall.active(self.sim.now):
            # Stuck in `copying` until the stall ends, then the rest of its time.
            self.sim.at(stall.end + self.rng.uniform(0, 3600), lambda: self._finish(copy))
            return
        if self.copies[copy.kind].get(copy.identifier) is not copy:
            return
        copy.view["Status"] = "available"
        self.in_progress[copy.kind] -= 1
        if copy.maker == "ours" and copy.source_arn is not None:
            self.stats.first_available.setdefault(copy.source_arn, self.sim.now)
            self.on_copy_available(copy)

    def duration(self, kind: str, source: str, size_gb: float) -> tuple[float, bool]:
        """Seconds the copy takes, and whether it is incremental (an available copy of ours of the source)."""
        incremental = any(
            c.source == source and c.maker == "ours" and c.view["Status"] == "available"
            for c in self._our_copies_of(kind, source)
        )
        gb = size_gb * (INCREMENTAL_SHARE if incremental else 1.0)
        hours = gb / THROUGHPUT_GB_PER_HOUR * self.rng.lognormvariate(0.0, 0.3)
        return 600.0 + hours * 3600.0, incremental

    def _our_copies_of(self, kind: str, source: str) -> list[Copy]:
        index = self.__dict__.setdefault("_by_source", {})
        return [c for c in index.get((kind, source), ()) if self.copies[kind].get(c.identifier) is c]

    def index_copy(self, copy: Copy) -> None:
        index = self.__dict__.setdefault("_by_source", {})
        found = [c for c in index.get((copy.kind, copy.source), ()) if self.copies[copy.kind].get(c.identifier) is c]
        found.append(copy)
        index[(copy.kind, copy.source)] = found

    def delete_copy(self, kind: str, identifier: str, by: str) -> None:
        copy = self.copies[kind].pop(identifier)
        self._changed("destination", kind)
        if copy.view["Status"] != "available":
            self.in_progress[kind] -= 1
        self.stats.deletions.append(Deletion(self.sim.now, copy, by))
        self.on_delete(copy, by)

    def copy_request(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """CopyDBSnapshot / CopyDBClusterSnapshot, with RDS's checks in RDS's order."""
        table = KINDS[kind]
        operation = "CopyDBSnapshot" if kind == "db" else "CopyDBClusterSnapshot"
        source_arn, target = params[table.copy_source_param], params[table.copy_target_param]
        if params.get("SourceRegion") != SOURCE_REGION:
            raise client_error("InvalidParameterValue", "SourceRegion is not the source's", operation)
        snap = self.by_arn.get(source_arn)
        if snap is not None and snap.account != ACCOUNT and ACCOUNT not in snap.shared_with:
            snap = None  # another account's snapshot, not shared with this one: RDS cannot see it
        if snap is None or snap.kind != kind:
            code = "DBSnapshotNotFound" if kind == "db" else "DBClusterSnapshotNotFoundFault"
            raise client_error(code, f"{source_arn} not found.", operation, 404)
        if not params.get("KmsKeyId"):
            raise client_error("InvalidParameterValue", "KmsKeyId is required for an encrypted copy", operation)
        if self.plan.active("key disabled", self.sim.now):
            self.stats.refusals["key_disabled"] += 1
            raise client_error("KMSKeyNotAccessibleFault", f"The key {params['KmsKeyId']} is disabled.", operation)
        if target in self.copies[kind]:
            code = "DBSnapshotAlreadyExists" if kind == "db" else "DBClusterSnapshotAlreadyExistsFault"
            raise client_error(code, f"Snapshot {target} already exists.", operation)
        if self.manual_count(kind) >= self.quota[kind]:
            self.stats.refusals[f"{kind}:manual_snapshot_quota"] += 1
            raise client_error(
                "SnapshotQuotaExceeded", f"Cannot create more than {self.quota[kind]} manual snapshots", operation
            )
        if self.in_progress[kind] >= self.copy_limit[kind]:
            self.stats.refusals[f"{kind}:copies_in_progress"] += 1
            raise client_error(
                "SnapshotQuotaExceeded",
                f"Cannot copy more than {self.copy_limit[kind]} snapshots across regions",
                operation,
            )
        source = self.sources[snap.source]
        seconds, incremental = self.duration(kind, snap.source, source.size_gb)
        tags = list(reversed(params.get("Tags") or []))
        view = {
            table.identifier_key: target,
            table.arn_key: table.arn("aws", DESTINATION_REGION, ACCOUNT, target),
            table.source_identifier_key: snap.source,
            "SnapshotType": "manual",
            "Status": "pending",
            "KmsKeyId": params["KmsKeyId"],
            "TagList": tags,
            # A DB copy keeps when the data was taken; a cluster copy's SnapshotCreateTime is the copy's own.
            "SnapshotCreateTime": self.when(self.sim.now) if kind == "cluster" else snap.view["SnapshotCreateTime"],
        }
        if kind == "db":
            view["OriginalSnapshotCreateTime"] = snap.view.get(
                "OriginalSnapshotCreateTime", snap.view["SnapshotCreateTime"]
            )
            view["SourceDBSnapshotIdentifier"] = source_arn
        else:
            view["SourceDBClusterSnapshotArn"] = source_arn
        # The ground truth names the fleet's snapshot: of a share copy, the one it copies.
        origin = snap.origin or source_arn
        copy = Copy(kind, target, "ours", origin, snap.source, snap.taken, view, self.sim.now, self.sim.now + seconds)
        copy.incremental = incremental
        copy.size_gb = source.size_gb * (INCREMENTAL_SHARE if incremental else 1.0)
        self.add_copy(copy, in_progress=True)
        self.index_copy(copy)
        self.stats.copies_started[origin] += 1
        self.stats.transferred_gb += copy.size_gb
        if incremental:
            self.stats.incremental += 1
        else:
            self.stats.full += 1
        return {table.answer_key[:-1]: dict(view)}


def lognormal_size(rng: random.Random, median_gb: float = 100.0, sigma: float = 1.0) -> float:
    return max(1.0, rng.lognormvariate(math.log(median_gb), sigma))
