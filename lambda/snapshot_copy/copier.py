"""Start the cross-region copy of one snapshot: the source's details, the slot, the call, its errors.

What is already at the target name decides first (ownership.py, and only `available` is a copy):
- this deployment's copy of the same source (or a 0.4.x one, LEGACY), available or in progress: done;
- this deployment's copy that is broken (failed, incompatible-restore): deleted, and copied again;
- a broken 0.4.x copy: dead-lettered, saying what to do. The copier's delete permission requires this
  deployment's tag (iam_copier.tf), which a 0.4.x copy does not carry until `rds-snapshot-copy adopt` tags it;
- a copy being deleted: come back later;
- anything else (another deployment's copy, a copy of another source, a snapshot that is no copy):
  `TargetNameTaken`, dead-lettered with whose it is; never touched.

Whose snapshots (accounts.py): a snapshot of an account the deployment does not copy from is dead-lettered
(`AccountNotAllowed`, naming the account and the allowed ones) before any call. Backup-account mode (the
vault): another account's snapshot, shared with this one, is described among the snapshots shared with it
and copied by its ARN in ONE call, with the vault key and the `source_account` tag; RDS's not-found for it
(never shared, unshared, deleted) is `SourceSnapshotNotShared`, dead-lettered at once; its option group
follows option_groups.py, and RDS's OptionGroupNotFoundFault is `OptionGroupNotFound`, dead-lettered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .copy_config import CopyConfig
from .events import SnapshotRef
from .filters import Selection, decide_for_snapshot
from .incremental import incremental_base_among
from .kinds import KINDS
from .listing import AVAILABLE, BROKEN_STATUSES, DELETING, IN_PROGRESS_STATUSES, Copy, describe_one, judged
from .naming import target_identifier
from .option_groups import NOT_FOUND_CODES, not_found_reason, option_group_params
from .outcomes import (
    ALREADY_EXISTS_CODES,
    INVALID_REQUEST_CODES,
    SOURCE_GONE_CODES,
    Outcome,
    classify_exception,
    error_code,
    error_message,
)
from .ownership import LEGACY, OURS, Owner
from .slots import CopySlots, ListingIncompleteError
from .snapshot_time import source_data_time
from .sources import source_key
from .tagging import TAG_DEPLOYMENT, TAG_SOURCE_REGION, copy_tags, source_arn_tag_value

logger = logging.getLogger(__name__)


def describe_source(rds: Any, ref: SnapshotRef, shared: bool = False) -> dict[str, Any]:
    """The source snapshot with its tags (one call; a second only where the answer has no TagList).

    `shared`: a snapshot another account shared with this one, described by its ARN among the snapshots shared
    with this account (IncludeShared, SnapshotType "shared"). Its tags cannot be read from here (RDS answers
    ListTagsForResource for this account's resources only): the copy then carries only ours."""
    if shared:
        table = KINDS[ref.kind]
        found = getattr(rds, table.describe_operation)(
            **{table.identifier_key: ref.arn}, IncludeShared=True, SnapshotType="shared"
        )[table.answer_key]
        snapshot = next((s for s in found if s.get(table.arn_key) == ref.arn), None)
    else:
        snapshot = describe_one(rds, ref.kind, ref.identifier)
    if snapshot is None:  # RDS answers NotFound itself; an empty answer means the same
        error = {"Error": {"Code": "DBSnapshotNotFound", "Message": f"{ref.identifier} not found"}}
        raise ClientError(error, KINDS[ref.kind].describe_operation)
    if shared:
        snapshot["TagList"] = snapshot.get("TagList") or []
    elif "TagList" not in snapshot:
        snapshot["TagList"] = rds.list_tags_for_resource(ResourceName=ref.arn).get("TagList", [])
    return snapshot


def origin_lookup(rds: Any, kind: str, source_region: str) -> Callable[[str], Mapping[str, Any] | None]:
    """snapshot_time.source_data_time's lookup: the snapshot a source cluster snapshot was copied from,
    described in the source region (one call a link; only asked when the source names its origin)."""

    def lookup(arn: str) -> Mapping[str, Any] | None:
        parts = arn.split(":")
        if len(parts) < 7 or parts[3] != source_region:
            return None  # copied from another region: not ours to describe, the chain ends here
        try:
            return describe_one(rds, kind, arn)
        except ClientError as exc:
            # Deleted since, or not shared with us: the chain ends at the earliest time known so far.
            if error_code(exc) in SOURCE_GONE_CODES | INVALID_REQUEST_CODES:
                return None
            raise

    return lookup


def copy_request(
    ref: SnapshotRef,
    source: dict[str, Any],
    target: str,
    config: CopyConfig,
    taken_at: datetime | None = None,
    cross_account: bool = False,
    incremental: bool | None = None,
) -> tuple[str, dict[str, Any]]:
    """The RDS operation and its parameters for this copy: ONE call in the destination region, the source by
    its ARN (another account's too: RDS copies a shared snapshot across accounts and regions at once) under
    the destination key. `taken_at`: the source's data time (snapshot_time.source_data_time, and the time its
    event claims), written as the copy's source_snapshot_time tag. `cross_account`: the source is another
    account's (option_groups.py: CopyOptionGroup). `incremental`: whether an incremental base is in the
    destination (incremental.py), written as the copy's incremental_base tag."""
    table = KINDS[ref.kind]
    params: dict[str, Any] = {
        table.copy_source_param: ref.arn,
        table.copy_target_param: target,
        "SourceRegion": config.source_region,
    }
    key = copy_key(source, ref.kind, config)
    if key is not None:
        params["KmsKeyId"] = key
    when = taken_at if taken_at is not None else source_data_time(source, ref.kind)
    params["Tags"] = copy_tags(
        source.get("TagList", []), config.source_region, ref.arn, config.deployment_name, when, incremental
    )
    if table.copy_takes_option_group:
        params.update(option_group_params(source, cross_account, config.option_group_map, config.option_group_name))
    return table.copy_operation, params


def copy_key(source: Mapping[str, Any], kind: str, config: CopyConfig) -> str | None:
    """The key a copy is made under: the destination key, except for an unencrypted cluster snapshot, whose
    copy RDS makes unencrypted (it refuses a key there). An incremental base must be under the same key."""
    if source.get("StorageEncrypted") or not KINDS[kind].copy_key_only_if_encrypted:
        return config.kms_key_id
    return None


def whose(found: Copy, ref: SnapshotRef, owner: Owner) -> str:
    """What a snapshot at the target name is, when it is not this deployment's copy of `ref`."""
    if found.source is None:
        return "is not a copy made by this module (it has no source_snapshot_arn tag)"
    if found.source != source_arn_tag_value(ref.arn):
        return f"is a copy of {found.source}, not {ref.arn}"
    if found.source_region != owner.source_region:
        region = "no" if found.source_region is None else f"the {found.source_region!r}"
        return (
            f"is tagged as a copy of {ref.arn} but has {region} {TAG_SOURCE_REGION} tag, not "
            f"{owner.source_region!r}: not a copy made by this deployment"
        )
    if found.deployment is not None and found.deployment != owner.deployment:
        return (
            f"is a copy of {ref.arn} made by deployment {found.deployment!r} (its {TAG_DEPLOYMENT} tag), "
            f"not by this one ({owner.deployment!r})"
        )
    return f"is not named as this deployment names a copy of {ref.arn}: not a copy made by it"


def judge_existing(ref: SnapshotRef, target: str, found: Copy, owner: Owner) -> Outcome | None:
    """What the copy already at the target name means for this event; None: it is a broken copy of this
    deployment's (OURS: tagged so, which the copier's delete permission requires), delete it and copy again."""
    if found.ownership not in (OURS, LEGACY) or found.source != source_arn_tag_value(ref.arn):
        return Outcome(
            "failed", "TargetNameTaken", f"{target} exists in the destination but {whose(found, ref, owner)}", target
        )
    legacy = " (a 0.4.x copy without the deployment tag: `rds-snapshot-copy adopt` tags it)"
    if found.status == AVAILABLE or found.status in IN_PROGRESS_STATUSES:
        note = legacy if found.ownership == LEGACY else ""
        return Outcome(
            "exists", "AlreadyCopied", f"{target} already holds a copy of {ref.arn} ({found.status}){note}", target
        )
    if found.status in BROKEN_STATUSES:
        if found.ownership == OURS:
            return None
        return Outcome(
            "failed",
            "BrokenLegacyCopy",
            f"{target} is a {found.status} copy of {ref.arn} made by 0.4.x (no {TAG_DEPLOYMENT} tag), which this "
            "deployment may not delete: `rds-snapshot-copy adopt` it (then a new event or the reconciler replaces "
            "it) or delete it, and redrive this event",
            target,
        )
    if found.status == DELETING:
        return Outcome("retry", "CopyBeingDeleted", f"{target}, a copy of {ref.arn}, is being deleted", target)
    # Any other state (RDS may add some): not a copy yet, nor one to delete; look again later.
    return Outcome("retry", "CopyNotAvailable", f"{target}, a copy of {ref.arn}, is {found.status!r}", target)


def delete_broken(rds: Any, kind: str, target: str, found: Copy, ref: SnapshotRef) -> Outcome | None:
    """Delete the broken copy at the target name (judge_existing made sure it is OURS); None when it is gone."""
    table = KINDS[kind]
    try:
        getattr(rds, table.delete_operation)(**{table.identifier_key: target})
    except ClientError as exc:
        if error_code(exc) not in SOURCE_GONE_CODES:  # gone already: as good
            return _with_target(classify_exception(exc, f"deleting broken copy {target} ({found.status})"), target)
    except BotoCoreError as exc:
        return _with_target(classify_exception(exc, f"deleting broken copy {target} ({found.status})"), target)
    logger.warning(
        f"deleted broken copy {target} ({found.status}) to copy {ref.arn} again",
        extra={"target": target, "replaced": found.status, "snapshot_arn": ref.arn, "ownership": found.ownership},
    )
    return None


def start_copy(
    ref: SnapshotRef,
    source_rds: Any,
    destination_rds: Any,
    slots: CopySlots,
    config: CopyConfig,
    selection: Selection | None = None,
    own_account: str | None = None,
) -> Outcome:
    """Start the copy of `ref` if a slot is free; say what happened as an Outcome, never raise for AWS errors.

    `own_account`: the function's account (None: unknown). A snapshot of an account config.accounts does not
    allow fails with AccountNotAllowed before any call; another account's snapshot (allowed) is described
    among those shared with this one and copied by its ARN. The source filter selects this account's sources
    only: another account's databases cannot be described from here (its source side filters them)."""
    refusal = config.accounts.refusal(ref.account, own_account)
    if refusal is not None:
        return Outcome("failed", "AccountNotAllowed", f"{ref.arn}: {refusal}")
    if ref.region != config.source_region:
        return Outcome(
            "failed",
            "WrongSourceRegion",
            f"{ref.arn} is in {ref.region}, but this function copies from {config.source_region}",
        )
    shared = ref.account != own_account if own_account is not None else config.accounts.backup_mode
    target = target_identifier(ref.identifier, ref.arn, ref.kind)
    source: dict[str, Any] | None = None
    if selection is not None and selection.source_filter.active and not shared:
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
        existing = slots.existing(ref.kind, target)
    except ListingIncompleteError as exc:
        # A cold container in a large destination: its next invocation reads on, and this record waits for it.
        return Outcome("wait", "CopyListingIncomplete", str(exc), target)
    except (ClientError, BotoCoreError) as exc:
        return _with_target(classify_exception(exc, "listing copies in progress"), target)
    if existing is None:
        return _start(ref, source, target, source_rds, destination_rds, slots, config, shared)
    outcome = judge_existing(ref, target, existing, config.owner)
    if outcome is not None:
        return outcome
    failed = delete_broken(destination_rds, ref.kind, target, existing, ref)
    if failed is not None:
        return failed
    slots.forget(ref.kind, target)
    started = _start(ref, source, target, source_rds, destination_rds, slots, config, shared)
    return replace(started, replaced=existing.status)


def _start(
    ref: SnapshotRef,
    source: dict[str, Any] | None,
    target: str,
    source_rds: Any,
    destination_rds: Any,
    slots: CopySlots,
    config: CopyConfig,
    shared: bool = False,
) -> Outcome:
    """No copy at the target name (as listed): a slot, the source, the copy. `shared`: another account's."""
    try:
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

    try:
        if source is None:
            source = describe_source(source_rds, ref, shared)
        if source.get("Status") != AVAILABLE:
            return Outcome(
                "retry", "SourceNotAvailable", f"{ref.arn} is {source.get('Status')!r}, not available", target
            )
        # A shared snapshot's origin (a share copy's original) is not shared with us: its event claims its time.
        lookup = None if shared else origin_lookup(source_rds, ref.kind, config.source_region)
        taken_at = believed_time(source_data_time(source, ref.kind, lookup), ref.claimed_time, ref.arn)
    except (ClientError, BotoCoreError) as exc:
        return _not_shared(ref, target, exc, "reading source snapshot", shared) or _with_target(
            classify_exception(exc, f"reading source snapshot {ref.identifier}"), target
        )

    base = incremental_base_among(
        slots.copies(ref.kind), ref.kind, source_key(source, ref.kind), copy_key(source, ref.kind, config)
    )
    operation, params = copy_request(ref, source, target, config, taken_at, shared, base)
    try:
        getattr(destination_rds, operation)(**params)
    except ClientError as exc:
        if error_code(exc) in ALREADY_EXISTS_CODES:
            return _already_there(ref, target, destination_rds, config.owner)
        if error_code(exc) in NOT_FOUND_CODES:
            reason = not_found_reason(source, params, ref.arn, config.destination_region)
            return Outcome("failed", "OptionGroupNotFound", f"{reason} ({error_message(exc)})", target)
        not_shared = _not_shared(ref, target, exc, operation, shared)
        if not_shared is not None:
            return not_shared
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
    # The reason stays as it was (callers read it); full or incremental is the tag, the metric and the log's.
    return Outcome("started", "CopyStarted", f"copy of {ref.arn} started as {target}", target, incremental=base)


def _already_there(ref: SnapshotRef, target: str, rds: Any, owner: Owner) -> Outcome:
    """RDS refused the copy: the target name is taken (by a copy the listing did not show yet)."""
    try:
        snapshot = describe_one(rds, ref.kind, target)
    except ClientError as exc:
        if error_code(exc) not in SOURCE_GONE_CODES:
            return _with_target(classify_exception(exc, f"reading existing copy {target}"), target)
        snapshot = None
    except BotoCoreError as exc:
        return _with_target(classify_exception(exc, f"reading existing copy {target}"), target)
    if snapshot is None:
        return Outcome("retry", "CopyBeingDeleted", f"RDS says {target} exists, but it is gone (deleted?)", target)
    found = judged(snapshot, ref.kind, owner)
    outcome = judge_existing(ref, target, found, owner)
    if outcome is not None:
        return outcome
    # Broken, and made meanwhile by another invocation: delete it; the next receive copies again.
    failed = delete_broken(rds, ref.kind, target, found, ref)
    if failed is not None:
        return failed
    return Outcome(
        "retry",
        "BrokenCopyDeleted",
        f"deleted broken copy {target} ({found.status}); copying again",
        target,
        replaced=found.status,
    )


# How much earlier than a shared snapshot's own time its event may claim its data was taken. A share copy is
# made within minutes of the original (hours for a large cluster, or a late event); a claim further back is
# not believed: whoever holds the source account could otherwise age a copy so that the vault's pruner (and
# the retention lock, which counts from the data's time) lets it go early.
MAX_CLAIM_BEFORE = timedelta(hours=24)


def believed_time(own: datetime | None, claimed: datetime | None, arn: str) -> datetime | None:
    """The data time of a snapshot whose event claims one (detail.SourceSnapshotTime): the earliest of its own
    and the claim, but never more than MAX_CLAIM_BEFORE before its own."""
    if claimed is None or own is None or claimed >= own - MAX_CLAIM_BEFORE:
        return earliest(own, claimed)
    logger.warning(
        "the event claims a data time further back than a share copy can be: the snapshot's own time is used",
        extra={"snapshot_arn": arn, "claimed_time": claimed.isoformat(), "snapshot_time": own.isoformat()},
    )
    return own


def earliest(*times: datetime | None) -> datetime | None:
    """The earliest of the known times (None: none known)."""
    known = [when for when in times if when is not None]
    return min(known) if known else None


def _not_shared(ref: SnapshotRef, target: str, exc: Exception, doing: str, shared: bool) -> Outcome | None:
    """RDS's not-found for another account's snapshot: it was never shared with this account, or no longer is
    (unshared, deleted). Dead-lettered at once, saying so; None for any other error."""
    if not isinstance(exc, ClientError) or error_code(exc) not in SOURCE_GONE_CODES or not shared:
        return None
    return Outcome(
        "failed",
        "SourceSnapshotNotShared",
        f"{doing}: {ref.arn} of account {ref.account} is not shared with this account, or no longer exists "
        f"({error_code(exc)}: {error_message(exc)}); the source side shares it (its restore attribute lists the "
        "vault account) before it sends the event",
        target,
    )


def _with_target(outcome: Outcome, target: str) -> Outcome:
    return Outcome(outcome.status, outcome.code, outcome.reason, target, outcome.replaced)
