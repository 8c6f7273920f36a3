"""Reconciliation: find the source snapshots RDS's (best-effort) events never brought to the copier, and
enqueue an event for each, shaped like RDS's own; and measure each source's recovery point.

The reconciler function, `rds-snapshot-copy status` / `backfill` and the benchmark call the same two
functions with their own clients, clock and window:

  survey(config, clients, now, *, window_days=None, seconds_left=..., sleep=..., run_listings=None) -> Survey
      Lists, at once (in_threads: six listings, one thread each), (1) the live sources in the source region
      (DescribeDBInstances, DescribeDBClusters; Aurora members are their cluster's, read replicas count only
      with backups on) that the source filter selects, by the TagList of the describe answers, (2) the
      destination's copies, (3) every source snapshot; then reads (4) the copy requests table for the
      snapshots without a copy. Returns per-source state and the candidates to enqueue; read-only. Raises
      ReconcileOutOfTimeError when the listings have not ended TIME_MARGIN_SECONDS before the timeout.
  reconcile(config, clients, now, *, ...) -> dict
      survey(), then SendMessageBatch (10 a call) to the copier's queue, the sent ones recorded in the table,
      with DRILL_MAX_AGE_DAYS the days since the last drill (drill_age.py, one GetMetricData in the
      destination), the EMF metrics, and the result (see its docstring). Raises ReconcileFailedError after
      publishing when any snapshot could not be sent (the result on its `result`).

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

Memory: a source snapshot is kept as a `_Listed` (seven slots, its source's and type's strings shared, its
SnapshotCreateTime only when it differs from its data time), never as RDS's dict, until the copies are known;
a copy as its source-ARN tag; only the newest copy of each source is kept whole. A listing holding in-region
cluster snapshot copies is indexed by ARN (references only) to follow them to their origin.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from . import copy_requests, drill_age, metrics
from .config import MAX_DAYS
from .errors import SnapshotCopyError
from .events import CREATED_EVENT_IDS, snapshot_created_event
from .filters import Decision
from .kinds import KINDS
from .listing import BROKEN_STATUSES, IN_PROGRESS_STATUSES, described, pages, source_tag
from .ownership import FOREIGN, LEGACY, classify
from .reconcile_config import ReconcileConfig
from .recovery import NewestCopies, recovery_point
from .snapshot_time import COPIED_FROM_KEY, data_time, source_data_time
from .tagging import source_arn_tag_value

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Runs survey()'s independent listings: the jobs' answers, in their order (in_threads, in_turn, or a
# simulator's own).
Runner = Callable[[Sequence[Callable[[], Any]]], list[Any]]

SEND_BATCH_LIMIT = 10  # SQS's entries per SendMessageBatch
# Stop listing (an error) or sending (the next run sends the rest) this long before the function's timeout.
TIME_MARGIN_SECONDS = 30
ORIGINS = ("reconciler", "backfill")
AVAILABLE = "available"
# Reported by the reconciler only (dimensions {FunctionName}): copies of this deployment in BROKEN_STATUSES.
BROKEN_COPIES = "BrokenCopies"

# Why a source snapshot without a copy is not enqueued: code -> what it means.
SKIP_REASONS = {
    "not_available": "the source snapshot is not available",
    "type_not_enabled": "its snapshot type's created-event is not enabled",
    "filtered": "its source is left out by the source filter",
    "no_creation_time": "RDS gives no time for its data",
    "older_than_window": "older than the window (retention would prune its copy)",
    "in_grace": "younger than the grace period (its own event is still expected)",
    "requested": "requested recently (copy requests table)",
}

_SOURCE_DESCRIBES = {
    "db": ("describe_db_instances", "DBInstances", "DBInstanceIdentifier", "InstanceCreateTime"),
    "cluster": ("describe_db_clusters", "DBClusters", "DBClusterIdentifier", "ClusterCreateTime"),
}


class ReconcileFailedError(SnapshotCopyError):
    """Some snapshots to enqueue could not be sent; each is named with its error code. `result` is what
    reconcile() would have returned (the others were sent, recorded and the metrics published)."""

    code = "ReconcileFailed"

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result


class ReconcileOutOfTimeError(SnapshotCopyError):
    """The listings did not end TIME_MARGIN_SECONDS before the function's timeout; nothing was sent."""

    code = "ReconcileOutOfTime"


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
        return {
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
    """What survey() found. `sources` are keyed by (kind, identifier), in listing order."""

    now: datetime
    rpo_hours: float
    window_days: float
    sources: dict[tuple[str, str], SourceState] = field(default_factory=dict)
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
    seconds_left: Callable[[], float] = lambda: math.inf,
    sleep: Callable[[float], None] = time.sleep,
    run_listings: Runner | None = None,
) -> Survey:
    """Read the sources, copies, snapshots and requests (see the module's docstring); change nothing.

    `now` must be timezone-aware (RDS's times are). `window_days`: None for config.retention_days, or a
    number of days up to config.MAX_DAYS (float('inf'): every snapshot). The six listings (live instances
    and clusters, source DB and cluster snapshots, destination DB and cluster copies) are independent and run
    through `run_listings` (None: in_threads, one thread each); each checks `seconds_left()` before every page and
    raises ReconcileOutOfTimeError under TIME_MARGIN_SECONDS. `sleep` paces the table's retries.
    """
    window = float(config.retention_days if window_days is None else window_days)
    if not 0 < window <= MAX_DAYS and window != math.inf:  # past MAX_DAYS, dates overflow
        raise ValueError(f"window_days must be more than 0 and at most {MAX_DAYS} (or inf), got {window_days!r}")
    result = Survey(now=now, rpo_hours=config.rpo_hours, window_days=window)
    enabled_types = enabled_snapshot_types(config.enabled_event_ids)
    oldest = now - timedelta(days=window) if math.isfinite(window) else None
    youngest = now - timedelta(minutes=config.grace_minutes)
    clock = _Deadline(seconds_left)
    jobs: list[Callable[[], Any]] = [
        *(partial(_live_sources, config, clients.source_rds, kind, clock) for kind in KINDS),
        *(partial(_our_copies, config, clients.destination_rds, kind, clock) for kind in KINDS),
        *(partial(_source_snapshots, clients.source_rds, kind, clock) for kind in KINDS),
    ]
    answers = (run_listings or in_threads)(jobs)
    live: list[_LiveSources] = answers[: len(KINDS)]
    copies: list[_Copies] = answers[len(KINDS) : 2 * len(KINDS)]
    listed: list[list[_Listed]] = answers[2 * len(KINDS) :]

    decisions: dict[tuple[str, str], Decision] = {}
    for kind, found in zip(KINDS, live, strict=True):
        for identifier, created, decision in found:
            decisions[(kind, identifier)] = decision
            if decision.selected:
                result.sources[(kind, identifier)] = SourceState(identifier, kind, created)

    copied: set[str] = set()  # source-ARN tags of this deployment's copies (OURS or LEGACY), not broken
    wanted: dict[str, tuple[str, Any]] = {}  # newest copy's source tag -> (kind, copy)
    for kind, ours_of_kind in zip(KINDS, copies, strict=True):
        copied |= ours_of_kind.tags
        for counts, name in (
            (ours_of_kind.in_progress, "copies_in_progress"),
            (ours_of_kind.legacy, "legacy_copies"),
            (ours_of_kind.broken, "broken_copies"),
        ):
            for source, count in counts.items():
                state = result.sources.get((kind, source))
                if state is not None:
                    setattr(state, name, getattr(state, name) + count)
        result.legacy += ours_of_kind.legacy.total()
        result.broken += ours_of_kind.broken.total()
        for source, copy in ours_of_kind.newest.items():
            state = result.sources.get((kind, source))
            tag = source_tag(copy)
            if state is not None and tag is not None:
                state.newest_copy = copy[KINDS[kind].identifier_key]
                wanted[tag] = (kind, copy)
        ours_of_kind.tags.clear()  # the union holds them now

    source_times: dict[str, datetime] = {}  # source tag -> data time, for the newest copies' recovery points
    pending: list[Snapshot] = []
    in_grace: list[Snapshot] = []
    for kind, snapshots in zip(KINDS, listed, strict=True):
        for raw in snapshots:
            arn, source, taken = raw.arn, raw.source, raw.data_time
            tag = source_arn_tag_value(arn)
            if tag in wanted and taken is not None:
                source_times[tag] = taken
            state = result.sources.get((kind, source))
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
            if not raw.available:
                code = "not_available"
            elif raw.snapshot_type not in enabled_types[kind]:
                code = "type_not_enabled"
            elif state is None and not _selected(config, kind, source, decisions):
                code = "filtered"
            elif taken is None:
                code = "no_creation_time"
            elif oldest is not None and taken <= oldest:
                code = "older_than_window"
            if code is not None:
                result.skipped.append((arn, code))
                continue
            snapshot = Snapshot(arn, kind, source, raw.snapshot_type, taken)
            (in_grace if (raw.created or taken) > youngest else pending).append(snapshot)
        snapshots.clear()

    _apply_requests(config, clients, now, result, pending, in_grace, sleep)
    result.candidates.sort(key=lambda s: (s.created or now, s.arn))
    for kind, copy in wanted.values():
        state = result.sources[(kind, copy[KINDS[kind].source_identifier_key])]
        state.recovery_point = recovery_point(copy, kind, source_times)
    return result


