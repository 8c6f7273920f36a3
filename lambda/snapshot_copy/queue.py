"""An SQS batch from the event source mapping: one outcome per record, partial batch responses.

Records that are done are left out of `batchItemFailures`, so the mapping deletes them. Records that
must come back are reported as failures after their visibility is set to a growing delay. Records that
cannot succeed are sent to the dead-letter queue by the function itself, with the reason as message
attributes, and then deleted; where no dead-letter queue is configured they are reported as failures
and the queue's redrive policy moves them. Records the invocation has no time left to start are reported
as failures untouched: they come back after the queue's visibility timeout.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import copy_requests
from .copy_config import QUOTA_WAIT_BASE_SECONDS, SQS_MAX_VISIBILITY_SECONDS, WAIT_BASE_SECONDS, CopyConfig
from .errors import MalformedEventError
from .metrics import BROKEN_COPY_REPLACED, FULL_COPY, INCREMENTAL_COPY
from .outcomes import Outcome

logger = logging.getLogger(__name__)

# The first delay of a retry (doubled on each receive, up to the configured maximum): a throttle clears
# in seconds. (A wait for a copy slot starts at copy_config.WAIT_BASE_SECONDS.)
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 900
SQS_BATCH_LIMIT = 10
# Delays are drawn between this share of their ceiling and the ceiling, so a burst does not come back in
# step. The module's receive budget (modules/receive-budget) assumes this floor.
JITTER_FLOOR = 0.5
# Records are started only while this much time is left before the function's timeout: enough for what
# follows the last record (the visibility delays, ten a call, the copy requests table's one write, the
# metrics line), which otherwise would be lost with the invocation. A share of the time there was at the
# start at most, so a short timeout (the module allows 10 s) still starts records.
DEADLINE_MARGIN_SECONDS = 15
DEADLINE_MARGIN_MAX_SHARE = 1 / 3


def postpone_delay(
    status: str,
    receive_count: int,
    wait_delay_max: int,
    rng: random.Random | None = None,
    wait_base: int = WAIT_BASE_SECONDS,
) -> int:
    """Seconds until the message is visible again; jittered so a burst does not come back in step."""
    if status == "wait_quota":
        # The receive budget assumes looks at least JITTER_FLOOR x wait_delay_max_seconds apart, its extra
        # receives covering the first, shorter doublings. A quota wait starts at half an hour or more and
        # doubles to 12 h, past wait_delay_max_seconds: it takes fewer receives than a slot wait of the
        # same length, so the budget holds (and the age bound, copy_wait_max_hours, ends it first).
        base, cap = QUOTA_WAIT_BASE_SECONDS, SQS_MAX_VISIBILITY_SECONDS
    elif status == "wait":
        base, cap = wait_base, wait_delay_max
    else:
        base, cap = RETRY_BASE_SECONDS, min(RETRY_MAX_SECONDS, wait_delay_max)
    ceiling = min(cap, base * 2 ** min(max(receive_count - 1, 0), 20))
    jitter = (rng or random).uniform(JITTER_FLOOR, 1.0)
    return max(1, min(SQS_MAX_VISIBILITY_SECONDS, int(ceiling * jitter)))


def give_up_reason(outcome: Outcome, receive_count: int, age_seconds: float, config: CopyConfig) -> str | None:
    """Why a postponed record goes to the dead-letter queue now, or None to try again."""
    if outcome.status == "retry_limited" and receive_count >= config.max_error_tries:
        return f"gave up after {receive_count} tries: {outcome.reason}"
    if receive_count >= config.max_receive_count:
        return f"gave up after {receive_count} receives: {outcome.reason}"
    if age_seconds >= config.max_wait_seconds:
        return f"gave up after waiting {age_seconds / 3600:.1f} h: {outcome.reason}"
    return None


SQS_EVENT_SOURCE = "aws:sqs"
_SQS_RECORD_KEYS = ("messageId", "receiptHandle")


def sqs_records(event: Any) -> list[dict[str, Any]] | None:
    """The records of an SQS batch, None for anything without `Records` (a bare EventBridge event).

    `Records` alone does not make a batch: SNS (where older RDS event subscriptions deliver), S3 and
    others use it too. Such an event is refused by name, never read as SQS messages.
    """
    if not isinstance(event, dict) or "Records" not in event:
        return None
    records = event["Records"]
    if not isinstance(records, list):
        raise MalformedEventError(f"event has Records, but as {type(records).__name__} {records!r:.80}, not a list")
    sources = [r.get("eventSource", r.get("EventSource")) if isinstance(r, dict) else None for r in records]
    foreign = sorted({str(source) for source in sources if source != SQS_EVENT_SOURCE})
    if foreign:
        raise MalformedEventError(
            f"event has {len(records)} record(s) from {', '.join(foreign)}, not {SQS_EVENT_SOURCE}: this function "
            "takes SQS records from the module's queue or one EventBridge event (RDS events delivered by SNS, "
            "as event subscriptions do, are not read: use the module's EventBridge rule)"
        )
    for record in records:
        missing = [key for key in _SQS_RECORD_KEYS if not isinstance(record.get(key), str)]
        if missing:
            raise MalformedEventError(f"SQS record {record.get('messageId', '?')!r} has no {', '.join(missing)}")
    return records


@dataclass
class BatchResult:
    failures: list[str] = field(default_factory=list)
    # (queue ARN, ChangeMessageVisibilityBatch entry) for each postponed record
    visibility: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    # (snapshot ARN, state, reason) to record in the copy requests table (copy_requests.py)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    def response(self) -> dict[str, list[dict[str, str]]]:
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in self.failures]}


def record_receive_count(record: dict[str, Any]) -> int:
    try:
        return int(record.get("attributes", {}).get("ApproximateReceiveCount", 1))
    except (TypeError, ValueError):
        return 1


def record_age_seconds(record: dict[str, Any], now: float) -> float:
    try:
        return max(0.0, now - int(record["attributes"]["SentTimestamp"]) / 1000)
    except (KeyError, TypeError, ValueError):
        return 0.0


def dead_letter(sqs: Any, config: CopyConfig, record: dict[str, Any], code: str, reason: str) -> bool:
    """Send the record's body to the dead-letter queue with the reason; False if that did not happen."""
    if not config.dead_letter_queue_url:
        return False
    body = record.get("body")
    if not isinstance(body, str) or not body:
        # Nothing to carry: the queue's redrive policy moves the message itself, whole.
        return False
    attributes = {
        "error_code": code,
        "error_reason": reason[:1000],
        "source_message_id": record.get("messageId", ""),
        "receive_count": str(record_receive_count(record)),
    }
    try:
        sqs.send_message(
            QueueUrl=config.dead_letter_queue_url,
            MessageBody=body,
            MessageAttributes={k: {"DataType": "String", "StringValue": v or "-"} for k, v in attributes.items()},
        )
    except (ClientError, BotoCoreError):
        logger.exception("could not send the record to the dead-letter queue; it stays in the queue")
        return False
    return True


