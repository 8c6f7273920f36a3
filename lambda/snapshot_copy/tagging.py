"""The tags every copy carries: the source's own (RDS does not merge them when Tags is passed) plus ours."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

from .naming import digest

logger = logging.getLogger(__name__)

# The tag names every copy carries live in copy_tags.json, in the Terraform module's folder, whose IAM
# conditions name them too (this file is a link to it).
_TAG_NAMES: dict[str, str] = json.loads(Path(__file__).with_name("copy_tags.json").read_text())
TAG_SOURCE_REGION = _TAG_NAMES["source_region"]
TAG_SOURCE_SNAPSHOT_ARN = _TAG_NAMES["source_snapshot_arn"]
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


def copy_tags(source_tags: Iterable[dict[str, str]], source_region: str, source_arn: str) -> list[dict[str, str]]:
    ours = {TAG_SOURCE_REGION: source_region, TAG_SOURCE_SNAPSHOT_ARN: source_arn_tag_value(source_arn)}
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


def tag_value(tags: Iterable[dict[str, str]] | None, key: str) -> str | None:
    for tag in tags or ():
        if tag.get("Key") == key:
            return tag.get("Value")
    return None
