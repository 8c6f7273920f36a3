"""SQS and Lambda's SQS event source mapping, on the simulated clock.

The queue: messages with a receive count, visibility (received messages are invisible for the queue's
visibility timeout unless ChangeMessageVisibility sets another), receipt handles that change on each
receive, and a redrive policy that moves a message to the dead-letter queue when it is received more
than maxReceiveCount times. The function's client: get_queue_url, change_message_visibility_batch,
send_message (to the dead-letter queue).

The mapping (the Lambda poller): whenever messages are visible and fewer than `maximum_concurrency`
invocations are in flight, it receives up to `batch_size` visible messages (no batching window, the
module's default), invokes the function with an SQS-shaped event, and deletes the records that are not
in the response's batchItemFailures (all of them stay if the invocation fails). Its ReceiveMessage and
DeleteMessageBatch calls are counted apart from the function's.

The reconciler's client (`ReconcilerSqs`): send_message_batch onto the same queue, so its messages reach
the copier through the same mapping. The queue counts every message sent per snapshot, by origin.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .fake_aws import CallStats, FakeClient, Faults, client_error, strict
from .fake_rds import ACCOUNT
from .sim import Sim, Task

SQS_MAX_VISIBILITY_SECONDS = 43200


@dataclass
class Message:
    message_id: str
    body: str
    sent_at: float
    snapshot_arn: str
    receive_count: int = 0
    visible_at: float = 0.0
    receipt: str | None = None
    first_received_at: float | None = None
    deleted: bool = False
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)  # SendMessage's MessageAttributes


@dataclass
class DeadLetter:
    message_id: str
    snapshot_arn: str
    at: float
    by: str  # "function" (with its reason) or "redrive"
    code: str


class DeadLetterQueue:
    """The function sends here itself (with the reason as attributes); the redrive policy moves here too."""

    def __init__(self, name: str, region: str) -> None:
        self.name = name
        self.url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
        self.entries: list[DeadLetter] = []


class Queue:
    def __init__(
        self, sim: Sim, name: str, region: str, visibility_timeout: int, max_receive_count: int, dlq: DeadLetterQueue
    ) -> None:
        self.sim = sim
        self.dlq = dlq
        self.name = name
        self.arn = f"arn:aws:sqs:{region}:{ACCOUNT}:{name}"
        self.url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"
        self.visibility_timeout = visibility_timeout
        self.max_receive_count = max_receive_count
        self.messages: dict[str, Message] = {}
        self.oldest_age_done = 0.0  # longest a message stayed in the queue (deleted or moved)
        self.max_receive_count_seen = 0
        self._visible: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self.on_visible: Callable[[float], None] = lambda when: None
        self.sent: Counter[tuple[str, str]] = Counter()  # (snapshot ARN, origin) -> messages sent

    def send(
        self,
        body: str,
        snapshot_arn: str,
        attributes: dict[str, dict[str, Any]] | None = None,
        origin: str = "event",
    ) -> Message:
        message_id = f"m-{next(self._ids):06d}"
        message = Message(
            message_id, body, self.sim.now, snapshot_arn, visible_at=self.sim.now, attributes=dict(attributes or {})
        )
        self.messages[message_id] = message
        self.sent[(snapshot_arn, origin)] += 1
        self._make_visible_at(message, self.sim.now)
        return message

    def _make_visible_at(self, message: Message, when: float) -> None:
        message.visible_at = when
        heapq.heappush(self._visible, (when, next(self._seq), message.message_id))
        self.on_visible(when)

    def in_queue(self) -> int:
        return len(self.messages)

    def next_visible_at(self) -> float | None:
        self._drop_stale()
        return self._visible[0][0] if self._visible else None

    def has_visible(self) -> bool:
        self._drop_stale()
        return bool(self._visible) and self._visible[0][0] <= self.sim.now

    def _drop_stale(self) -> None:
        while self._visible:
            when, _, message_id = self._visible[0]
            message = self.messages.get(message_id)
            if message is not None and message.visible_at == when:
                return
            heapq.heappop(self._visible)

    def receive(self, max_messages: int) -> list[Message]:
        """Up to max_messages visible messages; those received too often go to the dead-letter queue."""
        now = self.sim.now
        received: list[Message] = []
        while len(received) < max_messages and self.has_visible():
            _, _, message_id = heapq.heappop(self._visible)
            message = self.messages[message_id]
            if message.receive_count >= self.max_receive_count:
                self._remove(message)
                self.dlq.entries.append(DeadLetter(message_id, message.snapshot_arn, now, "redrive", "-"))
                continue
            message.receive_count += 1
            message.receipt = f"{message_id}#{message.receive_count}"
            if message.first_received_at is None:
                message.first_received_at = now
            self._make_visible_at(message, now + self.visibility_timeout)
            received.append(message)
        return received

    def change_visibility(self, receipt: str, timeout: int) -> str | None:
        """None, or the error code."""
        message = self._by_receipt(receipt)
        if message is None:
            return "ReceiptHandleIsInvalid"
        if not 0 <= timeout <= SQS_MAX_VISIBILITY_SECONDS:
            return "InvalidParameterValue"
        self._make_visible_at(message, self.sim.now + timeout)
        return None

    def delete(self, receipt: str) -> bool:
        message = self._by_receipt(receipt)
        if message is None:
            return False
        self._remove(message)
        return True

    def _remove(self, message: Message) -> None:
        del self.messages[message.message_id]
        self.max_receive_count_seen = max(self.max_receive_count_seen, message.receive_count)
        self.oldest_age_done = max(self.oldest_age_done, self.sim.now - message.sent_at)

    def oldest_age(self) -> float:
        """ApproximateAgeOfOldestMessage now."""
        return max((self.sim.now - message.sent_at for message in self.messages.values()), default=0.0)

    def _by_receipt(self, receipt: str) -> Message | None:
        message = self.messages.get(receipt.split("#", 1)[0])
        return message if message is not None and message.receipt == receipt else None


class FunctionSqs(FakeClient):
    """The function's SQS client (its calls are counted with its other AWS calls)."""

    def __init__(
        self, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults, queue: Queue, dlq: DeadLetterQueue
    ) -> None:
        super().__init__("sqs", sim, stats, rng, faults, latency=(0.01, 0.04))
        self.queue = queue
        self.dlq = dlq

    def get_queue_url(self, **kwargs: Any) -> dict[str, Any]:
        strict("get_queue_url", kwargs, {"QueueName", "QueueOwnerAWSAccountId"})

        def answer() -> dict[str, Any]:
            if kwargs["QueueName"] != self.queue.name or kwargs.get("QueueOwnerAWSAccountId", ACCOUNT) != ACCOUNT:
                raise client_error(
                    "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", "GetQueueUrl"
                )
            return {"QueueUrl": self.queue.url}

        return self._call("get_queue_url", "GetQueueUrl", answer)

    def change_message_visibility_batch(self, **kwargs: Any) -> dict[str, Any]:
        strict("change_message_visibility_batch", kwargs, {"QueueUrl", "Entries"})
        entries = kwargs["Entries"]

        def answer() -> dict[str, Any]:
            if kwargs["QueueUrl"] != self.queue.url:
                raise client_error(
                    "AWS.SimpleQueueService.NonExistentQueue",
                    "The specified queue does not exist.",
                    "ChangeMessageVisibilityBatch",
                )
            if not 1 <= len(entries) <= 10:
                raise client_error(
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                    "Maximum number of entries per request are 10.",
                    "ChangeMessageVisibilityBatch",
                )
            successful, failed = [], []
            for entry in entries:
                error = self.queue.change_visibility(entry["ReceiptHandle"], int(entry["VisibilityTimeout"]))
                if error is None:
                    successful.append({"Id": entry["Id"]})
                else:
                    failed.append({"Id": entry["Id"], "Code": error, "SenderFault": True, "Message": error})
            return {"Successful": successful, "Failed": failed}

        return self._call("change_message_visibility_batch", "ChangeMessageVisibilityBatch", answer)

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        strict("send_message", kwargs, {"QueueUrl", "MessageBody", "MessageAttributes"})

        def answer() -> dict[str, Any]:
            if kwargs["QueueUrl"] != self.dlq.url:
                raise client_error(
                    "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", "SendMessage"
                )
            attributes = {
                key: value.get("StringValue", "") for key, value in kwargs.get("MessageAttributes", {}).items()
            }
            try:
                snapshot_arn = json.loads(kwargs["MessageBody"])["detail"]["SourceArn"]
            except (ValueError, KeyError, TypeError):
                snapshot_arn = "(unreadable body)"
            self.dlq.entries.append(
                DeadLetter(
                    attributes.get("source_message_id", ""),
                    snapshot_arn,
                    self.sim.now,
                    "function",
                    attributes.get("error_code", "-"),
                )
            )
            return {"MessageId": f"dlq-{len(self.dlq.entries):06d}"}

        return self._call("send_message", "SendMessage", answer)


