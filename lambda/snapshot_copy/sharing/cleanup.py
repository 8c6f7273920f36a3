"""The scheduled clean-up: take each share back once every vault holds an available copy (or the share has
waited SHARE_TIMEOUT_DAYS), delete this deployment's share copies then, and finish what a crash left undone.

Crash-safe because it starts from what RDS lists, not from what an earlier run remembers: a share copy of
ours that is available but not shared with every vault account is shared (and announced) here; one that RDS
reports broken is deleted; one that every vault has copied is deleted. Which snapshots it looks at:
- this deployment's share copies (naming.is_share_copy with the deployment: tag AND identifier), whatever
  their age, since the listing's tags tell them apart without another call;
- a customer's manual snapshot younger than SHARE_TIMEOUT_DAYS + 1 whose restore attribute holds a vault
  account (one describe call each, hence the age bound: the day past the timeout gives the timed-out ones
  a day of hourly runs to be unshared).
A vault's copy is read with the vault's reader role, in its destination region, at the identifier its
copier gives the copy of the shared snapshot (naming.target_identifier of the shared identifier and ARN).
It never deletes a snapshot but our share copies, and of a restore attribute it removes the vault accounts
only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..kinds import KINDS
from ..listing import AVAILABLE, BROKEN_STATUSES, describe_one, pages
from ..naming import target_identifier
from ..outcomes import SOURCE_GONE_CODES, error_code
from ..runtime import no_limit
from ..tagging import TAG_SOURCE_SNAPSHOT_ARN, tag_value
from . import metrics
from .config import ShareConfig, Vault
from .naming import is_share_copy
from .share import UnshareableError, delete_share_copy, restore_accounts, share_and_announce, unshare

logger = logging.getLogger("share_snapshot")

# Time kept for what follows the last snapshot (a share, a delete, the metrics line).
DEADLINE_MARGIN_SECONDS = 20


def clean_up(
    rds: Any,
    sqs: Any,
    vault_rds: Callable[[Vault], Any],
    config: ShareConfig,
    now: datetime,
    seconds_left: Callable[[], float] = no_limit,
) -> Counter[str]:
    """One run over both kinds; the metrics' counts. An error on one snapshot is counted (Failed) and logged,
    and the run goes on with the next. Near the function's timeout it stops: the next run starts over."""
    counts: Counter[str] = Counter()
    oldest = now - timedelta(days=config.share_timeout_days + 1)
    for kind in KINDS:
        id_key = KINDS[kind].identifier_key
        for snapshot in pages(rds, kind, SnapshotType="manual"):
            if seconds_left() < DEADLINE_MARGIN_SECONDS:
                logger.warning("clean-up stopped near the function's timeout; the next run goes on")
                return counts
            try:
                counts += _judge(rds, sqs, vault_rds, config, snapshot, kind, now, oldest)
            except (ClientError, BotoCoreError) as exc:
                counts[metrics.FAILED] += 1
                error = f"{type(exc).__name__}: {exc}"
                logger.error(
                    f"clean-up of {snapshot.get(id_key)} failed ({error}); the next run tries again",
                    extra={"snapshot": snapshot.get(id_key), "kind": kind, "error": error},
                )
    return counts


def _judge(
    rds: Any,
    sqs: Any,
    vault_rds: Callable[[Vault], Any],
    config: ShareConfig,
    snapshot: Mapping[str, Any],
    kind: str,
    now: datetime,
    oldest: datetime,
) -> Counter[str]:
    table = KINDS[kind]
    identifier = snapshot[table.identifier_key]
    # The share's age: when the shared snapshot (the share copy, or the customer's snapshot) was made, which is
    # when the share could start; a snapshot without a time yet is still being made.
    created = snapshot.get("SnapshotCreateTime")
    ours = is_share_copy(snapshot, kind, config.deployment_name)
    status = snapshot.get("Status")
    counts: Counter[str] = Counter()
    log = {"snapshot": identifier, "kind": kind, "share_copy": ours}
    if ours:
        if status in BROKEN_STATUSES:
            delete_share_copy(rds, kind, identifier)
            counts[metrics.FAILED] += 1
            counts[metrics.SHARE_COPIES_DELETED] += 1
            logger.error(
                f"share copy {identifier} is {status}; deleted it (its original is not shared)",
                extra={**log, "original": tag_value(snapshot.get("TagList"), TAG_SOURCE_SNAPSHOT_ARN)},
            )
            return counts
        if status != AVAILABLE:
            return counts
        missing = [a for a in config.vault_accounts if a not in restore_accounts(rds, kind, identifier)]
        if missing:
            # Its own created event was lost, or the function stopped between the copy and the share.
            try:
                share_and_announce(rds, sqs, snapshot, kind, config, now)
            except UnshareableError as exc:
                delete_share_copy(rds, kind, identifier)
                counts[metrics.UNSHAREABLE] += 1
                counts[metrics.SHARE_COPIES_DELETED] += 1
                logger.error(f"{exc}; deleted the share copy", extra={**log, "code": exc.code})
                return counts
            counts[metrics.SHARED] += 1
            logger.info(f"shared share copy {identifier} that was not shared yet", extra=log)
            return counts
    else:
        if is_share_copy(snapshot, kind) or status != AVAILABLE:
            return counts  # another deployment's share copy, or not a snapshot anyone can share yet
        if not isinstance(created, datetime) or created < oldest:
            return counts
        if not set(config.vault_accounts) & set(restore_accounts(rds, kind, identifier)):
            return counts
    waiting = [vault.name for vault in config.vaults if not _vault_holds(vault_rds(vault), snapshot, kind)]
    timed_out = (
        bool(waiting) and isinstance(created, datetime) and now - created > timedelta(days=config.share_timeout_days)
    )
    if waiting and not timed_out:
        return counts
    if timed_out:
        counts[metrics.SHARE_TIMED_OUT] += 1
        logger.error(
            f"{identifier} was shared {config.share_timeout_days}+ days ago and these vaults hold no available "
            f"copy: {', '.join(waiting)}; the share is removed",
            extra={**log, "vaults_without_copy": waiting},
        )
    if ours:
        delete_share_copy(rds, kind, identifier)
        counts[metrics.SHARE_COPIES_DELETED] += 1
        logger.info(f"deleted share copy {identifier}", extra={**log, "timed_out": timed_out})
    else:
        removed = unshare(rds, kind, identifier, config.vault_accounts)
        if removed:
            counts[metrics.SHARES_REMOVED] += 1
            logger.info(f"unshared {identifier} from {removed}", extra={**log, "timed_out": timed_out})
    return counts


def _vault_holds(vault_rds: Any, snapshot: Mapping[str, Any], kind: str) -> bool:
    """Whether the vault (its reader's RDS client) holds an available copy of the shared snapshot."""
    table = KINDS[kind]
    arn = snapshot[table.arn_key]
    target = target_identifier(snapshot[table.identifier_key], arn, kind)
    try:
        copy = describe_one(vault_rds, kind, target)
    except ClientError as exc:
        if error_code(exc) in SOURCE_GONE_CODES:
            return False
        raise
    if copy is None or copy.get("Status") != AVAILABLE:
        return False
    # A copy the vault's copier made names the shared snapshot in its source-ARN tag; where the reader is shown
    # tags, one naming another snapshot is not this one's copy.
    source = tag_value(copy.get("TagList"), TAG_SOURCE_SNAPSHOT_ARN)
    return source is None or source == arn or "..." in source
