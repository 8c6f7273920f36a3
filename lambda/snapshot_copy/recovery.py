"""The recovery point: how far back a restore from the destination would go, per source database or cluster.

One implementation for the reconciler, `status`, `backfill` and the restore drill. The recovery point of
a source is the creation time of the source snapshot behind its newest *available* copy of this deployment
(retention.ours) in the destination; copies in progress do not count, and a source without such a copy
has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .kinds import KINDS
from .listing import source_tag
from .retention import ours, taken_at


def newest_copies(
    snapshots: Iterable[Mapping[str, Any]], kind: str, source_region: str
) -> dict[str, Mapping[str, Any]]:
    """{source database/cluster identifier: its newest available copy of this deployment}.

    `snapshots` are destination snapshots as RDS describes them (with TagList), e.g.
    `listing.pages(destination_rds, kind, SnapshotType="manual")`; others' snapshots are skipped.
    Newest means the latest `retention.taken_at` (when the data was taken); a copy without a time loses.
    """
    source_key = KINDS[kind].source_identifier_key
    newest: dict[str, Mapping[str, Any]] = {}
    best: dict[str, datetime | None] = {}
    for snapshot in snapshots:
        if snapshot.get("Status") != "available" or not ours(snapshot, source_region):
            continue
        source = snapshot.get(source_key)
        if not source:
            continue
        when = taken_at(snapshot, kind)
        if source not in newest or _later(when, best[source]):
            newest[source] = snapshot
            best[source] = when
    return newest


def _later(when: datetime | None, than: datetime | None) -> bool:
    if when is None:
        return False
    return than is None or when > than


def recovery_point(
    copy: Mapping[str, Any], kind: str, source_times: Mapping[str, datetime] | None = None
) -> datetime | None:
    """The creation time of the source snapshot behind `copy` (None when unknown).

    `source_times` maps a source snapshot's source-ARN *tag value* (`tagging.source_arn_tag_value(arn)`, which
    is the ARN itself unless it is longer than 256 characters) to its SnapshotCreateTime, as listed in the
    source region. When the copy's source is found there, that time wins; otherwise (source snapshot deleted,
    or no lookup given) the copy's own record of when its data was taken (`retention.taken_at`) is used.
    """
    if source_times:
        tag = source_tag(copy)
        if tag is not None and tag in source_times:
            return source_times[tag]
    return taken_at(copy, kind)
