"""Reading snapshots, page by page, and recognising the copies this module made.

A region can hold thousands of snapshots; every listing pages through all of them (100 a call, RDS's
largest page). A copy is ours when it carries the source-ARN tag the copier puts on every copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .kinds import KINDS
from .tagging import TAG_SOURCE_SNAPSHOT_ARN, tag_value

# The states a copy passes through before it is `available`.
IN_PROGRESS_STATUSES = frozenset({"pending", "creating", "copying"})
PAGE_SIZE = 100


def pages(
    rds: Any, kind: str, *, before_page: Callable[[], None] | None = None, **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """Every snapshot of `kind` that the describe call with `kwargs` returns, across all pages."""
    table = KINDS[kind]
    return described(rds, table.describe_operation, table.answer_key, before_page=before_page, **kwargs)


def described(
    rds: Any, operation: str, answer_key: str, *, before_page: Callable[[], None] | None = None, **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """Every item of a Marker-paged RDS describe call (boto3 `operation`, e.g. describe_db_instances).

    `before_page()` is called before each call; what it raises stops the listing (the reconciler's deadline)."""
    marker: str | None = None
    while True:
        if before_page is not None:
            before_page()
        page = getattr(rds, operation)(**kwargs, MaxRecords=PAGE_SIZE, **({"Marker": marker} if marker else {}))
        yield from page.get(answer_key, [])
        marker = page.get("Marker")
        if not marker:
            return


def describe_one(rds: Any, kind: str, identifier: str) -> dict[str, Any] | None:
    """The snapshot of `kind` named `identifier` (an identifier or an ARN), or None when there is none."""
    table = KINDS[kind]
    found = getattr(rds, table.describe_operation)(**{table.identifier_key: identifier})[table.answer_key]
    return found[0] if found else None


def source_tag(snapshot: Mapping[str, Any]) -> str | None:
    """The source-ARN tag of one of our copies (None: not a copy this module made)."""
    return tag_value(snapshot.get("TagList"), TAG_SOURCE_SNAPSHOT_ARN)


def list_our_copies(rds: Any, kind: str) -> tuple[dict[str, str], set[str]]:
    """Our copies of `kind` in the destination: {identifier: source-ARN tag}, and those in progress."""
    id_key = KINDS[kind].identifier_key
    ours: dict[str, str] = {}
    in_progress: set[str] = set()
    for snapshot in pages(rds, kind, SnapshotType="manual"):
        source = source_tag(snapshot)
        if source is not None:
            ours[snapshot[id_key]] = source
            if snapshot.get("Status") in IN_PROGRESS_STATUSES:
                in_progress.add(snapshot[id_key])
    return ours, in_progress


def still_in_progress(rds: Any, kind: str, identifiers: set[str]) -> set[str]:
    """Which of these copies are still in progress (one call for up to PAGE_SIZE of them)."""
    table = KINDS[kind]
    return {
        snapshot[table.identifier_key]
        for snapshot in pages(rds, kind, Filters=[{"Name": table.identifier_filter, "Values": sorted(identifiers)}])
        if snapshot.get("Status") in IN_PROGRESS_STATUSES
    }
