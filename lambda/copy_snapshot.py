"""Lambda entry point: copy each new RDS / Aurora snapshot to the destination region.

Accepts an SQS batch whose bodies are EventBridge events (the deployed path; returns partial batch
failures) or a bare EventBridge event (direct invoke). Anything else is refused by name. The handler
only gathers what the runtime gives (environment, clients, clock, randomness) and calls `handle`,
which the benchmark drives with a simulated clock and fake clients; everything else is in `snapshot_copy`.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import boto3

from snapshot_copy import metrics, runtime
from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.copier import start_copy
from snapshot_copy.copy_config import CopyConfig
from snapshot_copy.errors import CopyFailedError, CopyPostponedError, MalformedEventError
from snapshot_copy.events import Ignored, parse_body, parse_event
from snapshot_copy.filters import Decision, Selection, SourceTags
from snapshot_copy.outcomes import Outcome
from snapshot_copy.queue import process_batch, sqs_records
from snapshot_copy.slots import CopySlots, Listing

logger = logging.getLogger("copy_snapshot")


@dataclass(frozen=True)
class Clients:
    source_rds: Any
    destination_rds: Any
    sqs: Any
    # The copy requests table's (source region); None: nothing is recorded (REQUESTS_TABLE unset).
    dynamodb: Any = None
    # Kept between invocations of this container: the destination's copy listing (see slots.py) and
    # the URLs of the queues records came from.
    slot_listings: dict[str, Listing] = field(default_factory=dict)
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


@lru_cache(maxsize=8)
def clients_for(source_region: str, destination_region: str, with_dynamodb: bool = False) -> Clients:
    """Created once per container (and per region pair), reused by every invocation."""
    session = boto3.session.Session()
    return Clients(
        source_rds=session.client("rds", region_name=source_region, config=BOTO_CONFIG),
        destination_rds=session.client("rds", region_name=destination_region, config=BOTO_CONFIG),
        sqs=session.client("sqs", region_name=source_region, config=BOTO_CONFIG),
        dynamodb=session.client("dynamodb", region_name=source_region, config=BOTO_CONFIG) if with_dynamodb else None,
    )


# One generator per container: the jitter of the postponed messages' delays (not a secret).
_RNG = random.Random()  # noqa: S311


def handle_event(
    event: Any, clients: Clients, config: CopyConfig, slots: CopySlots, selection: Selection | None = None
) -> Outcome:
    """One EventBridge event: ignore it, or start (or postpone) its copy. Raises MalformedEventError."""
    parsed = parse_event(event, config.enabled_event_ids)
    if isinstance(parsed, Ignored):
        return Outcome("ignored", "NotACopyEvent", parsed.reason)
    return start_copy(parsed, clients.source_rds, clients.destination_rds, slots, config, selection)


def handle_record(
    record: dict[str, Any], clients: Clients, config: CopyConfig, slots: CopySlots, selection: Selection | None = None
) -> Outcome:
    try:
        body = record.get("body")
        if not isinstance(body, str) or not body:
            raise MalformedEventError(f"SQS record has no body ({body!r})")
        return handle_event(parse_body(body), clients, config, slots, selection)
    except MalformedEventError as exc:
        return Outcome("failed", exc.code, str(exc))
    except Exception as exc:
        logger.exception("unexpected error handling a record", extra={"message_id": record.get("messageId")})
        return Outcome("retry_limited", "UnexpectedError", f"{type(exc).__name__}: {exc}")


def handle(
    event: Any,
    context: Any,
    config: CopyConfig,
    clients: Clients,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    seconds_left: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """The whole invocation, with everything from outside passed in. `seconds_left`: the time to the
    function's timeout (None: the context's, runtime.seconds_left)."""
    slots = CopySlots(clients.destination_rds, config.copy_limits, clients.slot_listings, clock, owner=config.owner)
    selection = Selection(
        config.source_filter, SourceTags(clients.source_rds, clock, clients.source_tags), clients.filter_decisions
    )
    function_name = runtime.function_name(context, "copy_snapshot")

    def count(status: str, replaced: str | None = None) -> None:
        counts = Counter({status: 1})
        if replaced is not None:
            counts[metrics.BROKEN_COPY_REPLACED] += 1
        metrics.emit(counts, config.metric_namespace, function_name, clock)

    try:
        records = sqs_records(event)
    except MalformedEventError:
        count("dead_lettered")
        raise
    if records is not None:
        result = process_batch(
            records,
            lambda record: handle_record(record, clients, config, slots, selection),
            clients.sqs,
            config,
            clients.queue_url,
            now=clock(),
            rng=rng,
            dynamodb=clients.dynamodb,
            seconds_left=seconds_left or runtime.seconds_left(context),
        )
        metrics.emit(result.counts, config.metric_namespace, function_name, clock)
        return result.response()

    try:
        outcome = handle_event(event, clients, config, slots, selection)
    except MalformedEventError:
        count("dead_lettered")
        raise
    count("dead_lettered" if outcome.status == "failed" else outcome.status, outcome.replaced)
    log = {"status": outcome.status, "code": outcome.code, "target": outcome.target, "replaced": outcome.replaced}
    if outcome.done:
        logger.info(outcome.reason, extra=log)
        return {"status": outcome.status, "code": outcome.code, "reason": outcome.reason, "target": outcome.target}
    logger.error(outcome.reason, extra=log)
    if outcome.status == "failed":
        raise CopyFailedError(outcome.reason, outcome.code)
    raise CopyPostponedError(outcome.reason, outcome.code)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    config = CopyConfig.from_env()
    regions = (config.source_region, config.destination_region)
    clients = clients_for(*regions, True) if config.requests_table else clients_for(*regions)
    return handle(event, context, config, clients, time.time, _RNG)
