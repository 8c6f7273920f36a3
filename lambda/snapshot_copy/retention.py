"""Which of this deployment's copies have expired: the pruner's decisions, with their reasons.

A copy is this deployment's only if it carries the source-ARN tag and its source_region tag names this
deployment's source region: two deployments from different source regions into one destination never
touch each other's copies, and nothing untagged is ever touched. Copies are grouped by the database or
cluster they were taken of (RDS keeps DBInstanceIdentifier / DBClusterIdentifier on a copy); the newest
`keep_last` available copies of each are kept whatever their age, because RDS copies a DB snapshot
incrementally only while the previous copy of the same source, with the same key, is still there.
Copies in progress are never deleted and do not count as kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .kinds import KINDS
from .listing import IN_PROGRESS_STATUSES
from .tagging import TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN, tag_value


@dataclass(frozen=True)
class Verdict:
    identifier: str
    source: str  # the database or cluster the copy was taken of
    delete: bool
    reason: str
    taken_at: datetime | None


def taken_at(snapshot: Mapping[str, Any], kind: str) -> datetime | None:
    """When the copy's data was taken (not when it was copied)."""
    for key in KINDS[kind].snapshot_time_keys:
        value = snapshot.get(key)
        if isinstance(value, datetime):
            return value
    return None


def ours(snapshot: Mapping[str, Any], source_region: str) -> bool:
    tags = snapshot.get("TagList")
    return tag_value(tags, TAG_SOURCE_SNAPSHOT_ARN) is not None and tag_value(tags, TAG_SOURCE_REGION) == source_region


def decide(
    snapshots: Iterable[Mapping[str, Any]],
    kind: str,
    source_region: str,
    now: datetime,
    retention_days: int,
    keep_last: int,
) -> list[Verdict]:
    """A verdict for every copy of `kind` that is this deployment's; other snapshots get none."""
    table = KINDS[kind]
    cutoff = now - timedelta(days=retention_days)
    by_source: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for snapshot in snapshots:
        if ours(snapshot, source_region):
            by_source[snapshot.get(table.source_identifier_key) or "?"].append(snapshot)
    verdicts = []
    for source, copies in sorted(by_source.items()):
        # Newest first; a copy without a time sorts last (oldest), and is never deleted for its age.
        copies.sort(key=lambda s: taken_at(s, kind) or datetime.min.replace(tzinfo=now.tzinfo), reverse=True)
        kept = 0
        for snapshot in copies:
            identifier = snapshot[table.identifier_key]
            when = taken_at(snapshot, kind)
            if snapshot.get("Status") in IN_PROGRESS_STATUSES:
                verdicts.append(Verdict(identifier, source, False, f"in progress ({snapshot.get('Status')})", when))
                continue
            if kept < keep_last:
                kept += 1
                verdicts.append(Verdict(identifier, source, False, f"one of the newest {keep_last} of {source}", when))
                continue
            if when is None:
                verdicts.append(Verdict(identifier, source, False, "no creation time: age unknown", when))
            elif when < cutoff:
                age = (now - when).total_seconds() / 86400
                verdicts.append(
                    Verdict(identifier, source, True, f"{age:.1f} days old, older than {retention_days}", when)
                )
            else:
                verdicts.append(Verdict(identifier, source, False, f"younger than {retention_days} days", when))
    return verdicts
