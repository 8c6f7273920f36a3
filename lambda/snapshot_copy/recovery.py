"""The recovery point: how far back a restore from the destination would go, per source database or cluster.

One implementation for the reconciler, `status`, `backfill` and the restore drill. The recovery point of a
source is the data time (snapshot_time.py: when the data was taken, never when it was copied) behind its
newest copy that is both *this deployment's* (ownership.classify == OURS: identity tag AND identifier) and
*available*. Copies in progress, failed ones, 0.4.x copies without the deployment tag (LEGACY, until adopted)
and anyone else's snapshots do not count; a source without such a copy has no recovery point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .kinds import KINDS
from .listing import source_tag
from .ownership import OURS, Owner, classify
from .snapshot_time import data_time

AVAILABLE = "available"


class NewestCopies:
    """The newest available copy of each source, offered one by one (the caller has judged them ours).

    Newest means the latest data time (`snapshot_time.data_time`); a copy without one loses to any that has."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_source: dict[str, Mapping[str, Any]] = {}
        self._times: dict[str, datetime | None] = {}

    def offer(self, copy: Mapping[str, Any]) -> None:
        if copy.get("Status") != AVAILABLE:
            return
        source = copy.get(KINDS[self.kind].source_identifier_key)
        if not source:
            return
        when = data_time(copy, self.kind)
        if source not in self.by_source or _later(when, self._times[source]):
            self.by_source[source] = copy
            self._times[source] = when


def newest_copies(snapshots: Iterable[Mapping[str, Any]], kind: str, owner: Owner) -> dict[str, Mapping[str, Any]]:
    """{source database/cluster identifier: its newest available copy of this deployment (`owner`)}.

    `snapshots` are destination snapshots as RDS describes them (with TagList), e.g.
    `listing.pages(destination_rds, kind, SnapshotType="manual")`; every snapshot that is not OURS is skipped.
    """
    if not isinstance(owner, Owner):
        # 0.4.x took a source region here; a region alone cannot prove a copy is ours (ownership.py).
        raise TypeError(f"newest_copies needs an ownership.Owner (deployment and source region), got {owner!r}")
    newest = NewestCopies(kind)
    for snapshot in snapshots:
        if snapshot.get("Status") == AVAILABLE and classify(snapshot, kind, owner) == OURS:
            newest.offer(snapshot)
    return newest.by_source


def _later(when: datetime | None, than: datetime | None) -> bool:
    if when is None:
        return False
    return than is None or when > than


def recovery_point(
    copy: Mapping[str, Any], kind: str, source_times: Mapping[str, datetime] | None = None
) -> datetime | None:
    """The data time behind `copy` (None when unknown): the earliest of the copy's own data time
    (`snapshot_time.data_time`: OriginalSnapshotCreateTime, our source_snapshot_time tag, ...) and, when
    given, its source snapshot's data time as listed in the source region.

    `source_times` maps a source snapshot's source-ARN *tag value* (`tagging.source_arn_tag_value(arn)`, the
    ARN itself unless longer than 256 characters) to its data time (`snapshot_time.source_data_time`, which
    follows an in-region cluster snapshot copy back to its origin). Earliest is the safe side: a recovery
    point is never younger than its data.
    """
    times = [data_time(copy, kind)]
    if source_times:
        tag = source_tag(copy)
        if tag is not None:
            times.append(source_times.get(tag))
    known = [when for when in times if when is not None]
    return min(known) if known else None
