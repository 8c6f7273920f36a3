"""Which copy to restore: the newest available copy of a source that is this deployment's, or one named.

The deployment's own copies only (snapshot_copy.ownership: its deployment tag, source region tag and
identifier, never a tag alone), newest by when their data was taken (snapshot_copy.recovery, as for the
reconciler and `status`); when there is none, the refusal says why (in progress, 0.4.x copies to adopt,
another deployment's, an unknown database).

A source is an (account, database) pair (snapshot_copy.sources.source_key): a vault (backup-account mode)
holds copies from several accounts, two of which may both run `orders`. The account is the one in the copy's
source ARN tag, which its identifier proves (never the source_account tag alone). A name whose copies come
from more than one account is refused without --source-account: restoring the newest of either would restore
whichever account's data happened to be newer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rds_snapshot_copy.restore.aws import Clients, RefusedError, error_code
from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import describe_one, pages
from snapshot_copy.ownership import FOREIGN, LEGACY, OURS, Owner, classify
from snapshot_copy.recovery import AVAILABLE, NewestCopies, recovery_point
from snapshot_copy.sources import SourceKey, source_account
from snapshot_copy.tagging import TAG_DEPLOYMENT, arn_account, tag_value


@dataclass(frozen=True)
class Located:
    kind: str
    source: str  # the source DB instance or cluster identifier
    copy: Mapping[str, Any]
    recovery_point: datetime | None
    account: str = ""  # the source's account (sources.source_account: the proven source ARN's); "" unknown

    @property
    def snapshot_arn(self) -> str:
        return str(self.copy[KINDS[self.kind].arn_key])

    @property
    def snapshot_identifier(self) -> str:
        return str(self.copy[KINDS[self.kind].identifier_key])

    @property
    def from_another_account(self) -> bool:
        """The source's account is not the account holding the copy (the caller's, which listed it): a vault's
        copy of another account's database (backup-account mode)."""
        return bool(self.account) and self.account != arn_account(self.copy.get(KINDS[self.kind].arn_key))

    @property
    def label(self) -> str:
        """The source as the operator knows it: its name, and its account when that is another account."""
        return f"{self.source} (account {self.account})" if self.from_another_account else self.source


def copies_of(rds: Any, kind: str, source: str) -> list[dict[str, Any]]:
    """Every manual snapshot of `kind` in the destination whose data came from `source` (by name)."""
    return list(pages(rds, kind, SnapshotType="manual", **{KINDS[kind].source_identifier_key: source}))


def located(kind: str, source: str, copy: Mapping[str, Any]) -> Located:
    """A copy to restore, with its recovery point (when its data was taken, recovery.recovery_point) and its
    source's account."""
    return Located(kind, source, copy, recovery_point(copy, kind), source_account(copy, kind))


def newest_by_source(
    snapshots: Iterable[Mapping[str, Any]], kind: str, owner: Owner
) -> dict[SourceKey, Mapping[str, Any]]:
    """{(account, database): its newest available copy that is `owner`'s}: recovery.newest_copies per account."""
    by_account: dict[str, NewestCopies] = {}
    for snapshot in snapshots:
        if snapshot.get("Status") == AVAILABLE and classify(snapshot, kind, owner) == OURS:
            by_account.setdefault(source_account(snapshot, kind), NewestCopies(kind)).offer(snapshot)
    return {
        (account, database): copy
        for account, newest in by_account.items()
        for database, copy in newest.by_source.items()
    }


def accounts_text(accounts: Iterable[str]) -> str:
    return ", ".join(sorted(a or "unknown" for a in accounts))


