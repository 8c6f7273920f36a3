"""Reading snapshots, page by page, and recognising the copies this module made.

A region can hold thousands of snapshots; every listing pages through all of them (100 a call, RDS's
largest page). A snapshot carrying the source-ARN tag the copier puts on every copy is a copy; whose copy
it is (this deployment's, a 0.4.x one, another's) is ownership.classify's to say, never the tag's alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .kinds import KINDS
from .ownership import Owner, classify
from .sources import source_key
from .tagging import TAG_DEPLOYMENT, TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN, tag_value

AVAILABLE = "available"
# The states a copy passes through before it is `available`.
IN_PROGRESS_STATUSES = frozenset({"pending", "creating", "copying"})
# States a copy never leaves for `available`: as good as no copy (a recovery point, a keep slot or a reason
# not to copy again it is not).
BROKEN_STATUSES = frozenset({"failed", "incompatible-restore"})
DELETING = "deleting"
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


@dataclass(frozen=True, slots=True)
class Copy:
    """A destination snapshot as the copier judges one: whose it is, of what, and in which state.

    `ownership` is ownership.classify's OURS, LEGACY or FOREIGN; `source` the source-ARN tag (None: not a
    copy at all); `deployment` and `source_region` the tags, kept to say whose a FOREIGN copy is."""

    source: str | None
    status: str
    ownership: str
    deployment: str | None = None
    source_region: str | None = None
    # What makes it an incremental base for a next copy (incremental.py): its key and (account, database).
    kms_key_id: str | None = None
    source_key: tuple[str, str] | None = None


def judged(snapshot: Mapping[str, Any], kind: str, owner: Owner) -> Copy:
    """The Copy of one described destination snapshot (with its TagList)."""
    tags = snapshot.get("TagList")
    return Copy(
        source=tag_value(tags, TAG_SOURCE_SNAPSHOT_ARN),
        status=str(snapshot.get("Status") or "unknown"),
        ownership=classify(snapshot, kind, owner),
        deployment=tag_value(tags, TAG_DEPLOYMENT),
        source_region=tag_value(tags, TAG_SOURCE_REGION),
        kms_key_id=snapshot.get("KmsKeyId"),
        source_key=source_key(snapshot, kind),
    )


def statuses(rds: Any, kind: str, identifiers: set[str]) -> dict[str, str]:
    """The status of each of these snapshots that still exists (one call for up to PAGE_SIZE of them)."""
    table = KINDS[kind]
    return {
        snapshot[table.identifier_key]: str(snapshot.get("Status") or "unknown")
        for snapshot in pages(rds, kind, Filters=[{"Name": table.identifier_filter, "Values": sorted(identifiers)}])
    }
