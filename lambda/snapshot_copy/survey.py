"""The reconciler's survey: which source snapshots RDS's (best-effort) events never brought to the copier,
and each source's recovery point. Read-only; reconcile.py acts on what it finds.

  survey(config, clients, now, *, window_days=None, runtime=None, run_listings=None) -> Survey
      Lists, at once (survey_listings.in_threads: six listings, one thread each), (1) the live sources in the
      source region (DescribeDBInstances, DescribeDBClusters; Aurora members are their cluster's, read
      replicas count only with backups on) that the source filter selects, by the TagList of the describe
      answers, (2) the destination's copies, (3) every source snapshot; then reads (4) the copy requests
      table for the snapshots without a copy. Returns per-source state and the candidates to enqueue. Raises
      ReconcileOutOfTimeError when the listings have not ended TIME_MARGIN_SECONDS before the timeout.

Whose copies (ownership.classify with config.owner): only OURS copies (identity tag AND identifier) give a
recovery point; a LEGACY copy (made by 0.4.x: no deployment tag, region and identifier match) makes its
source snapshot count as copied, so an upgrade re-copies nothing, but is never a recovery point (counted,
and `status` lists it: `rds-snapshot-copy adopt` makes it ours); anyone else's snapshot (another
deployment's copy, an operator's CopyTags copy under another name) is not looked at.

Time (snapshot_time.py): a snapshot is judged by its data time, never by when it was copied: a source
snapshot by `source_data_time` (OriginalSnapshotCreateTime; an in-region cluster snapshot copy follows
SourceDBClusterSnapshotArn back through the same listing), a copy by `data_time`. The window, the newest
snapshot, the recovery point and the lag use it; only the grace uses SnapshotCreateTime, since it waits
for the event RDS sends when the snapshot itself is made.

A source snapshot is enqueued when it is available, younger than the window (by data time, as the pruner
judges copies: what retention pruned is never copied again), older than the grace, of a snapshot type whose
created-event is enabled, of a source the filter selects (a source that no longer exists is judged by its
identifier alone, with no tags, as the copier judges it), has no copy of this deployment (OURS or LEGACY)
that is available, in progress or being deleted, and has no request in the table younger than
REREQUEST_AFTER_HOURS. A copy in listing.BROKEN_STATUSES is as good as none: its snapshot is enqueued again
(the copier deletes and replaces it) and counted (BrokenCopies).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from . import copy_requests
from .config import MAX_DAYS
from .events import enabled_snapshot_types
from .filters import Decision
from .kinds import KINDS
from .listing import source_tag
from .reconcile_config import ReconcileConfig
from .recovery import recovery_point
from .runtime import Runtime, no_limit
from .survey_listings import (
    Deadline,
    DeploymentCopies,
    Key,
    ListedSnapshot,
    LiveSources,
    Runner,
    in_threads,
    live_sources,
    our_copies,
    source_snapshots,
)
from .tagging import source_arn_tag_value

# Why a source snapshot without a copy is not enqueued: code -> what it means.
SKIP_REASONS = {
    "not_available": "the source snapshot is not available",
    "type_not_enabled": "its snapshot type's created-event is not enabled",
    "filtered": "its source is left out by the source filter",
    "no_creation_time": "RDS gives no time for its data",
    "older_than_window": "older than the window (retention would prune its copy)",
    "in_grace": "younger than the grace period (its own event is still expected)",
    "requested": "requested recently (copy requests table)",
    "account_not_allowed": "shared by an account this deployment does not copy from",
}


@dataclass(frozen=True)
class Clients:
    source_rds: Any
    destination_rds: Any
    sqs: Any  # the source region's (the copier's queue)
    dynamodb: Any = None  # the source region's (the copy requests table); None: no table is read or written
    # The destination region's, where drills publish LastDrillTimestamp; None: no drill check (only the
    # function makes one, when DRILL_MAX_AGE_DAYS is set).
    cloudwatch: Any = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A source snapshot, as little of it as reconciliation needs."""

    arn: str
    kind: str
    source: str  # the database or cluster it was taken of
    snapshot_type: str  # "manual", "automated", ...
    created: datetime | None  # its data time (snapshot_time.source_data_time), not when it was made
    account: str | None = None  # its account in backup-account mode (None: single-account mode)