def process_batch(
    records: list[dict[str, Any]],
    handle: Callable[[dict[str, Any]], Outcome],
    sqs: Any,
    config: CopyConfig,
    queue_url: Callable[[str], str],
    now: float | None = None,
    rng: random.Random | None = None,
    dynamodb: Any = None,
    seconds_left: Callable[[], float] | None = None,
) -> BatchResult:
    """Run `handle` on each record and settle it: delete, postpone, or dead-letter with its reason.

    With `config.requests_table` and a `dynamodb` client, the records postponed on their first receive and
    those dead-lettered are then recorded in the copy requests table (one BatchWriteItem; never raises),
    under the source ARN their Outcome carries (none: not recorded).
    With `seconds_left` (the invocation's time to its timeout), no record is started under the deadline
    margin: the rest are reported back untouched, and the delays and the table's write still happen.
    """
    now = time.time() if now is None else now
    result = BatchResult()
    margin = None if seconds_left is None else min(DEADLINE_MARGIN_SECONDS, seconds_left() * DEADLINE_MARGIN_MAX_SHARE)
    for index, record in enumerate(records):
        if margin is not None and seconds_left is not None and seconds_left() < margin:
            leave_unstarted(records[index:], result, seconds_left())
            break
        settle(record, handle(record), result, sqs, config, now, rng)
    set_visibility(sqs, result.visibility, queue_url)
    record_requests(dynamodb, config, result.requests, now)
    return result


def leave_unstarted(records: list[dict[str, Any]], result: BatchResult, left: float) -> None:
    """Report records back as they are: no delay of ours, so they come back after the queue's visibility
    timeout (six times the function's), their receive count one higher."""
    result.failures.extend(record.get("messageId", "") for record in records)
    result.counts["not_started"] += len(records)
    logger.warning(
        f"{len(records)} record(s) not started, {left:.1f} s before the timeout: they come back after the "
        "queue's visibility timeout",
        extra={"not_started": len(records), "message_ids": [record.get("messageId") for record in records]},
    )


