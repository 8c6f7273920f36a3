"""The three things the source side does to snapshots: share one with the vault accounts (the restore
attribute), make a share copy, take the vault accounts off again; and the message each vault's queue gets.

The restore attribute is a list of accounts that other people may have put there too: only the vault
accounts are ever added or removed, and the other values are never written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import tagging
from ..events import snapshot_created_event
from ..kinds import KINDS
from ..listing import describe_one
from ..outcomes import ALREADY_EXISTS_CODES, INVALID_REQUEST_CODES, SOURCE_GONE_CODES, error_code, error_message
from ..snapshot_time import source_data_time
from .config import MAX_SHARED_ACCOUNTS, ShareConfig, Vault
from .decide import is_encrypted
from .naming import share_copy_identifier

logger = logging.getLogger(__name__)

RESTORE = "restore"
PUBLIC = "all"  # the restore attribute's value of a public snapshot: not an account
# RDS's refusals of a share that no retry changes: the snapshot (an option, its key, its engine) forbids it.
UNSHAREABLE_CODES = INVALID_REQUEST_CODES | {"SharedSnapshotQuotaExceeded"}


class UnshareableError(Exception):
    """RDS will not (or would not) let the snapshot be shared: `code` says why; never retried."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class _Attribute:
    describe: str
    result_key: str
    list_key: str
    modify: str


_ATTRIBUTES = {
    "db": _Attribute(
        "describe_db_snapshot_attributes",
        "DBSnapshotAttributesResult",
        "DBSnapshotAttributes",
        "modify_db_snapshot_attribute",
    ),
    "cluster": _Attribute(
        "describe_db_cluster_snapshot_attributes",
        "DBClusterSnapshotAttributesResult",
        "DBClusterSnapshotAttributes",
        "modify_db_cluster_snapshot_attribute",
    ),
}


def restore_accounts(rds: Any, kind: str, identifier: str) -> list[str]:
    """The values of the snapshot's restore attribute (accounts, or "all" when public)."""
    table = _ATTRIBUTES[kind]
    answer = getattr(rds, table.describe)(**{KINDS[kind].identifier_key: identifier})[table.result_key]
    for attribute in answer.get(table.list_key, []):
        if attribute.get("AttributeName") == RESTORE:
            return list(attribute.get("AttributeValues") or [])
    return []


def share(rds: Any, kind: str, identifier: str, accounts: Iterable[str]) -> list[str]:
    """Add the vault `accounts` to the snapshot's restore attribute; the accounts added (none when all were
    there). Raises UnshareableError when RDS's limit of 20 accounts would be passed or RDS refuses."""
    wanted = list(dict.fromkeys(accounts))
    present = restore_accounts(rds, kind, identifier)
    missing = [account for account in wanted if account not in present]
    if not missing:
        return []
    shared_with = [value for value in present if value != PUBLIC]
    if len(shared_with) + len(missing) > MAX_SHARED_ACCOUNTS:
        raise UnshareableError(
            f"{identifier} is shared with {len(shared_with)} accounts already; adding the {len(missing)} vault "
            f"account(s) would pass RDS's limit of {MAX_SHARED_ACCOUNTS} accounts per snapshot",
            "ShareLimitExceeded",
        )
    table = _ATTRIBUTES[kind]
    try:
        getattr(rds, table.modify)(
            **{KINDS[kind].identifier_key: identifier}, AttributeName=RESTORE, ValuesToAdd=missing
        )
    except ClientError as exc:
        if error_code(exc) in UNSHAREABLE_CODES:
            raise UnshareableError(
                f"RDS refused to share {identifier}: {error_code(exc)}: {error_message(exc)}", error_code(exc)
            ) from None
        raise
    return missing


def unshare(rds: Any, kind: str, identifier: str, accounts: Iterable[str]) -> list[str]:
    """Take the vault `accounts` off the snapshot's restore attribute, and only them; the accounts removed."""
    present = restore_accounts(rds, kind, identifier)
    removing = [account for account in dict.fromkeys(accounts) if account in present]
    if removing:
        getattr(rds, _ATTRIBUTES[kind].modify)(
            **{KINDS[kind].identifier_key: identifier}, AttributeName=RESTORE, ValuesToRemove=removing
        )
    return removing


