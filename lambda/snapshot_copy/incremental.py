"""Whether a cross-region copy about to start can be incremental: full copies counted, and avoided.

RDS copies a DB snapshot to another region incrementally only when a previous copy of the same source
database, encrypted with the same KMS key, is still available in the destination; otherwise the copy is a
full one, every allocated byte across regions. Aurora (cluster) cross-region copies are always full.

The copier calls `incremental_base` right before a copy, with the destination's snapshots it has already
listed, records the answer on the copy (tag TAG_INCREMENTAL_BASE, "true" or "false") and counts it (metric
FULL_COPIES or INCREMENTAL_COPIES, `metric_name`). The pruner's side of the rule is retention.py's: it never
deletes the newest available copy of a source while a copy of it is in progress, nor the keep_last newest.

Any available snapshot of the source under the key counts as a base, whoever made it: RDS does not ask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .sources import SourceKey, source_key
from .tagging import TAG_INCREMENTAL_BASE

AVAILABLE = "available"
# The tag on each copy (copy_tags.json): whether an incremental base was present when the copy started.
__all__ = ["TAG_INCREMENTAL_BASE", "incremental_base", "incremental_base_among", "metric_name", "tag"]
# The copier's metrics, dimensions {FunctionName} (and SnapshotKind where it publishes per kind).
FULL_COPIES = "FullCopies"
INCREMENTAL_COPIES = "IncrementalCopies"


def incremental_base(
    listing: Iterable[Mapping[str, Any]],
    kind: str,
    source: SourceKey,
    kms_key_id: str | None,
) -> bool:
    """Whether `listing` (the destination's snapshots of `kind` as RDS describes them) holds an available
    snapshot of `source` (sources.source_key's (account, database) of the snapshot being copied) encrypted
    with `kms_key_id`, the key the copy is made with (an ARN or a key ID; None: an unencrypted copy, whose
    base must be unencrypted too). Always False for a cluster snapshot: Aurora copies across regions in full."""
    if kind != "db":
        return False
    wanted = _key_id(kms_key_id)
    return any(
        snapshot.get("Status") == AVAILABLE
        and source_key(snapshot, kind) == source
        and _key_id(snapshot.get("KmsKeyId")) == wanted
        for snapshot in listing
    )


def incremental_base_among(copies: Iterable[Any], kind: str, source: SourceKey, kms_key_id: str | None) -> bool:
    """`incremental_base` over the copier's own listing (listing.Copy: status, kms_key_id, source_key)."""
    if kind != "db":
        return False
    wanted = _key_id(kms_key_id)
    return any(
        copy.status == AVAILABLE and copy.source_key == source and _key_id(copy.kms_key_id) == wanted for copy in copies
    )


def tag(base: bool) -> dict[str, str]:
    """The tag the copier puts on the copy (a TagList entry)."""
    return {"Key": TAG_INCREMENTAL_BASE, "Value": "true" if base else "false"}


def metric_name(base: bool) -> str:
    return INCREMENTAL_COPIES if base else FULL_COPIES


def _key_id(key: str | None) -> str | None:
    """A key ARN (arn:aws:kms:region:account:key/ID) and its bare ID name the same key. An alias is compared
    as written: it cannot be resolved here, so at worst a copy is counted full that was incremental."""
    if not key:
        return None
    return key.rsplit(":key/", 1)[-1] if ":key/" in key else key