@dataclass(slots=True)
class SourceState:
    """One live, selected database or cluster: its snapshots, its copies, its recovery point."""

    source: str
    kind: str
    created: datetime | None = None  # the database's or cluster's own creation time
    newest_snapshot: datetime | None = None  # data time of the newest available source snapshot
    newest_copy: str | None = None  # identifier of the newest available copy of this deployment (OURS)
    recovery_point: datetime | None = None
    copies_in_progress: int = 0
    legacy_copies: int = 0  # copies made by 0.4.x (ownership.LEGACY): never a recovery point until adopted
    broken_copies: int = 0  # copies in BROKEN_STATUSES (enqueued again unless their snapshot is gone or old)
    waiting: int = 0  # snapshots without a copy, requested in the table (enqueued or waiting)
    dead_lettered: int = 0  # snapshots without a copy the copier dead-lettered (table)
    account: str | None = None  # the source's account in backup-account mode (None: single-account mode)

    def age_hours(self, now: datetime) -> float | None:
        """Hours since the recovery point (None: no available copy)."""
        return None if self.recovery_point is None else _hours(now - self.recovery_point)

    def metric_age_hours(self, now: datetime, rpo_hours: float) -> float:
        """The age the metrics use: a source without a copy is as old as the source itself (a new database
        has not missed its RPO yet; one that never got a copy in days has), or exactly the RPO when RDS does
        not say when it was created (not yet past it)."""
        age = self.age_hours(now)
        if age is not None:
            return age
        if self.created is None:
            return rpo_hours
        return max(0.0, _hours(now - self.created))

    def within_rpo(self, now: datetime, rpo_hours: float) -> bool:
        """An available copy whose recovery point is at most rpo_hours old (no copy: False)."""
        age = self.age_hours(now)
        return age is not None and age <= rpo_hours

    def past_rpo(self, now: datetime, rpo_hours: float) -> bool:
        """Counted in SourcesPastRpo: metric_age_hours above rpo_hours."""
        return self.metric_age_hours(now, rpo_hours) > rpo_hours

    def entry(self, now: datetime, rpo_hours: float) -> dict[str, Any]:
        """The contract's entry (source, kind, recovery_point, recovery_point_age_hours, within_rpo) and more."""
        age = self.age_hours(now)
        lag = (
            _hours(self.newest_snapshot - self.recovery_point)
            if self.newest_snapshot is not None and self.recovery_point is not None
            else None
        )
        entry: dict[str, Any] = {} if self.account is None else {"account": self.account}
        return entry | {
            "source": self.source,
            "kind": self.kind,
            "recovery_point": _iso(self.recovery_point),
            "recovery_point_age_hours": None if age is None else round(age, 3),
            "within_rpo": self.within_rpo(now, rpo_hours),
            "past_rpo": self.past_rpo(now, rpo_hours),
            "newest_snapshot": _iso(self.newest_snapshot),
            "newest_copy": self.newest_copy,
            "lag_hours": None if lag is None else round(max(0.0, lag), 3),
            "copies_in_progress": self.copies_in_progress,
            "legacy_copies": self.legacy_copies,
            "broken_copies": self.broken_copies,
            "waiting": self.waiting,
            "dead_lettered": self.dead_lettered,
            "source_created": _iso(self.created),
        }


@dataclass
class Survey:
    """What survey() found. `sources` are keyed by (kind, account, identifier), in listing order; the account
    is None in single-account mode."""

    now: datetime
    rpo_hours: float
    window_days: float
    sources: dict[tuple[str, str | None, str], SourceState] = field(default_factory=dict)
    candidates: list[Snapshot] = field(default_factory=list)  # to enqueue, oldest first
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ARN, SKIP_REASONS code), copied ones aside
    copied: int = 0  # source snapshots that have a copy, OURS or LEGACY, not broken (any other status)
    legacy: int = 0  # LEGACY copies in the destination, of any source
    broken: int = 0  # OURS or LEGACY copies in BROKEN_STATUSES, of any source
    requests: dict[str, copy_requests.Request] = field(default_factory=dict)  # table items read

    def entries(self) -> list[dict[str, Any]]:
        return [state.entry(self.now, self.rpo_hours) for state in self.sources.values()]

    def skipped_counts(self) -> dict[str, int]:
        return dict(Counter(code for _, code in self.skipped))


