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

It also catches up the snapshots whose created event never came (EventBridge lost it, or the region was out):
with no event the function never heard of them, and the vaults' reconcilers cannot see a snapshot that was
never shared. A candidate is a customer's snapshot (automated, or manual and shared with no vault) made
between CATCH_UP_HOURS and CATCH_UP_GRACE_MINUTES ago, available, with no share copy of ours listed; it is
lost unless every vault holds an available copy of it or of its share copy (one describe a vault: after a
vault's copy the share copy is deleted, or the share removed, so a snapshot handled by its event looks like
this too). A lost one is handed to `catch_up`, the handler's own path for an event (decide, then share or
start a share copy), which counts it in MissedEventsCaughtUp.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..events import parse_snapshot_arn
from ..kinds import KINDS
from ..listing import AVAILABLE, BROKEN_STATUSES, describe_one, pages
from ..naming import target_identifier
from ..outcomes import SOURCE_GONE_CODES, error_code
from ..runtime import no_limit
from ..tagging import TAG_SOURCE_SNAPSHOT_ARN, tag_value
from . import metrics
from .config import ShareConfig, Vault
from .naming import is_share_copy, share_copy_identifier
from .share import UnshareableError, delete_share_copy, restore_accounts, share_and_announce, unshare

logger = logging.getLogger("share_snapshot")

# Time kept for what follows the last snapshot (a share, a delete, the metrics line).
DEADLINE_MARGIN_SECONDS = 20
# The snapshots the catch-up looks at: made in the last day and two hours (so a day's outage of the region,
# clean-up included, is caught up by the first run after it), and not in the last 15 minutes (their event
# is on its way; were both to act, starting a share copy twice is harmless: RDS says it exists).
CATCH_UP_HOURS = 26
CATCH_UP_GRACE_MINUTES = 15

# The handler's path for a snapshot whose event never came: the metrics' counts of what it did.
CatchUp = Callable[[dict[str, Any], str], Counter[str]]


def clean_up(
    rds: Any,
    sqs: Any,
    vault_rds: Callable[[Vault], Any],
    config: ShareConfig,
    now: datetime,
    seconds_left: Callable[[], float] = no_limit,
    catch_up: CatchUp | None = None,
) -> Counter[str]:
    """One run over both kinds; the metrics' counts. An error on one snapshot is counted (Failed) and logged,
    and the run goes on with the next. Near the function's timeout it stops: the next run starts over.
    `catch_up`: what to do with a snapshot whose event never came (None: no catch-up)."""
    counts: Counter[str] = Counter()
    for kind in KINDS:
        try:
            done = _clean_up_kind(rds, sqs, vault_rds, config, now, seconds_left, catch_up, kind, counts)
        except (ClientError, BotoCoreError) as exc:
            # A listing failed past the client's retries: this kind waits for the next run, the other goes on.
            counts[metrics.FAILED] += 1
            _log_failure(f"the {KINDS[kind].description} listing", kind, exc)
            continue
        if not done:
            logger.warning("clean-up stopped near the function's timeout; the next run goes on")
            break
    return counts


def _clean_up_kind(
    rds: Any,
    sqs: Any,
    vault_rds: Callable[[Vault], Any],
    config: ShareConfig,
    now: datetime,
    seconds_left: Callable[[], float],
    catch_up: CatchUp | None,
    kind: str,
    counts: Counter[str],
) -> bool:
    """One kind's manual snapshots, then its catch-up, adding to `counts`; False when stopped near the timeout.
    Raises what a listing raises."""
    oldest = now - timedelta(days=config.share_timeout_days + 1)
    window = (now - timedelta(hours=CATCH_UP_HOURS), now - timedelta(minutes=CATCH_UP_GRACE_MINUTES))
    id_key = KINDS[kind].identifier_key
    listed: set[str] = set()
    candidates: list[dict[str, Any]] = []
    for snapshot in pages(rds, kind, SnapshotType="manual"):
        if seconds_left() < DEADLINE_MARGIN_SECONDS:
            return False
        listed.add(snapshot[id_key])
        try:
            unshared: list[dict[str, Any]] = []
            counts += _judge(rds, sqs, vault_rds, config, snapshot, kind, now, oldest, unshared)
            if catch_up is not None:
                candidates += [found for found in unshared if _made_within(found, window)]
        except (ClientError, BotoCoreError) as exc:
            counts[metrics.FAILED] += 1
            _log_failure(snapshot.get(id_key), kind, exc)
    if catch_up is None:
        return True
    for snapshot in pages(rds, kind, SnapshotType="automated"):
        if snapshot.get("Status") == AVAILABLE and _made_within(snapshot, window):
            candidates.append(snapshot)
    for snapshot in candidates:
        if seconds_left() < DEADLINE_MARGIN_SECONDS:
            return False
        try:
            if _lost(vault_rds, config, snapshot, kind, listed):
                counts += catch_up(snapshot, kind)
        except (ClientError, BotoCoreError) as exc:
            counts[metrics.FAILED] += 1
            _log_failure(snapshot.get(id_key), kind, exc)
    return True


def _log_failure(identifier: Any, kind: str, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"
    logger.error(
        f"clean-up of {identifier} failed ({error}); the next run tries again",
        extra={"snapshot": identifier, "kind": kind, "error": error},
    )


def _made_within(snapshot: Mapping[str, Any], window: tuple[datetime, datetime]) -> bool:
    created = snapshot.get("SnapshotCreateTime")
    return isinstance(created, datetime) and window[0] <= created <= window[1]


def _lost(
    vault_rds: Callable[[Vault], Any], config: ShareConfig, snapshot: Mapping[str, Any], kind: str, listed: set[str]
) -> bool:
    """Whether a candidate was never handled: no share copy of it is listed, and some vault holds no copy of
    its share copy (nor, of a manual one, of it)."""
    table = KINDS[kind]
    identifier, arn = snapshot[table.identifier_key], snapshot[table.arn_key]
    share_id = share_copy_identifier(identifier, arn, kind)
    if share_id in listed:
        return False  # being made, or waiting for its vaults: the share copy's own path
    ref = parse_snapshot_arn(arn, kind, "catch-up")
    share_copy = {
        table.identifier_key: share_id,
        table.arn_key: table.arn(ref.partition, ref.region, ref.account, share_id),
    }
    # An automated snapshot is shared through a share copy only: one describe a vault in the usual case.
    manual = snapshot.get("SnapshotType") == "manual"
    return not all(
        _vault_holds(reader, share_copy, kind) or (manual and _vault_holds(reader, snapshot, kind))
        for reader in (vault_rds(vault) for vault in config.vaults)
    )


def _judge(
    rds: Any,
    sqs: Any,
    vault_rds: Callable[[Vault], Any],
    config: ShareConfig,
    snapshot: dict[str, Any],
    kind: str,
    now: datetime,
    oldest: datetime,
    unshared: list[dict[str, Any]],
) -> Counter[str]:
    """One listed manual snapshot. A customer's one, young and available, shared with no vault account, is
    added to `unshared`."""
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
            unshared.append(snapshot)  # a customer's snapshot no vault can restore: the catch-up's to judge
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