def record_requests(dynamodb: Any, config: CopyConfig, requests: list[tuple[str, str, str | None]], now: float) -> None:
    """Tell the reconciler what is waiting or dead-lettered; a failure only costs it a duplicate message later."""
    if not requests or dynamodb is None or not config.requests_table:
        return
    keep_seconds = config.max_wait_seconds + 3600
    entries = [copy_requests.Request(arn, state, now, "copier", reason) for arn, state, reason in requests]
    try:
        unwritten = copy_requests.write(dynamodb, config.requests_table, entries, keep_seconds, retries=0)
    except (ClientError, BotoCoreError) as exc:
        logger.warning(
            f"could not record {len(entries)} copy request(s) in {config.requests_table}: {exc}",
            extra={"table": config.requests_table, "requests": len(entries)},
        )
        return
    if unwritten:
        logger.warning(
            f"{unwritten} copy request(s) not recorded in {config.requests_table} (unprocessed)",
            extra={"table": config.requests_table, "unwritten": unwritten},
        )


def settle(
    record: dict[str, Any],
    outcome: Outcome,
    result: BatchResult,
    sqs: Any,
    config: CopyConfig,
    now: float,
    rng: random.Random | None,
) -> None:
    """Record what becomes of one record in `result` (dead-lettering it at once where that is the answer)."""
    message_id = record.get("messageId", "")
    log = {"message_id": message_id, "status": outcome.status, "code": outcome.code, "target": outcome.target}
    if outcome.incremental is not None:
        result.counts[INCREMENTAL_COPY if outcome.incremental else FULL_COPY] += 1
        log["incremental"] = outcome.incremental
    if outcome.replaced is not None:
        result.counts[BROKEN_COPY_REPLACED] += 1
        log["replaced"] = outcome.replaced
    if outcome.done:
        result.counts[outcome.status] += 1
        logger.info(outcome.reason, extra=log)
        return

    receive_count = record_receive_count(record)
    reason = outcome.reason
    if outcome.status != "failed":
        age = record_age_seconds(record, now)
        give_up = give_up_reason(outcome, receive_count, age, config)
        if give_up is None:
            delay = postpone_delay(
                outcome.status, receive_count, config.wait_delay_max_seconds, rng, config.wait_base_seconds
            )
            # Never past the wait budget: the message is back, and dead-lettered, when copy_wait_max_hours is
            # used up, not a 12-hour quota wait later (the reconciler's re-request suppression assumes so).
            delay = min(delay, max(1, math.ceil(config.max_wait_seconds - age)))
            result.counts[outcome.status] += 1
            result.failures.append(message_id)
            entry = {
                "Id": str(len(result.visibility)),
                "ReceiptHandle": record["receiptHandle"],
                "VisibilityTimeout": delay,
            }
            result.visibility.append((record.get("eventSourceARN", ""), entry))
            if outcome.source_arn is not None and receive_count <= 1:
                result.requests.append((outcome.source_arn, "waiting", reason))
            logger.info(
                f"postponed {delay} s: {reason}", extra={**log, "delay_seconds": delay, "receive_count": receive_count}
            )
            return
        reason = give_up

    if dead_letter(sqs, config, record, outcome.code, reason):
        result.counts["dead_lettered"] += 1
        if outcome.source_arn is not None:
            result.requests.append((outcome.source_arn, "dead_lettered", f"{outcome.code}: {reason}"))
        logger.error(f"dead-lettered: {reason}", extra=log)
    else:
        result.failures.append(message_id)
        logger.error(f"failed, left for the queue's redrive policy: {reason}", extra=log)


def set_visibility(sqs: Any, entries: list[tuple[str, dict[str, Any]]], queue_url: Callable[[str], str]) -> None:
    """Apply the delays, ten at a time; a miss only means the message is back after the queue's default."""
    by_queue: dict[str, list[dict[str, Any]]] = {}
    for queue_arn, entry in entries:
        by_queue.setdefault(queue_arn, []).append(entry)
    for source_arn, queue_entries in by_queue.items():
        try:
            url = queue_url(source_arn)
            for start in range(0, len(queue_entries), SQS_BATCH_LIMIT):
                answer = sqs.change_message_visibility_batch(
                    QueueUrl=url, Entries=queue_entries[start : start + SQS_BATCH_LIMIT]
                )
                for failed in answer.get("Failed", []):
                    logger.warning("could not set a message's delay", extra={"entry": failed})
        except (ClientError, BotoCoreError):
            logger.exception("could not set delays; the messages come back after the queue's visibility timeout")
