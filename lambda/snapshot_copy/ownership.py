"""Which snapshots in the destination are this deployment's copies: the one rule every function and command
applies before it touches, counts or restores a copy.

A copy is this deployment's ("ours") only when all three hold:
- its deployment tag names this deployment (DEPLOYMENT_NAME, the module's `name`);
- its source_region tag is this deployment's source region;
- its identifier is exactly the one the copier gives a copy of the source ARN in its source_snapshot_arn tag
  (naming.target_identifier).
Tags can be copied (CopyTags=True carries all of them onto an operator's own copy) or written by anyone
allowed to tag; the identifier is the second guard: a copy kept under another name is never ours, and two
deployments sharing a source region only ever see their own identity.

Copies made by 0.4.x carry no deployment tag. One whose source_region and identifier match is `LEGACY`:
never deleted, never a recovery point; `status` lists them and `rds-snapshot-copy adopt` tags them as this
deployment's once an operator says they are (docs/ownership-and-time.md, "Upgrading from 0.4").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .kinds import KINDS
from .naming import DIGEST_LENGTH, target_identifier
from .tagging import TAG_DEPLOYMENT, TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN, tag_value

OURS = "ours"
LEGACY = "legacy"  # a 0.4.x copy that would be ours but for the deployment tag
FOREIGN = "foreign"  # everything else: never touched

# A source-ARN tag shortened past RDS's 256-character limit ends with "..." and 16 hex digits of its digest
# (tagging.source_arn_tag_value); the target identifier ends with the first DIGEST_LENGTH of the same digest.
_SHORTENED = re.compile(r"\.\.\.(?P<digest>[0-9a-f]{16})$")


@dataclass(frozen=True)
class Owner:
    """This deployment: its name and the source region it copies from."""

    deployment: str
    source_region: str


def source_identifier_of(source_arn: str) -> str | None:
    """The snapshot identifier in a snapshot ARN (arn:partition:rds:region:account:type:identifier, where an
    automated snapshot's identifier itself holds a colon: rds:name)."""
    parts = source_arn.split(":", 6)
    return parts[6] if len(parts) == 7 and parts[6] else None


def identifier_matches(identifier: str, source_tag: str, kind: str) -> bool:
    """Whether `identifier` is exactly what the copier names a copy of the snapshot in `source_tag`."""
    shortened = _SHORTENED.search(source_tag)
    if shortened:
        # The whole ARN is gone; its digest is not: the name must end as the copier ends it.
        return identifier.endswith(f"-{shortened['digest'][:DIGEST_LENGTH]}")
    source_identifier = source_identifier_of(source_tag)
    return source_identifier is not None and identifier == target_identifier(source_identifier, source_tag, kind)


def classify(snapshot: Mapping[str, Any], kind: str, owner: Owner) -> str:
    """OURS, LEGACY or FOREIGN for a destination snapshot of `kind` as RDS describes it (with its TagList)."""
    tags = snapshot.get("TagList")
    source_tag = tag_value(tags, TAG_SOURCE_SNAPSHOT_ARN)
    identifier = snapshot.get(KINDS[kind].identifier_key)
    if not source_tag or not isinstance(identifier, str) or tag_value(tags, TAG_SOURCE_REGION) != owner.source_region:
        return FOREIGN
    if not identifier_matches(identifier, source_tag, kind):
        return FOREIGN
    deployment = tag_value(tags, TAG_DEPLOYMENT)
    if deployment == owner.deployment:
        return OURS
    return LEGACY if deployment is None else FOREIGN


def is_ours(snapshot: Mapping[str, Any], kind: str, owner: Owner) -> bool:
    return classify(snapshot, kind, owner) == OURS
