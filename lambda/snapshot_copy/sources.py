"""Which source database a snapshot or a copy belongs to: the one grouping key of everything "per source".

In backup-account mode a vault holds copies of snapshots from several accounts, and two accounts may well
both run a database named `orders`: a recovery point, a retention slot, a missed snapshot or a `status` row
is therefore per (account, database), never per database alone. In single-account mode every key has this
account, so grouping by the key is grouping by the database, as before.

  source_key(snapshot, kind) -> (account, database)
      `snapshot` as RDS describes it (with its TagList where it is a copy). A copy of this module (it has the
      source_snapshot_arn tag): the account in that tag's ARN (which the copy's identifier proves; its
      source_account tag says the same, but nothing proves it). Any other snapshot (a source snapshot, one
      shared with the vault): the account in its own ARN. The database is the snapshot's DBInstanceIdentifier /
      DBClusterIdentifier, which RDS keeps on a copy and on a shared snapshot. "" where either is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .kinds import KINDS
from .tagging import TAG_SOURCE_ACCOUNT, TAG_SOURCE_SNAPSHOT_ARN, arn_account, tag_value

SourceKey = tuple[str, str]  # (account, database or cluster identifier)
_ACCOUNT = re.compile(r"^\d{12}$")


def source_account(snapshot: Mapping[str, Any], kind: str) -> str:
    """The account of the snapshot a copy was made of, or of the snapshot itself ("" when none is known)."""
    tags = snapshot.get("TagList")
    source_arn = tag_value(tags, TAG_SOURCE_SNAPSHOT_ARN)
    if source_arn is not None:
        # The ARN's account first: the copy's identifier proves that tag (ownership.py), nothing proves the
        # source_account tag, which anyone allowed to tag could change.
        account = arn_account(source_arn) or tag_value(tags, TAG_SOURCE_ACCOUNT)
        return account if account is not None and _ACCOUNT.match(account) else ""
    return arn_account(snapshot.get(KINDS[kind].arn_key)) or ""


def source_key(snapshot: Mapping[str, Any], kind: str) -> SourceKey:
    """(account, database) of a snapshot or a copy of `kind` ("db" or "cluster"), as the module docstring says."""
    database = snapshot.get(KINDS[kind].source_identifier_key)
    return source_account(snapshot, kind), database if isinstance(database, str) else ""
