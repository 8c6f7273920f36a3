"""One invocation of the copier: an SQS batch (the deployed path; partial batch failures) or one bare
EventBridge event (a direct invoke), each event ignored, copied or postponed (copier.start_copy), the
batch settled (queue.process_batch) and the metrics written.

`copy_snapshot.lambda_handler` builds the clients and the Runtime and calls `handle`; the benchmark calls
it with fake clients and a simulated clock. A record's body is parsed here, once: its Outcome carries the
source ARN on to the queue's bookkeeping.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from . import metrics
from .copier import start_copy
from .copy_config import CopyConfig
from .errors import CopyFailedError, CopyPostponedError, MalformedEventError
from .events import Ignored, parse_body, parse_event, source_arn_of
from .filters import Decision, Selection, SourceTags
from .outcomes import Outcome
from .queue import process_batch, sqs_records
from .runtime import Runtime
from .slots import CopySlots, Listing, Reading

# Named for the function, as before this code left the entry file: log filters and queries keep working.
logger = logging.getLogger("copy_snapshot")


@dataclass(frozen=True)
class Clients:
    source_rds: Any
    destination_rds: Any
    sqs: Any
    # The copy requests table's (source region); None: nothing is recorded (REQUESTS_TABLE unset).
    dynamodb: Any = None
    # Kept between invocations of this container: the destination's copy listing (see slots.py), the one
    # being read across invocations, and the URLs of the queues records came from.
    slot_listings: dict[str, Listing] = field(default_factory=dict)
    slot_readings: dict[str, Reading] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    # The source filter's memory: the sources' tags, and the decision for each snapshot.
    source_tags: dict[str, Any] = field(default_factory=dict)
    filter_decisions: dict[str, Decision] = field(default_factory=dict)

    def queue_url(self, queue_arn: str) -> str:
        """The URL of the queue a record came from, looked up once per container."""
        if queue_arn not in self.queue_urls:
            _, _, _, _, account, name = queue_arn.split(":", 5)
            self.queue_urls[queue_arn] = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
                "QueueUrl"
            ]
        return self.queue_urls[queue_arn]


def handle_event(
    event: Any,
    clients: Clients,
    config: CopyConfig,
    slots: CopySlots,
    selection: Selection | None = None,
    own_account: str | None = None,
) -> Outcome:
    """One EventBridge event: ignore it, or start (or postpone) its copy (`own_account`: the function's, for
    copier.start_copy's account rule). Raises MalformedEventError."""
    parsed = parse_event(event, config.enabled_event_ids)
    if isinstance(parsed, Ignored):
        return Outcome("ignored", "NotACopyEvent", parsed.reason)
    return start_copy(parsed, clients.source_rds, clients.destination_rds, slots, config, selection, own_account)


def handle_record(
    record: dict[str, Any],
    clients: Clients,
    config: CopyConfig,
    slots: CopySlots,
    selection: Selection | None = None,
    own_account: str | None = None,
) -> Outcome:
    """One SQS record: its Outcome, never an exception (a bug in one record must not stop the batch), with the
    source ARN its event names, read even from an event refused as malformed (the dead-letter's record)."""
    source_arn = None
    try:
        body = record.get("body")
        if not isinstance(body, str) or not body:
            raise MalformedEventError(f"SQS record has no body ({body!r})")
        event = parse_body(body)
        source_arn = source_arn_of(event)
        outcome = handle_event(event, clients, config, slots, selection, own_account)
    except MalformedEventError as exc:
        outcome = Outcome("failed", exc.code, str(exc))
    except Exception as exc:
        logger.exception("unexpected error handling a record", extra={"message_id": record.get("messageId")})
        outcome = Outcome("retry_limited", "UnexpectedError", f"{type(exc).__name__}: {exc}")
    return replace(outcome, source_arn=source_arn)


def handle(
    event: Any, config: CopyConfig, clients: Clients, runtime: Runtime, rng: random.Random | None = None
) -> dict[str, Any]:
    """The whole invocation, with everything from outside passed in. `rng`: the jitter of the postponed
    messages' delays (None: the random module's)."""
    clock = runtime.clock
    slots = CopySlots(
        clients.destination_rds,
        config.copy_limits,
        clients.slot_listings,
        clock,
        owner=config.owner,
        seconds_left=runtime.seconds_left,
        readings=clients.slot_readings,
    )
    selection = Selection(
        config.source_filter, SourceTags(clients.source_rds, clock, clients.source_tags), clients.filter_decisions
    )

    def count(status: str, replaced: str | None = None, incremental: bool | None = None) -> None:
        counts = Counter({status: 1})
        if replaced is not None:
            counts[metrics.BROKEN_COPY_REPLACED] += 1
        if incremental is not None:
            counts[metrics.INCREMENTAL_COPY if incremental else metrics.FULL_COPY] += 1
        metrics.emit(counts, config.metric_namespace, runtime.function_name, clock)

    try:
        records = sqs_records(event)
    except MalformedEventError:
        count("dead_lettered")
        raise
    if records is not None:
        result = process_batch(
            records,
            lambda record: handle_record(record, clients, config, slots, selection, runtime.account_id),
            clients.sqs,
            config,
            clients.queue_url,
            now=clock(),
            rng=rng,
            dynamodb=clients.dynamodb,
            seconds_left=runtime.seconds_left,
        )
        metrics.emit(result.counts, config.metric_namespace, runtime.function_name, clock)
        return result.response()

    try:
        outcome = handle_event(event, clients, config, slots, selection, runtime.account_id)
    except MalformedEventError:
        count("dead_lettered")
        raise
    count("dead_lettered" if outcome.status == "failed" else outcome.status, outcome.replaced, outcome.incremental)
    log = {
        "status": outcome.status,
        "code": outcome.code,
        "target": outcome.target,
        "replaced": outcome.replaced,
        "incremental": outcome.incremental,
    }
    if outcome.done:
        logger.info(outcome.reason, extra=log)
        return {"status": outcome.status, "code": outcome.code, "reason": outcome.reason, "target": outcome.target}
    logger.error(outcome.reason, extra=log)
    if outcome.status == "failed":
        raise CopyFailedError(outcome.reason, outcome.code)
    raise CopyPostponedError(outcome.reason, outcome.code)
