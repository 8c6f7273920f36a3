"""Lambda entry point: copy each new RDS / Aurora snapshot to the destination region.

Accepts an SQS batch whose bodies are EventBridge events (the deployed path; returns partial batch
failures) or a bare EventBridge event (direct invoke). Everything else lives in `snapshot_copy`.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from snapshot_copy import metrics
from snapshot_copy.config import Config
from snapshot_copy.copier import start_copy
from snapshot_copy.errors import CopyFailedError, CopyPostponedError, MalformedEventError
from snapshot_copy.events import Ignored, parse_body, parse_event
from snapshot_copy.outcomes import Outcome
from snapshot_copy.queue import process_batch
from snapshot_copy.slots import CopySlots, Listing

logger = logging.getLogger("copy_snapshot")

# Standard retry mode absorbs short throttling inside one call; longer trouble goes back to the queue.
BOTO_CONFIG = BotoConfig(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


@dataclass(frozen=True)
class Clients:
    source_rds: Any
    destination_rds: Any
    sqs: Any
    # The destination's copy listing, kept between invocations of this container (see slots.py).
    slot_listings: dict[str, Listing] = field(default_factory=dict)


@lru_cache(maxsize=8)
def clients_for(source_region: str, destination_region: str) -> Clients:
    """Created once per container (and per region pair), reused by every invocation."""
    session = boto3.session.Session()
    return Clients(
        source_rds=session.client("rds", region_name=source_region, config=BOTO_CONFIG),
        destination_rds=session.client("rds", region_name=destination_region, config=BOTO_CONFIG),
        sqs=session.client("sqs", region_name=source_region, config=BOTO_CONFIG),
    )


_queue_urls: dict[str, str] = {}


def queue_url_for(sqs: Any, queue_arn: str) -> str:
    """The URL of the queue a record came from, looked up once per container."""
    if queue_arn not in _queue_urls:
        _, _, _, _, account, name = queue_arn.split(":", 5)
        _queue_urls[queue_arn] = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return _queue_urls[queue_arn]


def handle_event(event: Any, clients: Clients, config: Config, slots: CopySlots) -> Outcome:
    """One EventBridge event: ignore it, or start (or postpone) its copy. Raises MalformedEventError."""
    parsed = parse_event(event, config.enabled_event_ids)
    if isinstance(parsed, Ignored):
        return Outcome("ignored", "NotACopyEvent", parsed.reason)
    return start_copy(parsed, clients.source_rds, clients.destination_rds, slots, config)


def handle_record(record: dict[str, Any], clients: Clients, config: Config, slots: CopySlots) -> Outcome:
    try:
        return handle_event(parse_body(record.get("body")), clients, config, slots)
    except MalformedEventError as exc:
        return Outcome("failed", exc.code, str(exc))
    except Exception as exc:
        logger.exception("unexpected error handling a record", extra={"message_id": record.get("messageId")})
        return Outcome("retry_limited", "UnexpectedError", f"{type(exc).__name__}: {exc}")


def is_sqs_batch(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get("Records"), list)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    config = Config.from_env()
    clients = clients_for(config.source_region, config.destination_region)
    slots = CopySlots(
        clients.destination_rds,
        {"db": config.max_db_copies_in_progress, "cluster": config.max_cluster_copies_in_progress},
        clients.slot_listings,
    )
    function_name = getattr(context, "function_name", None) or os.environ.get(
        "AWS_LAMBDA_FUNCTION_NAME", "copy_snapshot"
    )

    if is_sqs_batch(event):
        result = process_batch(
            event["Records"],
            lambda record: handle_record(record, clients, config, slots),
            clients.sqs,
            config,
            lambda queue_arn: queue_url_for(clients.sqs, queue_arn),
        )
        metrics.emit(result.counts, config.metric_namespace, function_name)
        return result.response()

    try:
        outcome = handle_event(event, clients, config, slots)
    except MalformedEventError:
        metrics.emit(Counter({"dead_lettered": 1}), config.metric_namespace, function_name)
        raise
    metrics.emit(
        Counter({"dead_lettered" if outcome.status == "failed" else outcome.status: 1}),
        config.metric_namespace,
        function_name,
    )
    log = {"status": outcome.status, "code": outcome.code, "target": outcome.target}
    if outcome.done:
        logger.info(outcome.reason, extra=log)
        return {"status": outcome.status, "code": outcome.code, "reason": outcome.reason, "target": outcome.target}
    logger.error(outcome.reason, extra=log)
    if outcome.status == "failed":
        raise CopyFailedError(outcome.reason, outcome.code)
    raise CopyPostponedError(outcome.reason, outcome.code)