def locate(
    clients: Clients,
    source: str,
    owner: Owner,
    kind: str | None = None,
    source_exists: Callable[[str], str | None] | None = None,
    account: str | None = None,
) -> Located:
    """The newest available copy of `source` (of `account`, when given) that is `owner`'s; RefusedError saying
    why there is none, or that the name's copies come from several accounts and `account` is needed.
    `source_exists` looks the name up in the source region (None: not asked, e.g. another account's)."""
    found: dict[tuple[str, str], Mapping[str, Any]] = {}  # (kind, account) -> the newest available copy
    accounts: set[str] = set()  # the accounts of this deployment's copies of `source`, in any state
    elsewhere: set[str] = set()  # with `account`: the other accounts whose copies of `source` are ours
    waiting: list[str] = []
    legacy: list[str] = []
    others: set[str] = set()  # other deployments whose copies of `source` are here
    for name in [kind] if kind else list(KINDS):
        snapshots = copies_of(clients.rds, name, source)
        for (whose, database), newest in newest_by_source(snapshots, name, owner).items():
            if database == source and (account is None or whose == account):
                found[(name, whose)] = newest
        for snapshot in snapshots:
            identifier = snapshot[KINDS[name].identifier_key]
            verdict = classify(snapshot, name, owner)
            whose = source_account(snapshot, name)
            if verdict == OURS:
                accounts.add(whose)
            if account is not None and whose != account:
                if verdict == OURS:
                    elsewhere.add(whose)
                continue
            if verdict == OURS and snapshot.get("Status") != AVAILABLE:
                waiting.append(f"{identifier} ({snapshot.get('Status')})")
            elif verdict == LEGACY:
                legacy.append(identifier)
            elif verdict == FOREIGN and (other := tag_value(snapshot.get("TagList"), TAG_DEPLOYMENT)):
                others.add(other)
    if account is None and len(accounts) > 1:
        raise RefusedError(
            [
                f"{source}: this deployment has copies of it from {len(accounts)} source accounts "
                f"({accounts_text(accounts)}): say whose to restore with --source-account ACCOUNT"
            ]
        )
    # One account from here on (refused above, or given): more than one found is both kinds of one name.
    if len(found) > 1:
        raise RefusedError(
            [f"{source} names both a DB instance and an Aurora cluster with copies: say which with --kind db|cluster"]
        )
    if found:
        (((name, _), copy),) = found.items()
        return located(name, source, copy)
    of_account = f" of account {account}" if account is not None else ""
    whose = f"{source}{of_account} from {owner.source_region} by deployment {owner.deployment}"
    hints = []
    if elsewhere:
        hints.append(
            f"this deployment's copies of {source} come from account(s) {accounts_text(elsewhere)}: is "
            "--source-account right?"
        )
    if legacy:
        hints.append(
            f"{len(legacy)} copy(ies) of it made by 0.4.x carry no deployment tag ({', '.join(sorted(legacy))}): "
            "`rds-snapshot-copy adopt` makes them this deployment's, or restore one by name with --snapshot"
        )
    if others:
        hints.append(
            f"copies of it by deployment(s) {', '.join(sorted(others))} are there: is --deployment (or --function) "
            "the right deployment?"
        )
    if waiting:
        problem = f"no available copy of {whose}: none of its copies is available yet: " + ", ".join(waiting)
    elif (live := source_exists(source) if source_exists else None) is not None:
        problem = (
            f"no available copy of {whose}: the {live} exists in {owner.source_region} but has no copy in the "
            "destination yet (is it covered by the module's filters?)"
        )
    elif legacy or others or elsewhere:
        problem = f"no available copy of {whose}"
    elif source_exists is None:
        problem = (
            f"unknown database {source}: no copy of it{of_account} from {owner.source_region} in the destination "
            "(the source region was not asked: the source is in another account)"
        )
    else:
        problem = (
            f"unknown database {source}: no copy of it{of_account} from {owner.source_region} in the destination, "
            f"and {owner.source_region} has no DB instance or Aurora cluster of that name (or did not answer)"
        )
    raise RefusedError([problem, *hints])


def locate_snapshot(clients: Clients, snapshot: str, kind: str | None = None, account: str | None = None) -> Located:
    """A named copy (identifier or ARN) in the destination, of either kind (a copy of `account`'s source, when
    given)."""
    for name in [kind] if kind else list(KINDS):
        try:
            found = describe_one(clients.rds, name, snapshot)
        except ClientError as exc:
            if error_code(exc) in {"DBSnapshotNotFound", "DBClusterSnapshotNotFoundFault"}:
                continue
            raise
        if found is None:
            continue
        if found.get("Status") != "available":
            raise RefusedError(
                [f"snapshot {snapshot} is {found.get('Status')}, not available: it cannot be restored yet"]
            )
        source = found.get(KINDS[name].source_identifier_key) or snapshot
        chosen = located(name, source, found)
        if account is not None and chosen.account != account:
            raise RefusedError(
                [f"--snapshot {snapshot} is a copy from account {chosen.account or 'unknown'}, not {account}"]
            )
        return chosen
    raise RefusedError([f"no DB snapshot or DB cluster snapshot named {snapshot} in the destination region"])
