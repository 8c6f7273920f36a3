"""The survey's six listings (survey.py): the live sources, this deployment's copies and the source snapshots,
of each kind, read at once under one deadline, each kept as small as the survey needs.

Memory: a source snapshot is kept as a `ListedSnapshot` (seven slots, its source's and type's strings shared,
its SnapshotCreateTime only when it differs from its data time), never as RDS's dict, until the copies are
known; a copy as its source-ARN tag; only the newest copy of each source is kept whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from .errors import SnapshotCopyError
from .filters import Decision
from .kinds import KINDS
from .listing import AVAILABLE, BROKEN_STATUSES, IN_PROGRESS_STATUSES, described, pages, source_tag
from .ownership import FOREIGN, LEGACY, Owner, classify
from .recovery import NewestCopies
from .snapshot_time import COPIED_FROM_KEY, chain_data_times, data_time
from .sources import source_account
from .tagging import arn_account

T = TypeVar("T")
# Runs survey()'s independent listings: the jobs' answers, in their order (in_threads, in_turn, or a
# simulator's own).
Runner = Callable[[Sequence[Callable[[], Any]]], list[Any]]

# Stop listing (an error) or sending (the next run sends the rest) this long before the function's timeout.
TIME_MARGIN_SECONDS = 30

_SOURCE_DESCRIBES = {
    "db": ("describe_db_instances", "DBInstances", "DBInstanceIdentifier", "InstanceCreateTime"),
    "cluster": ("describe_db_clusters", "DBClusters", "DBClusterIdentifier", "ClusterCreateTime"),
}


class ReconcileOutOfTimeError(SnapshotCopyError):
    """The listings did not end TIME_MARGIN_SECONDS before the function's timeout; nothing was sent."""

    code = "ReconcileOutOfTime"


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


class Deadline:
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
                f"snapshots and misstate recovery points). Raise reconciler_timeout (at most 900 s) or "
                f"narrow the source filter"
            )
        self.pages += 1


@dataclass(slots=True)  # not frozen: an in-region copy is given its origin's time once the listing is read
class ListedSnapshot:
    """A source snapshot as its listing leaves it for survey (RDS's dicts are dropped page by page)."""

    arn: str
    source: str
    snapshot_type: str
    data_time: datetime | None  # its own (snapshot_time.data_time), then its origin's (chain_data_times)
    available: bool
    created: datetime | None = None  # SnapshotCreateTime, kept only where it differs from data_time
    copied_from: str | None = None  # an in-region cluster snapshot copy's SourceDBClusterSnapshotArn
    account: str | None = None  # its account in backup-account mode (None: single-account mode)


# A source in the survey: (account, database or cluster identifier); the account is None in single-account
# mode (every source is this account's) and the source's account in backup-account mode (sources.source_key).
Key = tuple[str | None, str]


@dataclass(slots=True)
class DeploymentCopies:
    """One kind of this deployment's copies (OURS or LEGACY) in the destination."""

    tags: set[str] = field(default_factory=set)  # their source-ARN tags, any status but BROKEN_STATUSES
    # Per source Key: OURS in progress, LEGACY (any status), broken (OURS or LEGACY).
    in_progress: Counter[Key] = field(default_factory=Counter)
    legacy: Counter[Key] = field(default_factory=Counter)
    broken: Counter[Key] = field(default_factory=Counter)
    newest: dict[Key, Any] = field(default_factory=dict)  # source Key -> its newest available OURS copy


LiveSources = list[tuple[str, datetime | None, Decision]]  # (identifier, created, the filter's decision)


def live_sources(
    decide: Callable[[str, dict[str, str]], Decision], rds: Any, kind: str, check: Deadline
) -> LiveSources:
    """The live databases (or clusters) of `kind` and the filter's decision on each (`decide(identifier, tags)`,
    the source filter's), by their TagList."""
    operation, answer_key, id_key, created_key = _SOURCE_DESCRIBES[kind]
    found: LiveSources = []
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
        decision = decide(identifier, tags)
        found.append((identifier, created if isinstance(created, datetime) else None, decision))
    return found


def our_copies(owner: Owner, rds: Any, kind: str, check: Deadline, by_account: bool = False) -> DeploymentCopies:
    """This deployment's copies of `kind` in the destination (ownership.classify with `owner`, OURS or
    LEGACY; the rest is skipped): their tags, those in progress, legacy or broken, the newest OURS; per source
    Key, whose account is the copy's source account (sources.source_key) when `by_account`, else None."""
    table = KINDS[kind]
    answer = DeploymentCopies()
    newest: dict[str | None, NewestCopies] = {}
    listing = pages(
        rds, kind, before_page=lambda: check(f"the destination's {table.describe_operation}"), SnapshotType="manual"
    )
    for snapshot in listing:
        owned = classify(snapshot, kind, owner)
        tag = source_tag(snapshot)
        if owned == FOREIGN or tag is None:
            continue
        account = source_account(snapshot, kind) if by_account else None
        source, status = snapshot.get(table.source_identifier_key) or "", snapshot.get("Status")
        key = (account, source)
        if owned == LEGACY:
            answer.legacy[key] += 1
        if status in BROKEN_STATUSES:
            answer.broken[key] += 1
            continue
        answer.tags.add(tag)
        if owned == LEGACY:
            continue
        if status in IN_PROGRESS_STATUSES:
            answer.in_progress[key] += 1
        newest.setdefault(account, NewestCopies(kind)).offer(snapshot)
    answer.newest = {(account, source): copy for account, n in newest.items() for source, copy in n.by_source.items()}
    return answer


def source_snapshots(
    rds: Any, kind: str, check: Deadline, shared: bool = False, account: str | None = None
) -> list[ListedSnapshot]:
    """Every source snapshot of `kind`, as a ListedSnapshot (one string per source and type) with its data
    time; an in-region cluster snapshot copy's is its origin's, where the listing holds the origin.

    `shared`: the snapshots other accounts share with this one instead (IncludeShared, SnapshotType "shared"),
    each with its account (its ARN's) and, as only manual snapshots can be shared, type "manual" (RDS may call
    it "shared"). Else this account's own, with `account` (None in single-account mode)."""
    table = KINDS[kind]
    names: dict[str, str] = {}
    listed: list[ListedSnapshot] = []
    copies = False
    options: dict[str, Any] = {"IncludeShared": True, "SnapshotType": "shared"} if shared else {}
    what = "shared snapshots" if shared else "source"
    for raw in pages(rds, kind, before_page=lambda: check(f"the {what}' {table.describe_operation}"), **options):
        created = raw.get("SnapshotCreateTime")
        created = created if isinstance(created, datetime) else None
        taken = data_time(raw, kind)
        source = raw.get(table.source_identifier_key) or ""
        snapshot_type = "manual" if shared else raw.get("SnapshotType") or ""
        copied_from = raw.get(COPIED_FROM_KEY) or None
        owner = arn_account(raw[table.arn_key]) if shared else account
        copies = copies or copied_from is not None
        listed.append(
            ListedSnapshot(
                raw[table.arn_key],
                names.setdefault(source, source),
                names.setdefault(snapshot_type, snapshot_type),
                taken,
                raw.get("Status") == AVAILABLE,
                None if created == taken else created,
                copied_from,
                None if owner is None else names.setdefault(owner, owner),
            )
        )
    if copies:
        # Resolved from their own times only (all first, then assigned): the listing's order cannot matter.
        for snapshot, taken in chain_data_times(listed, kind):
            if snapshot.created is None:
                snapshot.created = snapshot.data_time  # it no longer equals the data time
            snapshot.data_time = taken
    return listed