def survey(
    config: ReconcileConfig,
    clients: Clients,
    now: datetime,
    *,
    window_days: float | None = None,
    runtime: Runtime | None = None,
    run_listings: Runner | None = None,
) -> Survey:
    """Read the sources, copies, snapshots and requests (see the module's docstring); change nothing.

    `now` must be timezone-aware (RDS's times are). `window_days`: None for config.retention_days, or a
    number of days up to config.MAX_DAYS (float('inf'): every snapshot). The six listings (live instances
    and clusters, source DB and cluster snapshots, destination DB and cluster copies) are independent and run
    through `run_listings` (None: in_threads, one thread each); each checks `runtime.seconds_left()` before
    every page and raises ReconcileOutOfTimeError under TIME_MARGIN_SECONDS. `runtime.sleep` paces the table's
    retries. `runtime` None: no deadline, the real sleep.
    """
    window = float(config.retention_days if window_days is None else window_days)
    if not 0 < window <= MAX_DAYS and window != math.inf:  # past MAX_DAYS, dates overflow
        raise ValueError(f"window_days must be more than 0 and at most {MAX_DAYS} (or inf), got {window_days!r}")
    seconds_left, sleep = (runtime.seconds_left, runtime.sleep) if runtime is not None else (no_limit, time.sleep)
    result = Survey(now=now, rpo_hours=config.rpo_hours, window_days=window)
    enabled_types = enabled_snapshot_types(config.enabled_event_ids)
    oldest = now - timedelta(days=window) if math.isfinite(window) else None
    youngest = now - timedelta(minutes=config.grace_minutes)
    check = Deadline(seconds_left)
    own = runtime.account_id if runtime is not None else None
    accounts = config.accounts
    backup = accounts.backup_mode
    own_included = accounts.includes_own(own)  # always in single-account mode
    own_key = own if backup else None  # the account in the Keys of this account's sources
    # In this order: live sources, this deployment's copies, source snapshots (this account's; in backup
    # mode, this account's only when it is listed, then those shared with it), each job of every kind.
    live_jobs = [partial(live_sources, config.source_filter.decide, clients.source_rds, kind, check) for kind in KINDS]
    copy_jobs = [partial(our_copies, config.owner, clients.destination_rds, kind, check, backup) for kind in KINDS]
    own_jobs = [partial(source_snapshots, clients.source_rds, kind, check, False, own_key) for kind in KINDS]
    shared_jobs = [partial(source_snapshots, clients.source_rds, kind, check, True) for kind in KINDS]
    jobs: list[Callable[[], Any]] = [
        *(live_jobs if own_included else []),
        *copy_jobs,
        *(own_jobs if own_included else []),
        *(shared_jobs if backup else []),
    ]
    answers = iter((run_listings or in_threads)(jobs))
    n = len(KINDS)
    live: list[LiveSources] = [next(answers) for _ in range(n)] if own_included else [[] for _ in KINDS]
    copies: list[DeploymentCopies] = [next(answers) for _ in range(n)]
    listed: list[list[ListedSnapshot]] = [next(answers) for _ in range(n)] if own_included else [[] for _ in KINDS]
    if backup:  # the shared snapshots of each kind follow this account's own
        listed = [[*own_listed, *next(answers)] for own_listed in listed]

    decisions: dict[tuple[str, str | None, str], Decision] = {}
    for kind, found in zip(KINDS, live, strict=True):
        for identifier, created, decision in found:
            decisions[(kind, own_key, identifier)] = decision
            if decision.selected:
                result.sources[(kind, own_key, identifier)] = SourceState(identifier, kind, created, account=own_key)
    if backup:
        # Another account's databases cannot be listed from here: its sources are those it shares snapshots
        # of and those the vault holds copies of (the source side unshares a snapshot once it is copied),
        # selected by the source filter by identifier alone.
        for kind, snapshots, ours_of_kind in zip(KINDS, listed, copies, strict=True):
            keys = [(raw.account, raw.source) for raw in snapshots if raw.account != own_key]
            keys += [key for key in (*ours_of_kind.newest, *ours_of_kind.in_progress) if key[0] != own_key]
            for account, source in keys:
                if account is None or not accounts.allows(account, own):
                    continue
                if (kind, account, source) not in result.sources and _selected(
                    config, kind, account, source, decisions
                ):
                    result.sources[(kind, account, source)] = SourceState(source, kind, account=account)

    copied: set[str] = set()  # source-ARN tags of this deployment's copies (OURS or LEGACY), not broken
    wanted: dict[str, tuple[str, Any, Key]] = {}  # newest copy's source tag -> (kind, copy, source Key)
    for kind, ours_of_kind in zip(KINDS, copies, strict=True):
        copied |= ours_of_kind.tags
        for counts, name in (
            (ours_of_kind.in_progress, "copies_in_progress"),
            (ours_of_kind.legacy, "legacy_copies"),
            (ours_of_kind.broken, "broken_copies"),
        ):
            for (account, source), count in counts.items():
                state = result.sources.get((kind, account, source))
                if state is not None:
                    setattr(state, name, getattr(state, name) + count)
        result.legacy += ours_of_kind.legacy.total()
        result.broken += ours_of_kind.broken.total()
        for key, copy in ours_of_kind.newest.items():
            state = result.sources.get((kind, *key))
            tag = source_tag(copy)
            if state is not None and tag is not None:
                state.newest_copy = copy[KINDS[kind].identifier_key]
                wanted[tag] = (kind, copy, key)
        ours_of_kind.tags.clear()  # the union holds them now

    source_times: dict[str, datetime] = {}  # source tag -> data time, for the newest copies' recovery points
    pending: list[Snapshot] = []
    in_grace: list[Snapshot] = []
    for kind, snapshots in zip(KINDS, listed, strict=True):
        for raw in snapshots:
            arn, source, taken, account = raw.arn, raw.source, raw.data_time, raw.account
            tag = source_arn_tag_value(arn)
            if tag in wanted and taken is not None:
                source_times[tag] = taken
            state = result.sources.get((kind, account, source))
            if state is not None and account != own_key and taken is not None:
                # Another account's database: its creation time is unknown here; it has existed at least since
                # its oldest snapshot, so one whose snapshots are never copied goes past the RPO all the same.
                state.created = taken if state.created is None else min(state.created, taken)
            if (
                raw.available
                and state is not None
                and taken is not None
                and (state.newest_snapshot is None or taken > state.newest_snapshot)
            ):
                state.newest_snapshot = taken
            if tag in copied:
                result.copied += 1
                continue
            code = None
            if account is not None and account != own_key and not accounts.allows(account, own):
                code = "account_not_allowed"
            elif not raw.available:
                code = "not_available"
            elif raw.snapshot_type not in enabled_types[kind]:
                code = "type_not_enabled"
            elif state is None and not _selected(config, kind, account, source, decisions):
                code = "filtered"
            elif taken is None:
                code = "no_creation_time"
            elif oldest is not None and taken <= oldest:
                code = "older_than_window"
            if code is not None:
                result.skipped.append((arn, code))
                continue
            snapshot = Snapshot(arn, kind, source, raw.snapshot_type, taken, account)
            (in_grace if (raw.created or taken) > youngest else pending).append(snapshot)
        snapshots.clear()

    _apply_requests(config, clients, now, result, pending, in_grace, sleep)
    result.candidates.sort(key=lambda s: (s.created or now, s.arn))
    for kind, copy, key in wanted.values():
        state = result.sources[(kind, *key)]
        state.recovery_point = recovery_point(copy, kind, source_times)
    return result


