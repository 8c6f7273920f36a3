"""When a snapshot's data was taken: the one time every function judges a snapshot by.

Not when a thing was copied. RDS keeps `OriginalSnapshotCreateTime` on a DB snapshot through every copy,
while its `SnapshotCreateTime` is the copy's own. A cluster snapshot has only `SnapshotCreateTime`, which the
API reference calls "the time when the snapshot was taken"; for a copy (`SourceDBClusterSnapshotArn` set)
we take it to be when the copy was made, since RDS documents no original time for cluster snapshots.

The rule (docs/ownership-and-time.md, "The time rule"):
- a snapshot's data time is the earliest of the times it carries: the catalogue's `snapshot_time_keys`
  (kinds.py) and, on our copies, the `source_snapshot_time` tag the copier wrote from the source;
- a source cluster snapshot that is itself a copy takes the data time of the snapshot it was copied from,
  following `SourceDBClusterSnapshotArn` as far as the snapshots can be found (`source_data_time`).
Earliest is the safe side for the recovery point (never younger than the data) and what retention means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

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


class Linked(Protocol):
    """What `chain_data_times` reads of a listed snapshot (reconciliation's survey_listings.ListedSnapshot)."""

    @property
    def arn(self) -> str: ...
    @property
    def data_time(self) -> datetime | None: ...  # its own, `data_time`
    @property
    def copied_from(self) -> str | None: ...  # COPIED_FROM_KEY's value


L = TypeVar("L", bound=Linked)


def chain_data_times(listed: Sequence[L], kind: str) -> list[tuple[L, datetime | None]]:
    """(snapshot, its `source_data_time`) for each snapshot of a listing that is an in-region copy, its chain
    followed through the same listing: a listing of source snapshots, each holding its own data time and link
    (not RDS's dicts), indexed by ARN (references only). An origin that is not listed (shared from another
    account, deleted) ends the chain there. Every time is computed from the snapshots' own times before the
    caller assigns any, so the listing's order cannot matter."""
    by_arn = {snapshot.arn: snapshot for snapshot in listed}

    def view(snapshot: Linked) -> dict[str, Any]:
        # What source_data_time reads: a time (every kind has SnapshotCreateTime) and the link.
        return {"SnapshotCreateTime": snapshot.data_time, COPIED_FROM_KEY: snapshot.copied_from}

    def lookup(arn: str) -> dict[str, Any] | None:
        origin = by_arn.get(arn)
        return None if origin is None else view(origin)

    return [(s, source_data_time(view(s), kind, lookup)) for s in listed if s.copied_from is not None]