class ReconcilerSqs(FakeClient):
    """The reconciler's SQS client: SendMessageBatch onto the copier's queue (its own counts and draws)."""

    def __init__(self, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults, queue: Queue) -> None:
        super().__init__("sqs", sim, stats, rng, faults, latency=(0.01, 0.04))
        self.queue = queue

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        strict("send_message_batch", kwargs, {"QueueUrl", "Entries"})
        entries = kwargs["Entries"]

        def answer() -> dict[str, Any]:
            if kwargs["QueueUrl"] != self.queue.url:
                raise client_error(
                    "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", "SendMessageBatch"
                )
            if not 1 <= len(entries) <= 10:
                raise client_error(
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                    "Maximum number of entries per request are 10.",
                    "SendMessageBatch",
                )
            ids = [entry["Id"] for entry in entries]
            if len(set(ids)) != len(ids):
                raise client_error(
                    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                    "Two or more batch entries in the request have the same Id.",
                    "SendMessageBatch",
                )
            successful = []
            for entry in entries:
                body = entry["MessageBody"]
                try:
                    snapshot_arn = json.loads(body)["detail"]["SourceArn"]
                except (ValueError, KeyError, TypeError):
                    snapshot_arn = "(unreadable body)"
                attributes = entry.get("MessageAttributes") or {}
                origin = attributes.get("origin", {}).get("StringValue", "unknown")
                message = self.queue.send(body, snapshot_arn, attributes, origin=origin)
                successful.append(
                    {
                        "Id": entry["Id"],
                        "MessageId": message.message_id,
                        "MD5OfMessageBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                    }
                )
            return {"Successful": successful, "Failed": []}

        return self._call("send_message_batch", "SendMessageBatch", answer)


@dataclass
class MappingStats:
    receives: int = 0  # ReceiveMessage calls that returned messages (idle long polls are not modelled)
    delete_batches: int = 0
    invocations: int = 0
    failed_invocations: int = 0
    records_handled: int = 0
    max_in_flight: int = 0
    batch_sizes: Counter[int] = field(default_factory=Counter)


class EventSourceMapping:
    def __init__(
        self,
        sim: Sim,
        queue: Queue,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        batch_size: int,
        maximum_concurrency: int,
        region: str,
        epoch: float,
        batching_window: float = 0.0,
    ) -> None:
        self.sim = sim
        self.batching_window = batching_window
        self._buffer: list[Message] = []
        self._deadline: float | None = None
        self.epoch = epoch
        self.queue = queue
        self.invoke = invoke
        self.batch_size = batch_size
        self.maximum_concurrency = maximum_concurrency
        self.region = region
        self.in_flight = 0
        self.stats = MappingStats()
        self.errors: list[BaseException] = []
        self._next_wake = math.inf
        queue.on_visible = self._wake_at

    def _wake_at(self, when: float) -> None:
        """Keep one wake-up pending, at the earliest time a message becomes visible."""
        if when < self._next_wake:
            self._next_wake = when
            self.sim.at(when, self._wake)

    def _wake(self) -> None:
        if self.sim.now < self._next_wake:
            return  # superseded by an earlier wake-up
        self._next_wake = math.inf
        self.poll()
        self._schedule_next()

    def _schedule_next(self) -> None:
        if self.in_flight >= self.maximum_concurrency:
            return  # the end of an invocation polls again
        upcoming = self.queue.next_visible_at()
        if upcoming is not None:
            self._wake_at(upcoming)

    def poll(self) -> None:
        """Receive and invoke while there is capacity. With a batching window, records gather (received,
        so invisible) until the batch is full or the window, counted from the first, has passed."""
        while True:
            if self.batching_window > 0:
                while len(self._buffer) < self.batch_size and self.queue.has_visible():
                    self.stats.receives += 1
                    self._buffer.extend(self.queue.receive(self.batch_size - len(self._buffer)))
                if self._buffer and self._deadline is None:
                    self._deadline = self.sim.now + self.batching_window
                    self.sim.at(self._deadline, self.poll)
            if self.in_flight >= self.maximum_concurrency:
                return
            if self.batching_window > 0:
                if not self._buffer or self._deadline is None:
                    return
                if len(self._buffer) < self.batch_size and self.sim.now < self._deadline:
                    return
                batch, self._buffer, self._deadline = self._buffer, [], None
            else:
                if not self.queue.has_visible():
                    return
                self.stats.receives += 1
                batch = self.queue.receive(self.batch_size)
                if not batch:
                    continue
            self._invoke(batch)

    def _invoke(self, batch: list[Message]) -> None:
        self.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.in_flight)
        self.stats.invocations += 1
        self.stats.records_handled += len(batch)
        self.stats.batch_sizes[len(batch)] += 1
        event = {"Records": [self._record(message) for message in batch]}
        self.sim.spawn(lambda: self.invoke(event), lambda task: self._done(task, batch))

    def _record(self, message: Message) -> dict[str, Any]:
        return {
            "messageId": message.message_id,
            "receiptHandle": message.receipt,
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(message.receive_count),
                "SentTimestamp": str(int((self.epoch + message.sent_at) * 1000)),
                "SenderId": "AIDAEVENTBRIDGE",
                "ApproximateFirstReceiveTimestamp": str(int((self.epoch + (message.first_received_at or 0)) * 1000)),
            },
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType", "String"),
                }
                for name, value in message.attributes.items()
            },
            "md5OfBody": hashlib.md5(message.body.encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.arn,
            "awsRegion": self.region,
        }

    def _done(self, task: Task, batch: list[Message]) -> None:
        self.in_flight -= 1
        failures: set[str] | None = None
        if task.error is not None:
            self.stats.failed_invocations += 1
            self.errors.append(task.error)
        else:
            failures = parse_failures(task.result, {message.message_id for message in batch})
        if failures is not None:
            to_delete = [message for message in batch if message.message_id not in failures]
            for start in range(0, len(to_delete), 10):
                self.stats.delete_batches += 1
                for message in to_delete[start : start + 10]:
                    self.queue.delete(message.receipt or "")
        self.poll()
        self._schedule_next()


def parse_failures(response: Any, batch_ids: set[str]) -> set[str] | None:
    """The records to keep, or None where Lambda treats the whole batch as failed."""
    if response is None:
        return set()
    try:
        items = response.get("batchItemFailures", [])
        ids = {item["itemIdentifier"] for item in items}
    except (AttributeError, KeyError, TypeError):
        return None
    if not ids <= batch_ids:
        return None
    return ids


def event_body(
    snapshot_arn: str, identifier: str, when_iso: str, event_uuid: str, region: str, account: str = ACCOUNT
) -> str:
    """An EventBridge RDS-EVENT-0091 event, as EventBridge puts it on the queue (of `account`'s bus)."""
    return json.dumps(
        {
            "version": "0",
            "id": event_uuid,
            "detail-type": "RDS DB Snapshot Event",
            "source": "aws.rds",
            "account": account,
            "time": when_iso,
            "region": region,
            "resources": [snapshot_arn],
            "detail": {
                "EventCategories": ["creation"],
                "SourceType": "SNAPSHOT",
                "SourceArn": snapshot_arn,
                "Date": when_iso,
                "Message": "Automated snapshot created",
                "SourceIdentifier": identifier,
                "EventID": "RDS-EVENT-0091",
            },
        }
    )