def _selected(
    config: ReconcileConfig,
    kind: str,
    account: str | None,
    source: str,
    decisions: dict[tuple[str, str | None, str], Decision],
) -> bool:
    """A live source decided in live_sources; one that is gone (or another account's) is judged by its
    identifier with no tags."""
    decision = decisions.get((kind, account, source))
    if decision is None:
        decision = decisions[(kind, account, source)] = config.source_filter.decide(source, {})
    return decision.selected


def _apply_requests(
    config: ReconcileConfig,
    clients: Clients,
    now: datetime,
    result: Survey,
    pending: list[Snapshot],
    in_grace: list[Snapshot],
    sleep: Callable[[float], None],
) -> None:
    if config.requests_table and clients.dynamodb is not None and (pending or in_grace):
        arns = [s.arn for s in pending + in_grace]
        result.requests = copy_requests.read(clients.dynamodb, config.requests_table, arns, sleep=sleep)
    epoch = now.timestamp()
    rerequest_after = config.rerequest_after_hours * 3600
    for snapshot in pending + in_grace:
        request = result.requests.get(snapshot.arn)
        state = result.sources.get((snapshot.kind, snapshot.account, snapshot.source))
        if request is not None and state is not None:
            if request.state == "dead_lettered":
                state.dead_lettered += 1
            else:
                state.waiting += 1
    for snapshot in in_grace:
        result.skipped.append((snapshot.arn, "in_grace"))
    for snapshot in pending:
        request = result.requests.get(snapshot.arn)
        if request is not None and request.suppresses(epoch, rerequest_after):
            result.skipped.append((snapshot.arn, "requested"))
        else:
            result.candidates.append(snapshot)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _iso(when: datetime | None) -> str | None:
    return None if when is None else (when.astimezone(UTC) if when.tzinfo else when).isoformat()
