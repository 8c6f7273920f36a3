"""Which copy to restore: the newest available copy of a source that is this deployment's, or one named.

The deployment's own copies only (snapshot_copy.ownership: its deployment tag, source region tag and
identifier, never a tag alone), newest by when their data was taken (snapshot_copy.recovery, as for the
reconciler and `status`); when there is none, the refusal says why (in progress, 0.4.x copies to adopt,
another deployment's, an unknown database).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rds_snapshot_copy.restore.aws import Clients, RefusedError, error_code
from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import describe_one, pages
from snapshot_copy.ownership import FOREIGN, LEGACY, OURS, Owner, classify
from snapshot_copy.recovery import newest_copies, recovery_point
from snapshot_copy.tagging import TAG_DEPLOYMENT, tag_value


@dataclass(frozen=True)
class Located:
    kind: str
    source: str  # the source DB instance or cluster identifier
    copy: Mapping[str, Any]
    recovery_point: datetime | None

    @property
    def snapshot_arn(self) -> str:
        return str(self.copy[KINDS[self.kind].arn_key])

    @property
    def snapshot_identifier(self) -> str:
        return str(self.copy[KINDS[self.kind].identifier_key])


def copies_of(rds: Any, kind: str, source: str) -> list[dict[str, Any]]:
    """Every manual snapshot of `kind` in the destination whose data came from `source` (by name)."""
    return list(pages(rds, kind, SnapshotType="manual", **{KINDS[kind].source_identifier_key: source}))


def located(kind: str, source: str, copy: Mapping[str, Any]) -> Located:
    """A copy to restore, with its recovery point: when its data was taken (recovery.recovery_point)."""
    return Located(kind, source, copy, recovery_point(copy, kind))


def locate(
    clients: Clients,
    source: str,
    owner: Owner,
    kind: str | None = None,
    source_exists: Callable[[str], str | None] | None = None,
) -> Located:
    """The newest available copy of `source` that is `owner`'s; RefusedError saying why there is none."""
    found: dict[str, Mapping[str, Any]] = {}
    waiting: list[str] = []
    legacy: list[str] = []
    others: set[str] = set()  # other deployments whose copies of `source` are here
    for name in [kind] if kind else list(KINDS):
        snapshots = copies_of(clients.rds, name, source)
        newest = newest_copies(snapshots, name, owner).get(source)
        if newest is not None:
            found[name] = newest
        for snapshot in snapshots:
            identifier = snapshot[KINDS[name].identifier_key]
            verdict = classify(snapshot, name, owner)
            if verdict == OURS and snapshot.get("Status") != "available":
                waiting.append(f"{identifier} ({snapshot.get('Status')})")
            elif verdict == LEGACY:
                legacy.append(identifier)
            elif verdict == FOREIGN and (other := tag_value(snapshot.get("TagList"), TAG_DEPLOYMENT)):
                others.add(other)
    if len(found) > 1:
        raise RefusedError(
            [f"{source} names both a DB instance and an Aurora cluster with copies: say which with --kind db|cluster"]
        )
    if found:
        ((name, copy),) = found.items()
        return located(name, source, copy)
    whose = f"{source} from {owner.source_region} by deployment {owner.deployment}"
    hints = []
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
    elif legacy or others:
        problem = f"no available copy of {whose}"
    else:
        problem = (
            f"unknown database {source}: no copy of it from {owner.source_region} in the destination, and "
            f"{owner.source_region} has no DB instance or Aurora cluster of that name (or did not answer)"
        )
    raise RefusedError([problem, *hints])


def locate_snapshot(clients: Clients, snapshot: str, kind: str | None = None) -> Located:
    """A named copy (identifier or ARN) in the destination, of either kind."""
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
        return located(name, source, found)
    raise RefusedError([f"no DB snapshot or DB cluster snapshot named {snapshot} in the destination region"])
