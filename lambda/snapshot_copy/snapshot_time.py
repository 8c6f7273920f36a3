"""When a snapshot's data was taken: the one time every function judges a snapshot by.

Not when a thing was copied. RDS keeps `OriginalSnapshotCreateTime` on a DB snapshot through every copy,
while its `SnapshotCreateTime` is the copy's own. A cluster snapshot has only `SnapshotCreateTime`, which the
API reference calls "the time when the snapshot was taken"; for a copy (`SourceDBClusterSnapshotArn` set)
we take it to be when the copy was made, since RDS documents no original time for cluster snapshots.

The rule (README, "The time rule"):
- a snapshot's data time is the earliest of the times it carries: the catalogue's `snapshot_time_keys`
  (kinds.py) and, on our copies, the `source_snapshot_time` tag the copier wrote from the source;
- a source cluster snapshot that is itself a copy takes the data time of the snapshot it was copied from,
  following `SourceDBClusterSnapshotArn` as far as the snapshots can be found (`source_data_time`).
Earliest is the safe side for the recovery point (never younger than the data) and what retention means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .kinds import KINDS
from .tagging import TAG_SOURCE_SNAPSHOT_TIME, parse_time, tag_value

# Links followed from a cluster snapshot copy to its origin: an in-region copy of a copy of a copy is
# already unusual, and each link may cost a describe call.
MAX_COPY_CHAIN = 5
# Where a cluster snapshot names the snapshot it was copied from (DB snapshots keep the original time).
COPIED_FROM_KEY = "SourceDBClusterSnapshotArn"


def data_time(snapshot: Mapping[str, Any], kind: str) -> datetime | None:
    """The earliest of the snapshot's times (RDS's keys for `kind`, and our source_snapshot_time tag)."""
    times = [snapshot.get(key) for key in KINDS[kind].snapshot_time_keys]
    times.append(parse_time(tag_value(snapshot.get("TagList"), TAG_SOURCE_SNAPSHOT_TIME)))
    known = [when for when in times if isinstance(when, datetime)]
    return min(known) if known else None


def source_data_time(
    snapshot: Mapping[str, Any],
    kind: str,
    lookup: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> datetime | None:
    """A source snapshot's data time: `data_time`, and for a cluster snapshot copied from another one, the
    data time of its origin, found with `lookup(arn)` (a listing's dict.get, or a describe call), link by
    link; a link that cannot be found ends the chain at the earliest time known so far."""
    when = data_time(snapshot, kind)
    current = snapshot
    for _ in range(MAX_COPY_CHAIN):
        origin_arn = current.get(COPIED_FROM_KEY)
        if not origin_arn or lookup is None:
            break
        origin = lookup(origin_arn)
        if origin is None:
            break
        origin_time = data_time(origin, kind)
        if origin_time is not None and (when is None or origin_time < when):
            when = origin_time
        current = origin
    return when
