"""Start the cross-region copy of one snapshot: the source's details, the slot, the call, its errors."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .copy_config import CopyConfig
from .events import SnapshotRef
from .filters import Selection, decide_for_snapshot
from .kinds import KINDS
from .listing import describe_one, source_tag
from .naming import target_identifier
from .outcomes import ALREADY_EXISTS_CODES, Outcome, classify_exception, error_code
from .slots import CopySlots
from .snapshot_time import data_time
from .tagging import copy_tags, source_arn_tag_value

logger = logging.getLogger(__name__)

AVAILABLE = "available"


def describe_source(rds: Any, ref: SnapshotRef) -> dict[str, Any]:
    """The source snapshot with its tags (one call; a second only where the answer has no TagList)."""
    snapshot = describe_one(rds, ref.kind, ref.identifier)
    if snapshot is None:  # RDS answers NotFound itself; an empty answer means the same
        error = {"Error": {"Code": "DBSnapshotNotFound", "Message": f"{ref.identifier} not found"}}
        raise ClientError(error, KINDS[ref.kind].describe_operation)
    if "TagList" not in snapshot:
        snapshot["TagList"] = rds.list_tags_for_resource(ResourceName=ref.arn).get("TagList", [])
    return snapshot


def copy_request(
    ref: SnapshotRef, source: dict[str, Any], target: str, config: CopyConfig
) -> tuple[str, dict[str, Any]]:
    """The RDS operation and its parameters for this copy."""
    table = KINDS[ref.kind]
    params: dict[str, Any] = {
        table.copy_source_param: ref.arn,
        table.copy_target_param: target,
        "SourceRegion": config.source_region,
    }
    if source.get("StorageEncrypted") or not table.copy_key_only_if_encrypted:
        params["KmsKeyId"] = config.kms_key_id
    params["Tags"] = copy_tags(
        source.get("TagList", []), config.source_region, ref.arn, config.deployment_name, data_time(source, ref.kind)
    )
    if table.copy_takes_option_group and config.option_group_name:
        params["OptionGroupName"] = config.option_group_name
    return table.copy_operation, params


def existing_copy_source(rds: Any, kind: str, target: str) -> str | None:
    found = describe_one(rds, kind, target)
    return source_tag(found) if found else None


def already_copied(ref: SnapshotRef, target: str, existing_source: str | None) -> Outcome:
    if existing_source == source_arn_tag_value(ref.arn):
        return Outcome("exists", "AlreadyCopied", f"{target} already holds a copy of {ref.arn}", target)
    return Outcome(
        "failed",
        "TargetNameTaken",
        f"{target} exists in the destination but is a copy of {existing_source or 'something else'}, not {ref.arn}",
        target,
    )


def start_copy(
    ref: SnapshotRef,
    source_rds: Any,
    destination_rds: Any,
    slots: CopySlots,
    config: CopyConfig,
    selection: Selection | None = None,
) -> Outcome:
    """Start the copy of `ref` if a slot is free; say what happened as an Outcome, never raise for AWS errors."""
    if ref.region != config.source_region:
        return Outcome(
            "failed",
            "WrongSourceRegion",
            f"{ref.arn} is in {ref.region}, but this function copies from {config.source_region}",
        )
    target = target_identifier(ref.identifier, ref.arn, ref.kind)
    source: dict[str, Any] | None = None
    if selection is not None and selection.source_filter.active:
        decision = selection.decisions.get(ref.arn)
        if decision is None:
            try:
                source = describe_source(source_rds, ref)
                found = decide_for_snapshot(
                    selection.source_filter, source, ref.kind, selection.tags, ref.partition, ref.region, ref.account
                )
            except (ClientError, BotoCoreError) as exc:
                return _with_target(classify_exception(exc, f"reading source snapshot {ref.identifier}"), target)
            decision = selection.remember(ref.arn, found)
        if not decision.selected:
            return Outcome("ignored", "Filtered", f"left out by the source filter: {decision.reason}", target)
    try:
        existing = slots.existing_source(ref.kind, target)
        if existing is not None:
            return already_copied(ref, target, existing)
        if slots.free(ref.kind) <= 0:
            return Outcome(
                "wait",
                "CopySlotsFull",
                f"{slots.in_progress(ref.kind)} {ref.kind} snapshot copies in progress (limit "
                f"{config.copy_limit(ref.kind)})",
                target,
            )
    except (ClientError, BotoCoreError) as exc:
        return _with_target(classify_exception(exc, "listing copies in progress"), target)

    if source is None:
        try:
            source = describe_source(source_rds, ref)
        except (ClientError, BotoCoreError) as exc:
            return _with_target(classify_exception(exc, f"reading source snapshot {ref.identifier}"), target)
    if source.get("Status") != AVAILABLE:
        return Outcome("retry", "SourceNotAvailable", f"{ref.arn} is {source.get('Status')!r}, not available", target)

    operation, params = copy_request(ref, source, target, config)
    try:
        getattr(destination_rds, operation)(**params)
    except ClientError as exc:
        if error_code(exc) in ALREADY_EXISTS_CODES:
            try:
                return already_copied(ref, target, existing_copy_source(destination_rds, ref.kind, target))
            except (ClientError, BotoCoreError) as inner:
                return _with_target(classify_exception(inner, f"reading existing copy {target}"), target)
        outcome = _with_target(classify_exception(exc, f"{operation} to {config.destination_region}"), target)
        if outcome.status == "wait":
            slots.fill(ref.kind)
        return outcome
    except BotoCoreError as exc:
        return _with_target(classify_exception(exc, f"{operation} to {config.destination_region}"), target)

    slots.took(ref.kind, target, source_arn_tag_value(ref.arn))
    if "KmsKeyId" not in params:
        logger.warning(
            "source cluster snapshot is not encrypted; RDS copies it unencrypted (it refuses a KMS key here)",
            extra={"snapshot_arn": ref.arn, "target": target},
        )
    return Outcome("started", "CopyStarted", f"copy of {ref.arn} started as {target}", target)


def _with_target(outcome: Outcome, target: str) -> Outcome:
    return Outcome(outcome.status, outcome.code, outcome.reason, target)
