"""The tags every copy carries: the source's own (RDS does not merge them when Tags is passed) plus ours."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from .naming import digest

logger = logging.getLogger(__name__)

# The tag names every copy carries live in copy_tags.json beside this file, which the Terraform module
# reads too: its IAM conditions name the same tags.
_TAG_NAMES: dict[str, str] = json.loads(Path(__file__).with_name("copy_tags.json").read_text())
TAG_SOURCE_REGION = _TAG_NAMES["source_region"]
TAG_SOURCE_SNAPSHOT_ARN = _TAG_NAMES["source_snapshot_arn"]
# The deployment that made the copy (the module's `name`, DEPLOYMENT_NAME): one half of the ownership rule
# (ownership.py); the pruner's delete permission is conditioned on it too.
TAG_DEPLOYMENT = _TAG_NAMES["deployment"]
# When the copy's data was taken (ISO 8601, UTC), as the copier read it from the source: RDS gives a cluster
# snapshot no OriginalSnapshotCreateTime, so a copy's own times may be when it was copied (snapshot_time.py).
TAG_SOURCE_SNAPSHOT_TIME = _TAG_NAMES["source_snapshot_time"]
# The account that holds the source snapshot (the ARN's): in backup-account mode a vault holds copies of
# snapshots from several accounts, and everything "per source database" is per (account, database).
TAG_SOURCE_ACCOUNT = _TAG_NAMES["source_account"]
# Whether an incremental base (an available copy of the same source database under the same key) was in the
# destination when the copy started, "true" or "false" (incremental.py): full copies are counted and paid for.
TAG_INCREMENTAL_BASE = _TAG_NAMES["incremental_base"]
# RDS's limits.
MAX_TAGS = 50
MAX_TAG_VALUE_LENGTH = 256
RESERVED_PREFIX = "aws:"


def source_arn_tag_value(source_arn: str) -> str:
    """The ARN, or (past RDS's 256-character value limit) its head and a digest of the whole."""
    if len(source_arn) <= MAX_TAG_VALUE_LENGTH:
        return source_arn
    tail = f"...{digest(source_arn, 16)}"
    return source_arn[: MAX_TAG_VALUE_LENGTH - len(tail)] + tail


def copy_tags(
    source_tags: Iterable[dict[str, str]],
    source_region: str,
    source_arn: str,
    deployment: str,
    data_time: datetime | None = None,
    incremental_base: bool | None = None,
) -> list[dict[str, str]]:
    """The copy's tags: the source's (a source's own tag named like ours is overwritten) plus ours, among
    them the source account (the ARN's fifth field)."""
    ours = {
        TAG_SOURCE_REGION: source_region,
        TAG_SOURCE_SNAPSHOT_ARN: source_arn_tag_value(source_arn),
        TAG_DEPLOYMENT: deployment,
    }
    account = arn_account(source_arn)
    if account is not None:
        ours[TAG_SOURCE_ACCOUNT] = account
    if incremental_base is not None:
        ours[TAG_INCREMENTAL_BASE] = "true" if incremental_base else "false"
    if data_time is not None:
        ours[TAG_SOURCE_SNAPSHOT_TIME] = format_time(data_time)
    kept: dict[str, str] = {}
    reserved: list[str] = []
    for tag in source_tags:
        key, value = tag["Key"], tag.get("Value", "")
        if key.lower().startswith(RESERVED_PREFIX):
            reserved.append(key)
        elif key not in ours:
            kept[key] = value
    room = MAX_TAGS - len(ours)
    dropped = list(kept)[room:]
    if reserved:
        logger.info("left out reserved source tags", extra={"tag_keys": reserved, "snapshot_arn": source_arn})
    if dropped:
        logger.warning(
            "source has more tags than a copy can carry; dropped some",
            extra={"dropped_tag_keys": dropped, "limit": MAX_TAGS, "snapshot_arn": source_arn},
        )
    merged = dict(list(kept.items())[:room]) | ours
    return [{"Key": key, "Value": value} for key, value in merged.items()]


def arn_account(arn: str | None) -> str | None:
    """The 12-digit account of an ARN (arn:partition:service:region:account:...), None when it names none."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    return parts[4] if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit() else None


def format_time(when: datetime) -> str:
    """A time as the source_snapshot_time tag holds it: ISO 8601 in UTC, to the second."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(value: str | None) -> datetime | None:
    """A source_snapshot_time tag's value as an aware datetime; None when absent or not a time."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def tag_value(tags: Iterable[dict[str, str]] | None, key: str) -> str | None:
    for tag in tags or ():
        if tag.get("Key") == key:
            return tag.get("Value")
    return None