def in_threads(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run the jobs at once, one thread each (boto3's clients are thread-safe); their answers, in order.

    The first error is raised once every job has ended (the others stop at their next page when it is
    ReconcileOutOfTimeError, since they read the same clock)."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="reconcile-listing") as pool:
        futures = [pool.submit(job) for job in jobs]
        wait(futures)
    return [future.result() for future in futures]


def in_turn(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run the jobs one after the other in the calling thread (for clients that must not be shared)."""
    return [job() for job in jobs]


class _Deadline:
    """Every listing's check before each page: raise ReconcileOutOfTimeError once the time left is short."""

    def __init__(self, seconds_left: Callable[[], float]) -> None:
        self.seconds_left = seconds_left
        self.pages = 0  # read so far, by every listing (a rough figure: threads add without a lock)

    def __call__(self, listing: str) -> None:
        left = self.seconds_left()
        if left < TIME_MARGIN_SECONDS:
            raise ReconcileOutOfTimeError(
                f"out of time while listing {listing}: {left:.0f} s left after {self.pages} page(s) of the "
                f"listings; nothing was sent and no metric published (partial listings would enqueue copied "
                f"snapshots and misstate recovery points). Raise reconcile_lambda_timeout (at most 900 s) or "
                f"narrow the source filter"
            )
        self.pages += 1


@dataclass(slots=True)  # not frozen: _follow_copies gives a copy its origin's time
class _Listed:
    """A source snapshot as its listing leaves it for survey (RDS's dicts are dropped page by page)."""

    arn: str
    source: str
    snapshot_type: str
    data_time: datetime | None  # its own (snapshot_time.data_time), then its origin's (_follow_copies)
    available: bool
    created: datetime | None = None  # SnapshotCreateTime, kept only where it differs from data_time
    copied_from: str | None = None  # an in-region cluster snapshot copy's SourceDBClusterSnapshotArn


@dataclass(slots=True)
class _Copies:
    """One kind of this deployment's copies (OURS or LEGACY) in the destination."""

    tags: set[str] = field(default_factory=set)  # their source-ARN tags, any status but BROKEN_STATUSES
    # Per source identifier: OURS in progress, LEGACY (any status), broken (OURS or LEGACY).
    in_progress: Counter[str] = field(default_factory=Counter)
    legacy: Counter[str] = field(default_factory=Counter)
    broken: Counter[str] = field(default_factory=Counter)
    newest: dict[str, Any] = field(default_factory=dict)  # source identifier -> its newest available OURS copy


_LiveSources = list[tuple[str, datetime | None, Decision]]  # (identifier, created, the filter's decision)


def enabled_snapshot_types(enabled_event_ids: frozenset[str]) -> dict[str, set[str]]:
    """{kind: the snapshot types whose created-event is enabled} (only those are enqueued)."""
    types: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for (kind, snapshot_type), event_id in CREATED_EVENT_IDS.items():
        if event_id in enabled_event_ids:
            types[kind].add(snapshot_type)
    return types


def _live_sources(config: ReconcileConfig, rds: Any, kind: str, check: _Deadline) -> _LiveSources:
    """The live databases (or clusters) of `kind` and the filter's decision on each, by their TagList."""
    operation, answer_key, id_key, created_key = _SOURCE_DESCRIBES[kind]
    found: _LiveSources = []
    for source in described(rds, operation, answer_key, before_page=lambda: check(f"the source's {operation}")):
        if kind == "db":
            # An Aurora (or Multi-AZ cluster) member's snapshots are its cluster's; a replica without
            # backups has no snapshots of its own.
            if source.get("DBClusterIdentifier"):
                continue
            if source.get("ReadReplicaSourceDBInstanceIdentifier") and not source.get("BackupRetentionPeriod"):
                continue
        identifier = source[id_key]
        tags = {t["Key"]: t.get("Value", "") for t in source.get("TagList") or ()}
        created = source.get(created_key)
        decision = config.source_filter.decide(identifier, tags)
        found.append((identifier, created if isinstance(created, datetime) else None, decision))
    return found


def _our_copies(config: ReconcileConfig, rds: Any, kind: str, check: _Deadline) -> _Copies:
    """This deployment's copies of `kind` in the destination (ownership.classify with config.owner, OURS or
    LEGACY; the rest is skipped): their tags, those in progress, legacy or broken, the newest OURS."""
    table = KINDS[kind]
    answer = _Copies()
    newest = NewestCopies(kind)
    listing = pages(
        rds, kind, before_page=lambda: check(f"the destination's {table.describe_operation}"), SnapshotType="manual"
    )
    for snapshot in listing:
        owned = classify(snapshot, kind, config.owner)
        tag = source_tag(snapshot)
        if owned == FOREIGN or tag is None:
            continue
        source, status = snapshot.get(table.source_identifier_key) or "", snapshot.get("Status")
        if owned == LEGACY:
            answer.legacy[source] += 1
        if status in BROKEN_STATUSES:
            answer.broken[source] += 1
            continue
        answer.tags.add(tag)
        if owned == LEGACY:
            continue
        if status in IN_PROGRESS_STATUSES:
            answer.in_progress[source] += 1
        newest.offer(snapshot)
    answer.newest = newest.by_source
    return answer


def _source_snapshots(rds: Any, kind: str, check: _Deadline) -> list[_Listed]:
    """Every source snapshot of `kind`, as a _Listed (one string per source and type) with its data time."""
    table = KINDS[kind]
    names: dict[str, str] = {}
    listed: list[_Listed] = []
    copies = False
    for raw in pages(rds, kind, before_page=lambda: check(f"the source's {table.describe_operation}")):
        created = raw.get("SnapshotCreateTime")
        created = created if isinstance(created, datetime) else None
        taken = data_time(raw, kind)
        source = raw.get(table.source_identifier_key) or ""
        snapshot_type = raw.get("SnapshotType") or ""
        copied_from = raw.get(COPIED_FROM_KEY) or None
        copies = copies or copied_from is not None
        listed.append(
            _Listed(
                raw[table.arn_key],
                names.setdefault(source, source),
                names.setdefault(snapshot_type, snapshot_type),
                taken,
                raw.get("Status") == AVAILABLE,
                None if created == taken else created,
                copied_from,
            )
        )
    if copies:
        _follow_copies(listed, kind)
    return listed


def _follow_copies(listed: list[_Listed], kind: str) -> None:
    """Give each in-region copy its origin's data time (snapshot_time.source_data_time), found in `listed`.

    Every data time is first the snapshot's own; an origin that is not listed (shared from another account,
    deleted) ends the chain there."""
    by_arn = {snapshot.arn: snapshot for snapshot in listed}

    def view(snapshot: _Listed) -> dict[str, Any]:
        # What source_data_time reads: a time (every kind has SnapshotCreateTime) and the link.
        return {"SnapshotCreateTime": snapshot.data_time, COPIED_FROM_KEY: snapshot.copied_from}

    def lookup(arn: str) -> dict[str, Any] | None:
        origin = by_arn.get(arn)
        return None if origin is None else view(origin)

    # Resolved from their own times only (all first, then assigned): the order of the listing cannot matter.
    resolved = [(s, source_data_time(view(s), kind, lookup)) for s in listed if s.copied_from is not None]
    for snapshot, taken in resolved:
        if snapshot.created is None:
            snapshot.created = snapshot.data_time  # it no longer equals the data time
        snapshot.data_time = taken


def _selected(config: ReconcileConfig, kind: str, source: str, decisions: dict[tuple[str, str], Decision]) -> bool:
    """A live source decided in _live_sources; one that is gone is judged by its identifier with no tags."""
    decision = decisions.get((kind, source))
    if decision is None:
        decision = decisions[(kind, source)] = config.source_filter.decide(source, {})
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
        state = result.sources.get((snapshot.kind, snapshot.source))
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


def reconcile(
    config: ReconcileConfig,
    clients: Clients,
    now: datetime,
    *,
    window_days: float | None = None,
    dry_run: bool = False,
    origin: str = "reconciler",
    progress: Callable[[int, int], None] | None = None,
    seconds_left: Callable[[], float] = lambda: math.inf,
    clock: Callable[[], float] = time.time,
    function_name: str = "reconcile_snapshots",
    publish_metrics: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
    run_listings: Runner | None = None,
) -> dict[str, Any]:
    """survey(), then enqueue the candidates (unless `dry_run`), record them, publish the metrics.

    `origin` ("reconciler" or "backfill") goes on each message (MessageAttribute `origin`) and on each table
    item (`by`). Metrics are published when `publish_metrics`, which defaults to: origin is "reconciler" and
    not a dry run (a workstation's backfill must not feed the function's alarms). `progress(done, total)` is
    called before the first and after every SendMessageBatch. Sending stops, `incomplete` True, when
    `seconds_left()` drops under TIME_MARGIN_SECONDS (the next run sends the rest). When it drops under that
    during the listings, survey() raises ReconcileOutOfTimeError: nothing sent, no metric published (the
    function's errors alarm and its missing-data-breaching RPO alarm see it). `sleep` paces the copy
    requests table's retries; `run_listings` runs survey()'s listings (None: in_threads).

    Returns {"enqueued": [source snapshot ARNs sent, or in a dry run those that would be],
    "sources": [SourceState.entry ...], "dry_run", "origin", "window_days" (None: all), "candidates",
    "already_copied", "legacy_copies" (0.4.x copies: adopt them), "broken_copies" (in BROKEN_STATUSES),
    "skipped": {code: count}, "failed": ["ARN: code"], "unrecorded" (table writes missed),
    "incomplete", "metrics": {name: value}}; with config.drill_max_age_days and clients.cloudwatch, "metrics"
    also holds DaysSinceLastDrill (drill_age.NO_DRILL_DAYS when none is on record; left out when it could not
    be read, which is logged and fails nothing). Raises ReconcileFailedError (after the metrics, with that
    result as its `result`) when any candidate could not be sent.
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
    found = survey(
        config, clients, now, window_days=window_days, seconds_left=seconds_left, sleep=sleep, run_listings=run_listings
    )
    candidates = found.candidates
    enqueued: list[str] = []
    failed: list[str] = []
    incomplete = False
    unrecorded = 0
    if progress is not None:
        progress(0, len(candidates))
    if dry_run:
        enqueued = [snapshot.arn for snapshot in candidates]
        if progress is not None:
            progress(len(candidates), len(candidates))
    else:
        for start in range(0, len(candidates), SEND_BATCH_LIMIT):
            if seconds_left() < TIME_MARGIN_SECONDS:
                incomplete = True
                break
            batch = candidates[start : start + SEND_BATCH_LIMIT]
            sent, errors = _send(clients.sqs, config.copy_queue_url, batch, now, origin)
            enqueued.extend(sent)
            failed.extend(errors)
            if progress is not None:
                progress(min(start + SEND_BATCH_LIMIT, len(candidates)), len(candidates))
        unrecorded = _record(config, clients, enqueued, clock(), origin, sleep)

    values = _metric_values(found, len(enqueued) if not dry_run else 0)
    days = _days_since_last_drill(config, clients, now, seconds_left)
    if days is not None:
        values[metrics.DAYS_SINCE_LAST_DRILL] = days
    if publish_metrics if publish_metrics is not None else (origin == "reconciler" and not dry_run):
        _publish(config, function_name, found, values, clock)
    result = {
        "enqueued": enqueued,
        "sources": found.entries(),
        "dry_run": dry_run,
        "origin": origin,
        "window_days": found.window_days if math.isfinite(found.window_days) else None,
        "candidates": len(candidates),
        "already_copied": found.copied,
        "legacy_copies": found.legacy,
        "broken_copies": found.broken,
        "skipped": found.skipped_counts(),
        "failed": failed,
        "unrecorded": unrecorded,
        "incomplete": incomplete,
        "metrics": values,
    }
    logger.info(
        f"{'would enqueue' if dry_run else 'enqueued'} {len(enqueued)} of {len(candidates)} snapshot(s) without a "
        f"copy; {values[metrics.SOURCES_PAST_RPO]} of {values[metrics.SOURCES_RECONCILED]} source(s) past the RPO",
        extra={k: result[k] for k in ("candidates", "already_copied", "skipped", "incomplete", "origin", "dry_run")},
    )
    if incomplete:
        logger.warning("stopped before the timeout; the next run sends the rest", extra={"sent": len(enqueued)})
    for count, what in (
        (found.broken, f"{' or '.join(sorted(BROKEN_STATUSES))} (their snapshots are enqueued again)"),
        (found.legacy, "made by 0.4.x (never a recovery point until `rds-snapshot-copy adopt` tags them)"),
    ):
        if count:
            logger.warning(f"copies of this deployment {what}: {count}", extra={"copies": count})
    if failed:
        raise ReconcileFailedError(
            f"{len(failed)} snapshot(s) could not be enqueued: {'; '.join(failed[:20])}", result=result
        )
    return result


def _send(sqs: Any, queue_url: str, batch: list[Snapshot], now: datetime, origin: str) -> tuple[list[str], list[str]]:
    """One SendMessageBatch: (ARNs sent, ["ARN: code"] not sent)."""
    entries = [
        {
            "Id": str(index),
            "MessageBody": json.dumps(snapshot_created_event(s.arn, s.kind, s.snapshot_type, s.created, now)),
            "MessageAttributes": {"origin": {"DataType": "String", "StringValue": origin}},
        }
        for index, s in enumerate(batch)
    ]
    try:
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        logger.error(f"could not send {len(batch)} message(s): {exc}", extra={"code": code})
        return [], [f"{s.arn}: {code}" for s in batch]
    except BotoCoreError as exc:
        logger.error(f"could not send {len(batch)} message(s): {exc}", extra={"code": type(exc).__name__})
        return [], [f"{s.arn}: {type(exc).__name__}" for s in batch]
    sent = [batch[int(ok["Id"])].arn for ok in answer.get("Successful", [])]
    errors = []
    for bad in answer.get("Failed", []):
        arn = batch[int(bad["Id"])].arn
        errors.append(f"{arn}: {bad.get('Code', 'Unknown')}")
        logger.error(f"could not enqueue {arn}: {bad.get('Code')}: {bad.get('Message', '')}", extra={"arn": arn})
    return sent, errors


def _record(
    config: ReconcileConfig,
    clients: Clients,
    arns: list[str],
    epoch: float,
    origin: str,
    sleep: Callable[[float], None],
) -> int:
    """Record the sent snapshots in the table; how many were not (logged, never raised: a miss costs a duplicate)."""
    if not arns or not config.requests_table or clients.dynamodb is None:
        return 0
    requests = [copy_requests.Request(arn, "enqueued", epoch, origin) for arn in arns]
    try:
        unwritten = copy_requests.write(
            clients.dynamodb, config.requests_table, requests, config.rerequest_after_hours * 3600, sleep=sleep
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning(f"could not record {len(arns)} request(s) in {config.requests_table}: {exc}")
        return len(arns)
    if unwritten:
        logger.warning(f"{unwritten} request(s) not recorded in {config.requests_table} (unprocessed)")
    return unwritten


def _days_since_last_drill(
    config: ReconcileConfig, clients: Clients, now: datetime, seconds_left: Callable[[], float]
) -> float | None:
    """DaysSinceLastDrill's value; None when there is no check, no time left or no answer (drill_age.published)."""
    if config.drill_max_age_days is None or clients.cloudwatch is None:
        return None
    if seconds_left() < TIME_MARGIN_SECONDS:
        logger.error("no time left to read the last drill's time; DaysSinceLastDrill not published this run")
        return None
    return drill_age.published(
        clients.cloudwatch,
        config.metric_namespace,
        config.source_region,
        config.destination_region,
        config.drill_max_age_days,
        now,
    )


def _metric_values(found: Survey, enqueued: int) -> dict[str, float]:
    states = found.sources.values()
    return {
        metrics.RECOVERY_POINT_AGE_WORST: round(
            max((s.metric_age_hours(found.now, found.rpo_hours) for s in states), default=0.0), 3
        ),
        metrics.SOURCES_PAST_RPO: sum(1 for s in states if s.past_rpo(found.now, found.rpo_hours)),
        metrics.SNAPSHOTS_ENQUEUED: enqueued,
        metrics.SOURCES_RECONCILED: len(found.sources),
        BROKEN_COPIES: found.broken,
    }


def _publish(
    config: ReconcileConfig,
    function_name: str,
    found: Survey,
    values: dict[str, float],
    clock: Callable[[], float],
) -> None:
    # CloudWatch has no hour or day unit
    hours = {metrics.RECOVERY_POINT_AGE_WORST: "None", metrics.DAYS_SINCE_LAST_DRILL: "None"}
    metrics.put(
        metrics.emf_record(config.metric_namespace, {"FunctionName": function_name}, values, units=hours, clock=clock)
    )
    if not config.per_source_metrics:
        return
    for state in found.sources.values():
        dimensions = {"FunctionName": function_name, "SnapshotKind": state.kind, "SourceIdentifier": state.source}
        age = round(state.metric_age_hours(found.now, found.rpo_hours), 3)
        metrics.put(
            metrics.emf_record(
                config.metric_namespace,
                dimensions,
                {metrics.RECOVERY_POINT_AGE: age},
                units={metrics.RECOVERY_POINT_AGE: "None"},
                clock=clock,
            )
        )


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _iso(when: datetime | None) -> str | None:
    return None if when is None else (when.astimezone(UTC) if when.tzinfo else when).isoformat()
