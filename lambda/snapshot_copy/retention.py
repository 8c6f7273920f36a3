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

Copies are judged per source: per (account, database or cluster), sources.source_key, so that a vault holding
copies of two accounts' `orders` never mixes them. A copy is deleted only when no rule keeps it; each rule
only keeps, so adding one never deletes more:
- retention_days: every copy whose data is at most this many days old;
- keep_last: the newest N available copies, whatever their age, because RDS copies a DB snapshot
  incrementally only while the previous copy of the same source, with the same key, is still there; for the
  same reason the newest available copy stays while a copy of that source is in progress (its incremental base);
- keep_daily, keep_weekly, keep_monthly, keep_yearly (tiers.py): the newest available copy of each of the
  last N days, ISO weeks, months, years (calendar periods, the current one included), by the data's time in UTC;
- min_retention_days, the lock: no copy whose data is younger than this is ever deleted, whatever the other
  rules say, in any state: a failed copy too (the rule an auditor reads is "nothing younger than N days",
  and it is the rule the SCP can enforce, which sees no status).
Only `available` counts as a keep slot. A copy in progress is never deleted and fills no keep slot; neither
does a failed one, which restores nothing and only takes quota, so it is deleted (once older than the lock);
one already `deleting` is left to RDS. Each verdict names the rule that kept or expired the copy (`reason`)
and every rule that keeps it (`rules`).
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
from .sources import SourceKey, source_key
from .tiers import NO_TIERS, TierChoice, Tiers, choose

AVAILABLE = "available"
# A copy in these states restores nothing and never will: RDS leaves it until someone deletes it.
UNUSABLE_STATUSES = frozenset({"failed", "incompatible-restore"})
DELETING = "deleting"
# Why a LEGACY copy stays (logged once a run, docs/ownership-and-time.md, "Upgrading from 0.4").
LEGACY_REASON = "made by 0.4.x, no deployment tag: adopt with `rds-snapshot-copy adopt`"
# The names of the rules in `Verdict.rules` (the module's variables; a tier's is tiers.SETTINGS').
INCREMENTAL_BASE = "incremental_base"
KEEP_LAST = "keep_last"
RETENTION_DAYS = "retention_days"
MIN_RETENTION_DAYS = "min_retention_days"
NO_DATA_TIME = "no_data_time"


@dataclass(frozen=True)
class Verdict:
    identifier: str
    source: str  # the database or cluster the copy was taken of
    delete: bool
    reason: str  # the rule that kept or expired the copy
    data_time: datetime | None
    account: str = ""  # the source's account (sources.source_account; "" when unknown)
    rules: tuple[str, ...] = ()  # every rule that keeps the copy, by the setting's name (none: it expires)


@dataclass(frozen=True)
class Decisions:
    verdicts: list[Verdict] = field(default_factory=list)  # one for each of our copies (none: pruning is off)
    legacy: list[str] = field(default_factory=list)  # identifiers of LEGACY copies: never deleted


@dataclass(frozen=True)
class Rules:
    """The retention settings of one pruner (prune_config.PruneConfig.rules)."""

    retention_days: int
    keep_last: int
    tiers: Tiers = NO_TIERS
    min_retention_days: int | None = None  # the lock; None: none


def decide(
    snapshots: Iterable[Mapping[str, Any]],
    kind: str,
    owner: Owner,
    now: datetime,
    retention_days: int | None,
    keep_last: int,
    tiers: Tiers = NO_TIERS,
    min_retention_days: int | None = None,
) -> Decisions:
    """A verdict for every copy of `kind` that is OURS (none when `retention_days` is None), and the LEGACY
    copies by name; other snapshots get nothing."""
    table = KINDS[kind]
    by_source: dict[SourceKey, list[Mapping[str, Any]]] = defaultdict(list)
    legacy: list[str] = []
    for snapshot in snapshots:
        whose = classify(snapshot, kind, owner)
        if whose == OURS:
            account, database = source_key(snapshot, kind)
            by_source[(account, database or "?")].append(snapshot)
        elif whose == LEGACY:
            legacy.append(snapshot[table.identifier_key])
    if retention_days is None:
        return Decisions([], sorted(legacy))
    rules = Rules(retention_days, keep_last, tiers, min_retention_days)
    # The account is named in a reason only where two accounts' copies meet (a backup account's vault).
    several_accounts = len({account for account, _ in by_source}) > 1
    verdicts: list[Verdict] = []
    for key, copies in sorted(by_source.items()):
        verdicts.extend(_decide_source(key, copies, kind, now, rules, several_accounts))
    return Decisions(verdicts, sorted(legacy))


