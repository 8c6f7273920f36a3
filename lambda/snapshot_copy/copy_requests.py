"""The table of copy requests (DynamoDB, in the source region): which source snapshots were asked for, when.

RDS's events are best effort, so the reconciler enqueues what has no copy; this table keeps it from
enqueuing a snapshot again while an earlier request is still on its way (a snapshot waiting hours for a copy
slot during a burst would otherwise gain a message every run). One item per source snapshot ARN:

  source_snapshot_arn (S, hash key) | state (S, one of STATES) | requested_at (N, epoch s) | by (S, one of
  WRITERS) | reason (S, optional) | expires_at (N, epoch s: DynamoDB's TTL deletes the item after it)

The reconciler and `backfill` write `enqueued` after their message was sent; the copier writes `waiting` for
a record it postponed on its first receive and `dead_lettered` (with the reason) for one it dead-lettered.
A request younger than the reconciler's REREQUEST_AFTER_HOURS suppresses a new message. A failed write is
the caller's to log: it costs at most a duplicate message, which the copier recognises.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

HASH_KEY = "source_snapshot_arn"
STATES = ("enqueued", "waiting", "dead_lettered")
WRITERS = ("reconciler", "copier", "backfill")
# An item outlives its suppression by a day, so `status` still sees a dead-lettered snapshot for a while.
EXPIRY_MARGIN_SECONDS = 86400
BATCH_GET_LIMIT = 100  # DynamoDB's keys per BatchGetItem
BATCH_WRITE_LIMIT = 25  # DynamoDB's items per BatchWriteItem
# Unprocessed keys/items (throttling) are sent again this many times, with a short pause, then given up.
RETRIES = 3
RETRY_PAUSE_SECONDS = 0.2
MAX_REASON_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Request:
    """What the table says of one source snapshot."""

    arn: str
    state: str
    requested_at: float  # epoch seconds
    by: str
    reason: str | None = None

    def suppresses(self, now: float, rerequest_after_seconds: float) -> bool:
        """Whether this request is recent enough that no new message is sent for its snapshot."""
        return now - self.requested_at < rerequest_after_seconds


def item(request: Request, keep_seconds: float) -> dict[str, Any]:
    """The DynamoDB item (low-level attribute values) of `request`, expiring `keep_seconds` + a day after it."""
    attributes: dict[str, Any] = {
        HASH_KEY: {"S": request.arn},
        "state": {"S": request.state},
        "requested_at": {"N": str(int(request.requested_at))},
        "by": {"S": request.by},
        "expires_at": {"N": str(int(request.requested_at + keep_seconds + EXPIRY_MARGIN_SECONDS))},
    }
    if request.reason:
        attributes["reason"] = {"S": request.reason[:MAX_REASON_LENGTH]}
    return attributes


def from_item(attributes: dict[str, Any]) -> Request:
    reason = attributes.get("reason", {}).get("S")
    return Request(
        arn=attributes[HASH_KEY]["S"],
        state=attributes.get("state", {}).get("S", "enqueued"),
        requested_at=float(attributes.get("requested_at", {}).get("N", "0")),
        by=attributes.get("by", {}).get("S", "?"),
        reason=reason,
    )


def read(
    dynamodb: Any, table: str, arns: Iterable[str], sleep: Callable[[float], None] = time.sleep
) -> dict[str, Request]:
    """{ARN: its request} for those of `arns` the table holds (BatchGetItem, 100 keys a call).

    Errors (ClientError, BotoCoreError) are raised: without the table the caller cannot tell what is waiting.
    Keys still unprocessed after RETRIES are left out (read as "no request": at worst a duplicate message).
    """
    found: dict[str, Request] = {}
    unique = list(dict.fromkeys(arns))
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        keys = [{HASH_KEY: {"S": arn}} for arn in unique[start : start + BATCH_GET_LIMIT]]
        request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": False}}
        for attempt in range(RETRIES + 1):
            answer = dynamodb.batch_get_item(RequestItems=request)
            for attributes in answer.get("Responses", {}).get(table, []):
                got = from_item(attributes)
                found[got.arn] = got
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            if attempt < RETRIES:
                sleep(RETRY_PAUSE_SECONDS * 2**attempt)
        if request:
            logger.warning(
                "copy requests table: some keys were not read", extra={"table": table, "unread": _count(request)}
            )
    return found


def write(
    dynamodb: Any,
    table: str,
    requests: Iterable[Request],
    keep_seconds: float,
    retries: int = RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Put the requests (BatchWriteItem, 25 a call; the last of one ARN wins); return how many were NOT written.

    Unprocessed items are sent again up to `retries` times (0: exactly one call per 25 items). API errors
    (ClientError, BotoCoreError) are raised for the caller to log.
    """
    by_arn = {request.arn: request for request in requests}  # BatchWriteItem refuses a key twice in one call
    items = [{"PutRequest": {"Item": item(request, keep_seconds)}} for request in by_arn.values()]
    unwritten = 0
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        pending: dict[str, Any] = {table: items[start : start + BATCH_WRITE_LIMIT]}
        for attempt in range(retries + 1):
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            if attempt < retries:
                sleep(RETRY_PAUSE_SECONDS * 2**attempt)
        unwritten += _count(pending)
    return unwritten


def _count(request_items: dict[str, Any]) -> int:
    # BatchGetItem's unprocessed: {table: {"Keys": [...]}}; BatchWriteItem's: {table: [requests]}
    return sum(len(v.get("Keys", ())) if isinstance(v, dict) else len(v) for v in request_items.values())
