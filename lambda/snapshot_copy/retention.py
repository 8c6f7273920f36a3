"""Which of this deployment's copies have expired: the pruner's decisions, each with the rule that made it.

The ownership rule (ownership.py): a copy is judged only when `ownership.classify` says it is OURS, that is,
this deployment's tag, this source region's tag and exactly the identifier the copier gives a copy of the
source ARN in its tag. Tags alone never make a copy ours (an operator's CopyTags=True copy carries them all,
a second deployment from the same source region carries all but ours). A LEGACY copy (made by 0.4.x, no
deployment tag) is never deleted: it is counted and named so it cannot fill the quota unseen. Anything else
gets no verdict at all.

The time rule (snapshot_time.py): a copy's age is its data time, when the source's data was taken, never
when the copy was made. A cluster copy's own SnapshotCreateTime is its copy time; the source_snapshot_time
tag the copier wrote holds the source's.

Only `available` counts. Per database or cluster (RDS keeps DBInstanceIdentifier / DBClusterIdentifier on a
copy), the newest `keep_last` available copies are kept whatever their age, because RDS copies a DB snapshot
incrementally only while the previous copy of the same source, with the same key, is still there; for the
same reason the newest available copy stays while a copy of that source is in progress. A copy in progress
is never deleted and fills no keep slot; neither does a failed one, which restores nothing and only takes
quota, so it is deleted; one already `deleting` is left to RDS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .kinds import KINDS
from .listing import IN_PROGRESS_STATUSES
from .ownership import LEGACY, OURS, Owner, classify
from .snapshot_time import data_time

AVAILABLE = "available"
# A copy in these states restores nothing and never will: RDS leaves it until someone deletes it.
UNUSABLE_STATUSES = frozenset({"failed", "incompatible-restore"})
DELETING = "deleting"
# Why a LEGACY copy stays (logged once a run, docs/ownership-and-time.md, "Upgrading from 0.4").
LEGACY_REASON = "made by 0.4.x, no deployment tag: adopt with `rds-snapshot-copy adopt`"


@dataclass(frozen=True)
class Verdict:
    identifier: str
    source: str  # the database or cluster the copy was taken of
    delete: bool
    reason: str  # the rule that kept or expired the copy
    data_time: datetime | None


@dataclass(frozen=True)
class Decisions:
    verdicts: list[Verdict] = field(default_factory=list)  # one for each of our copies (none: pruning is off)
    legacy: list[str] = field(default_factory=list)  # identifiers of LEGACY copies: never deleted


def decide(
    snapshots: Iterable[Mapping[str, Any]],
    kind: str,
    owner: Owner,
    now: datetime,
    retention_days: int | None,
    keep_last: int,
) -> Decisions:
    """A verdict for every copy of `kind` that is OURS (none when `retention_days` is None), and the LEGACY
    copies by name; other snapshots get nothing."""
    table = KINDS[kind]
    by_source: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    legacy: list[str] = []
    for snapshot in snapshots:
        whose = classify(snapshot, kind, owner)
        if whose == OURS:
            by_source[snapshot.get(table.source_identifier_key) or "?"].append(snapshot)
        elif whose == LEGACY:
            legacy.append(snapshot[table.identifier_key])
    if retention_days is None:
        return Decisions([], sorted(legacy))
    verdicts: list[Verdict] = []
    for source, copies in sorted(by_source.items()):
        verdicts.extend(_decide_source(source, copies, kind, now, retention_days, keep_last))
    return Decisions(verdicts, sorted(legacy))


def _decide_source(
    source: str,
    copies: list[Mapping[str, Any]],
    kind: str,
    now: datetime,
    retention_days: int,
    keep_last: int,
) -> list[Verdict]:
    """The verdicts on our copies of one database or cluster."""
    id_key = KINDS[kind].identifier_key
    cutoff = now - timedelta(days=retention_days)
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    times = {s[id_key]: data_time(s, kind) for s in copies}
    # Newest data first; a copy without a time sorts last and is never deleted for its age.
    copies = sorted(copies, key=lambda s: (times[s[id_key]] or oldest, s[id_key]), reverse=True)
    in_progress = sorted(s[id_key] for s in copies if s.get("Status") in IN_PROGRESS_STATUSES)
    verdicts = []
    kept = 0
    for snapshot in copies:
        status, when = snapshot.get("Status"), times[snapshot[id_key]]
        delete = False
        if status in IN_PROGRESS_STATUSES:
            reason = f"copy in progress ({status})"
        elif status in UNUSABLE_STATUSES:
            delete, reason = True, f"failed copy ({status})"  # restores nothing, takes quota
        elif status == DELETING:
            reason = "already being deleted"
        elif status != AVAILABLE:
            reason = f"not available ({status}): left alone"
        elif kept < keep_last or (in_progress and kept == 0):  # the base, whatever keep_last says
            kept += 1
            reason = (
                f"newest available copy of {source}, the incremental base of {in_progress[0]}"
                if in_progress and kept == 1
                else f"one of the newest {keep_last} available copies of {source}"
            )
        elif when is None:
            reason = "no data time: age unknown"
        elif when < cutoff:
            age = (now - when).total_seconds() / 86400
            delete, reason = True, f"data {age:.1f} days old, older than the retention of {retention_days} days"
        else:
            reason = f"data younger than the retention of {retention_days} days"
        verdicts.append(Verdict(snapshot[id_key], source, delete, reason, when))
    return verdicts