def original_data_time(rds: Any, snapshot: Mapping[str, Any], kind: str) -> datetime | None:
    """When the data of the snapshot was taken (snapshot_time.py): a share copy's source_snapshot_time tag, a
    cluster snapshot copied in-region followed to its origin."""

    def lookup(arn: str) -> Mapping[str, Any] | None:
        try:
            return describe_one(rds, kind, arn)
        except ClientError as exc:
            if error_code(exc) in SOURCE_GONE_CODES:
                return None
            raise

    return source_data_time(snapshot, kind, lookup)


def vault_event(snapshot: Mapping[str, Any], kind: str, data_time: datetime | None, now: datetime) -> dict[str, Any]:
    """What a vault's queue gets: RDS's own event for the shared (manual) snapshot, from the source account,
    with detail.SourceSnapshotTime, the data time of the ORIGINAL snapshot (design17), which RDS cannot tell the
    vault of a cluster share copy."""
    created = snapshot.get("SnapshotCreateTime")
    return snapshot_created_event(
        snapshot[KINDS[kind].arn_key],
        kind,
        "manual",
        created if isinstance(created, datetime) else None,
        now,
        source_snapshot_time=data_time,
    )


def announce(sqs: Any, vaults: Iterable[Vault], event: Mapping[str, Any]) -> list[str]:
    """Send the event to every vault's queue (in another account: its queue policy lets this role send)."""
    body = json.dumps(event, separators=(",", ":"))
    sent = []
    for vault in vaults:
        sqs.send_message(QueueUrl=vault.queue_url, MessageBody=body)
        sent.append(vault.name)
    return sent


def share_copy_tags(
    snapshot: Mapping[str, Any], config: ShareConfig, source_arn: str, data_time: datetime | None
) -> list[dict[str, str]]:
    """The share copy's tags: the original's own, and ours (deployment, original ARN, region, data time, the
    original's account), as a vault copy's: the deployment tag and the original's ARN make it ours (naming.py)."""
    return tagging.copy_tags(
        snapshot.get("TagList") or [], config.source_region, source_arn, config.deployment_name, data_time
    )


def start_share_copy(
    rds: Any, snapshot: Mapping[str, Any], kind: str, config: ShareConfig, data_time: datetime | None
) -> tuple[str, bool]:
    """Copy the snapshot in its own region under the share key: (the share copy's identifier, whether this call
    started it; False: it exists already, e.g. a retried event). Same region: no SourceRegion. An unencrypted
    snapshot's copy stays unencrypted (RDS refuses a key for an unencrypted cluster snapshot's copy, and an
    unencrypted copy needs no key grant)."""
    table = KINDS[kind]
    source_arn = snapshot[table.arn_key]
    target = share_copy_identifier(snapshot[table.identifier_key], source_arn, kind)
    kwargs: dict[str, Any] = {
        table.copy_source_param: source_arn,
        table.copy_target_param: target,
        "Tags": share_copy_tags(snapshot, config, source_arn, data_time),
    }
    if is_encrypted(snapshot):
        kwargs["KmsKeyId"] = config.share_kms_key_id
    try:
        getattr(rds, table.copy_operation)(**kwargs)
    except ClientError as exc:
        if error_code(exc) in ALREADY_EXISTS_CODES:
            return target, False
        raise
    return target, True


def share_and_announce(
    rds: Any, sqs: Any, snapshot: Mapping[str, Any], kind: str, config: ShareConfig, now: datetime
) -> list[str]:
    """Share the (available, manual) snapshot with every vault account, then tell every vault's queue; the
    accounts added. Raises UnshareableError. Sent again when it was shared already: a vault's copier takes a
    second message for a copy it has as done, and a crash between share and send must not lose the message."""
    table = KINDS[kind]
    added = share(rds, kind, snapshot[table.identifier_key], config.vault_accounts)
    announce(sqs, config.vaults, vault_event(snapshot, kind, original_data_time(rds, snapshot, kind), now))
    return added


def delete_share_copy(rds: Any, kind: str, identifier: str) -> None:
    """Delete one of our share copies: the caller has proven it ours (naming.is_share_copy: tag AND identifier)."""
    getattr(rds, KINDS[kind].delete_operation)(**{KINDS[kind].identifier_key: identifier})