def _decide_source(
    key: SourceKey,
    copies: list[Mapping[str, Any]],
    kind: str,
    now: datetime,
    rules: Rules,
    several_accounts: bool,
) -> list[Verdict]:
    """The verdicts on our copies of one database or cluster."""
    account, source = key
    named = f"{source} (account {account})" if several_accounts and account else source
    id_key = KINDS[kind].identifier_key
    cutoff = now - timedelta(days=rules.retention_days)
    lock = None if rules.min_retention_days is None else now - timedelta(days=rules.min_retention_days)
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    times = {s[id_key]: data_time(s, kind) for s in copies}
    # Newest data first; a copy without a time sorts last and is never deleted for its age.
    copies = sorted(copies, key=lambda s: (times[s[id_key]] or oldest, s[id_key]), reverse=True)
    in_progress = [s[id_key] for s in copies if s.get("Status") in IN_PROGRESS_STATUSES]  # newest first
    available = [(s[id_key], times[s[id_key]]) for s in copies if s.get("Status") == AVAILABLE]
    tiers = choose([(i, when) for i, when in available if when is not None], rules.tiers, now)
    ranks = {identifier: rank for rank, (identifier, _) in enumerate(available)}
    verdicts = []
    for snapshot in copies:
        identifier = snapshot[id_key]
        status, when = snapshot.get("Status"), times[identifier]
        locked = _locked(when, lock, now, rules.min_retention_days)
        keeping: list[tuple[str, str]] = []  # (rule, reason), the first one the reason given
        delete = False
        if status in IN_PROGRESS_STATUSES:
            reason = f"copy in progress ({status})"
        elif status == DELETING:
            reason = "already being deleted"
        elif status in UNUSABLE_STATUSES:
            if locked:
                keeping.append((MIN_RETENTION_DAYS, f"failed copy ({status}), but {locked}"))
            else:
                delete, reason = True, f"failed copy ({status})"  # restores nothing, takes quota
        elif status != AVAILABLE:
            reason = f"not available ({status}): left alone"
        else:
            keeping = _keeping(identifier, when, ranks[identifier], in_progress, named, tiers, rules, cutoff)
            if locked:
                keeping.append((MIN_RETENTION_DAYS, locked))
            if not keeping:
                delete, reason = True, _expired(identifier, when, now, tiers, rules)
        if keeping:
            reason = keeping[0][1]
        verdicts.append(Verdict(identifier, source, delete, reason, when, account, tuple(rule for rule, _ in keeping)))
    return verdicts


def _locked(when: datetime | None, lock: datetime | None, now: datetime, days: int | None) -> str:
    """Why the lock keeps a copy ("" when it does not): its data is younger than min_retention_days, or its
    age is unknown, which the lock cannot tell from young."""
    if lock is None:
        return ""
    if when is None:
        return f"no data time: min_retention_days {days} (the lock) cannot tell its age"
    if when > lock:
        age = (now - when).total_seconds() / 86400
        return f"data {age:.1f} days old, younger than min_retention_days {days} (the lock)"
    return ""


def _keeping(
    identifier: str,
    when: datetime | None,
    rank: int,
    in_progress: list[str],
    source: str,
    tiers: list[TierChoice],
    rules: Rules,
    cutoff: datetime,
) -> list[tuple[str, str]]:
    """Every rule but the lock that keeps this available copy, (rule, reason), the strongest first."""
    keeping = []
    if in_progress and rank == 0:  # the base, whatever keep_last says
        keeping.append(
            (INCREMENTAL_BASE, f"newest available copy of {source}, the incremental base of {in_progress[0]}")
        )
    if rank < rules.keep_last:
        keeping.append((KEEP_LAST, f"one of the newest {rules.keep_last} available copies of {source}"))
    if when is None:
        keeping.append((NO_DATA_TIME, "no data time: age unknown"))
        return keeping
    if when >= cutoff:
        keeping.append((RETENTION_DAYS, f"data younger than the retention of {rules.retention_days} days"))
    for choice in tiers:
        if choice.keeps(identifier, when):
            keeping.append((f"keep_{choice.tier}", choice.why(identifier, when)))
    return keeping


def _expired(identifier: str, when: datetime | None, now: datetime, tiers: list[TierChoice], rules: Rules) -> str:
    """Why no rule keeps this copy: its age against retention_days (and the lock), and each tier's answer."""
    age = (now - when).total_seconds() / 86400 if when is not None else float("nan")
    reason = f"data {age:.1f} days old, older than the retention of {rules.retention_days} days"
    if rules.min_retention_days is not None:
        reason += f" and than min_retention_days {rules.min_retention_days} (the lock)"
    if tiers and when is not None:
        reason += "; " + "; ".join(choice.why(identifier, when) for choice in tiers)
    return reason
