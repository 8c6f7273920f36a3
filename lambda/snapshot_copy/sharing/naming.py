"""The share copy's identifier, and the rule that makes a share copy this deployment's ("ours").

A share copy is the manual copy the source side makes, in the source region, of a snapshot it cannot share as
it is (automated, or under a key the vaults cannot use). Its identifier is "share-" and the identifier the
vault's copier would give a copy of the original (naming.target_identifier), which ends with a digest of the
original's ARN; past the kind's length limit the name part is trimmed, never the digest, so two originals
never share a share copy and the rule below can recompute it. Ours = the deployment tag names this source
deployment AND the identifier is exactly share_copy_identifier(the source_snapshot_arn tag): a tag alone
proves nothing (ownership.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..kinds import KINDS
from ..naming import DIGEST_LENGTH, MAX_IDENTIFIER_LENGTH, target_identifier
from ..ownership import source_identifier_of
from ..tagging import TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_ARN, tag_value

SHARE_PREFIX = "share-"
# The digest target_identifier ends with, and its hyphen.
_SUFFIX_LENGTH = DIGEST_LENGTH + 1
# tagging.source_arn_tag_value's shortened ARN: its head, "..." and 16 hex digits of its digest.
_SHORTENED = re.compile(r"\.\.\.(?P<digest>[0-9a-f]{16})$")


def share_copy_identifier(source_identifier: str, source_arn: str, kind: str) -> str:
    """The identifier of the share copy of the snapshot `source_arn` (of `kind`), within RDS's limit."""
    target = target_identifier(source_identifier, source_arn, kind)
    name, suffix = target[:-_SUFFIX_LENGTH], target[-_SUFFIX_LENGTH:]
    room = MAX_IDENTIFIER_LENGTH[kind] - len(SHARE_PREFIX) - len(suffix)
    return SHARE_PREFIX + name[:room].rstrip("-") + suffix


def _matches(identifier: str, source_tag: str, kind: str) -> bool:
    """Whether `identifier` is the share copy identifier of the snapshot the source_snapshot_arn tag names."""
    if not identifier.startswith(SHARE_PREFIX):
        return False
    shortened = _SHORTENED.search(source_tag)
    if shortened:
        # The tag lost the ARN past RDS's 256-character value limit (tagging.source_arn_tag_value) but kept
        # its digest, whose head the identifier ends with.
        return identifier.endswith(f"-{shortened['digest'][:DIGEST_LENGTH]}")
    source_identifier = source_identifier_of(source_tag)
    return source_identifier is not None and identifier == share_copy_identifier(source_identifier, source_tag, kind)


def is_share_copy(snapshot: Mapping[str, Any], kind: str, deployment: str | None = None) -> bool:
    """Whether a described snapshot (with its TagList) is a share copy: of `deployment` when given (ours),
    of any source deployment when None (another deployment's share copy is never shared or touched)."""
    tags = snapshot.get("TagList")
    source_tag = tag_value(tags, TAG_SOURCE_SNAPSHOT_ARN)
    identifier = snapshot.get(KINDS[kind].identifier_key)
    if not source_tag or not isinstance(identifier, str) or not _matches(identifier, source_tag, kind):
        return False
    owner = tag_value(tags, TAG_DEPLOYMENT)
    return owner is not None if deployment is None else owner == deployment
