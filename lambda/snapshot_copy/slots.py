"""Copy slots: how many of our copies are in progress in the destination, per snapshot kind.

RDS refuses more than a fixed number of cross-region copies in progress per destination region
(20 DB snapshots, 5 cluster snapshots). We count our own copies (recognised by the source-ARN tag) in
the states a copy passes through, once per invocation and kind, and start no more than the limit.
The same listing names every copy we already made, so a repeated event is recognised without a call.
"""

from __future__ import annotations

from typing import Any

from .tagging import TAG_SOURCE_SNAPSHOT_ARN, tag_value

IN_PROGRESS_STATUSES = frozenset({"pending", "creating", "copying"})
PAGE_SIZE = 100

_LISTING = {
    "db": ("describe_db_snapshots", "DBSnapshots", "DBSnapshotIdentifier"),
    "cluster": ("describe_db_cluster_snapshots", "DBClusterSnapshots", "DBClusterSnapshotIdentifier"),
}


def list_our_copies(rds: Any, kind: str) -> tuple[dict[str, str], int]:
    """Our copies in the destination: {identifier: source-ARN tag}, and how many are in progress."""
    operation, key, id_key = _LISTING[kind]
    ours: dict[str, str] = {}
    in_progress = 0
    marker: str | None = None
    while True:
        kwargs: dict[str, Any] = {"SnapshotType": "manual", "MaxRecords": PAGE_SIZE}
        if marker:
            kwargs["Marker"] = marker
        page = getattr(rds, operation)(**kwargs)
        for snapshot in page.get(key, []):
            source = tag_value(snapshot.get("TagList"), TAG_SOURCE_SNAPSHOT_ARN)
            if source is None:
                continue
            ours[snapshot[id_key]] = source
            if snapshot.get("Status") in IN_PROGRESS_STATUSES:
                in_progress += 1
        marker = page.get("Marker")
        if not marker:
            return ours, in_progress


class CopySlots:
    """Free copy slots for one invocation; listed lazily, then kept up to date by what we start."""

    def __init__(self, rds: Any, limits: dict[str, int]) -> None:
        self._rds = rds
        self._limits = limits
        self._copies: dict[str, dict[str, str]] = {}
        self._in_progress: dict[str, int] = {}

    def _load(self, kind: str) -> None:
        if kind not in self._copies:
            self._copies[kind], self._in_progress[kind] = list_our_copies(self._rds, kind)

    def existing_source(self, kind: str, target: str) -> str | None:
        """The source-ARN tag of our existing copy named `target`, if there is one."""
        self._load(kind)
        return self._copies[kind].get(target)

    def in_progress(self, kind: str) -> int:
        self._load(kind)
        return self._in_progress[kind]

    def free(self, kind: str) -> int:
        return max(0, self._limits[kind] - self.in_progress(kind))

    def took(self, kind: str, target: str, source_tag: str) -> None:
        self._load(kind)
        self._copies[kind][target] = source_tag
        self._in_progress[kind] += 1

    def fill(self, kind: str) -> None:
        """RDS said the slots are full (another invocation, or copies not made by us): believe it."""
        self._load(kind)
        self._in_progress[kind] = max(self._in_progress[kind], self._limits[kind])
