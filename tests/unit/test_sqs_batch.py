"""SQS batches: partial batch responses, dead-lettering with reasons, visibility delays, malformed bodies."""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any

import pytest

from snapshot_copy.copy_config import CopyConfig as Config
from snapshot_copy.errors import MalformedEventError
from snapshot_copy.events import snapshot_arn_of
from snapshot_copy.naming import target_identifier
from snapshot_copy.outcomes import Outcome
from snapshot_copy.queue import (
    JITTER_FLOOR,
    RETRY_BASE_SECONDS,
    WAIT_BASE_SECONDS,
    give_up_reason,
    postpone_delay,
    process_batch,
    record_age_seconds,
    record_receive_count,
)

from .harness import (
    CallRecorder,
    db_event,
    dlq_attributes,
    failures,
    handler_clients,
    invoke,
    load_event,
    only_metrics,
    our_copies,
    set_destination_status,
    sqs_event,
    tag_dict,
)

KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CONFIG = Config.from_env(
    {"SOURCE_REGION": "us-east-1", "DESTINATION_REGION": "us-west-2", "DESTINATION_REGION_KMS_KEY_ID": KEY}
)


def test_record_builder_has_lambdas_sqs_shape(queues) -> None:
    (record,) = queues.records([{"a": 1}])
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["eventSource"] == "aws:sqs"
    assert json.loads(record["body"]) == {"a": 1}


def test_batch_of_mixed_events_copies_the_good_ones_and_dead_letters_the_bad(
    with_dlq, sources, destination_rds, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    first = sources.db_snapshot("batch-a")
    second = sources.cluster_snapshot("batch-b")
    bodies = [
        db_event(first),
        load_event("malformed_no_source_arn"),
        load_event("db_snapshot_deleted"),
        "this is not JSON",
        load_event("malformed_bad_source_arn"),
        load_event("cluster_snapshot_manual_created", second["DBClusterSnapshotArn"]),
        load_event("non_rds_event"),
    ]
    records = with_dlq.records(bodies)
    response = invoke(sqs_event(records))
    assert response == {"batchItemFailures": []}
    assert [tag_dict(c)["source_snapshot_arn"] for c in our_copies(destination_rds)] == [first["DBSnapshotArn"]]
    assert [tag_dict(c)["source_snapshot_arn"] for c in our_copies(destination_rds, "cluster")] == [
        second["DBClusterSnapshotArn"]
    ]
    dead = {d["Body"]: dlq_attributes(d) for d in with_dlq.dead_letters()}
    assert set(dead) == {records[1]["body"], records[3]["body"], records[4]["body"]}
    assert {a["error_code"] for a in dead.values()} == {"MalformedEvent"}
    assert "SourceArn" in dead[records[1]["body"]]["error_reason"]
    assert "JSON" in dead[records[3]["body"]]["error_reason"]
    assert "not-an-arn" in dead[records[4]["body"]]["error_reason"]
    metrics = only_metrics(capsys)
    assert (metrics.CopiesStarted, metrics.DeadLettered, metrics.EventsIgnored) == (2, 3, 2)


def test_without_dlq_malformed_records_are_batch_failures(function_env: dict, queues, sources, destination_rds) -> None:
    good = sources.db_snapshot("nodlq-good")
    records = queues.records([load_event("malformed_no_source_arn"), db_event(good), "{not json"])
    response = invoke(sqs_event(records))
    assert failures(response) == {records[0]["messageId"], records[2]["messageId"]}
    assert len(our_copies(destination_rds)) == 1
    # failed records are not postponed: visibility untouched, the redrive policy moves them
    assert queues.visible_in(records[0]["messageId"]) > 43000
    assert queues.dead_letters() == []


def test_ignored_events_are_done_and_logged(
    function_env: dict, queues, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    records = queues.records([load_event("db_snapshot_creating_manual"), load_event("db_snapshot_deleted")])
    assert invoke(sqs_event(records)) == {"batchItemFailures": []}
    reasons = [r.getMessage() for r in caplog.records if getattr(r, "status", None) == "ignored"]
    assert len(reasons) == 2
    assert any("RDS-EVENT-0040" in r for r in reasons) and any("RDS-EVENT-0041" in r for r in reasons)
    assert only_metrics(capsys).EventsIgnored == 2


def test_disabled_event_in_a_batch_is_ignored(
    function_env: dict, queues, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENABLED_EVENT_IDS", "RDS-EVENT-0091")
    records = queues.records([db_event(sources.db_snapshot("disabled-1"))])
    assert invoke(sqs_event(records)) == {"batchItemFailures": []}
    assert our_copies(destination_rds) == []


@pytest.mark.parametrize("body", ["[1, 2]", "null", "42", "{not json"])
def test_odd_bodies_are_dead_lettered(
    body: Any, with_dlq, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    (record,) = with_dlq.records(["placeholder"])
    record["body"] = body
    assert invoke(sqs_event([record])) == {"batchItemFailures": []}
    (dead,) = with_dlq.dead_letters()
    assert dlq_attributes(dead)["error_code"] == "MalformedEvent"
    assert only_metrics(capsys).DeadLettered == 1


@pytest.mark.parametrize("body", [None, ""])
def test_a_record_without_a_body_is_left_for_the_redrive_policy(
    body: Any, with_dlq, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQS never delivers one; if it came, there would be nothing to dead-letter but a placeholder, so the
    # record is reported back and the queue's redrive policy moves the whole message.
    (record,) = with_dlq.records(["placeholder"])
    record["body"] = body
    capsys.readouterr()
    assert failures(invoke(sqs_event([record]))) == {record["messageId"]}
    assert with_dlq.dead_letters() == []


def test_empty_batch(
    function_env: dict, queues, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    assert invoke({"Records": []}) == {"batchItemFailures": []}
    assert only_metrics(capsys).CopiesStarted == 0


def test_postponed_records_get_their_visibility_changed_in_batches_of_ten(
    function_env: dict, queues, sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    events = [db_event(sources.db_snapshot(f"vis-{i}")) for i in range(13)]
    records = queues.records(events)
    sqs_calls = CallRecorder(handler_clients().sqs)
    response = invoke(sqs_event(records))
    # one copy starts (limit 1), the other 12 wait
    assert len(failures(response)) == 12
    batches = sqs_calls.params("ChangeMessageVisibilityBatch")
    assert [len(b["Entries"]) for b in batches] == [10, 2]
    assert {b["QueueUrl"] for b in batches} == {queues.url}
    entries = [e for b in batches for e in b["Entries"]]
    assert len({e["Id"] for e in entries}) == 12
    handles = {r["receiptHandle"]: r["messageId"] for r in records}
    assert {handles[e["ReceiptHandle"]] for e in entries} == failures(response)
    for record in records:
        if record["messageId"] in failures(response):
            assert 29 <= queues.visible_in(record["messageId"]) <= 60
    # the queue URL is looked up once per container
    assert len(sqs_calls.params("GetQueueUrl")) == 1
    invoke(sqs_event(queues.records([events[0]])))
    assert len(sqs_calls.params("GetQueueUrl")) == 1
    assert handler_clients().queue_urls == {queues.arn: queues.url}


def test_dlq_send_failure_leaves_the_record_in_the_queue(
    function_env: dict, queues, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queues.url.replace("rds-snapshot-copy", "no-such-queue"))
    (record,) = queues.records([load_event("malformed_no_source_arn")])
    response = invoke(sqs_event([record]))
    assert failures(response) == {record["messageId"]}
    assert any("dead-letter" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_visibility_failure_does_not_fail_the_batch(
    function_env: dict, queues, sources, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    records = queues.records([db_event(sources.db_snapshot(f"visfail-{i}")) for i in range(2)])
    records[1]["eventSourceARN"] = queues.arn.replace("rds-snapshot-copy", "gone-queue")
    response = invoke(sqs_event(records))
    assert failures(response) == {records[1]["messageId"]}
    assert any("could not set delays" in r.getMessage() for r in caplog.records)


# ---- the pure parts ----


@pytest.mark.parametrize("status", ["wait", "retry", "retry_limited"])
def test_postpone_delay_grows_with_receive_count_and_is_capped(status: str) -> None:
    rng = random.Random(7)
    base = WAIT_BASE_SECONDS if status == "wait" else RETRY_BASE_SECONDS
    cap = 900
    previous_ceiling = 0
    for receive_count in range(1, 30):
        ceiling = min(cap, base * 2 ** (receive_count - 1))
        delays = [postpone_delay(status, receive_count, cap, rng) for _ in range(50)]
        assert all(ceiling / 2 - 1 <= d <= ceiling for d in delays), (receive_count, delays)
        assert ceiling >= previous_ceiling
        previous_ceiling = ceiling
    assert postpone_delay(status, 10**6, cap, rng) <= cap


def test_wait_delay_cap_follows_config() -> None:
    rng = random.Random(1)
    assert all(postpone_delay("wait", 20, 100, rng) <= 100 for _ in range(100))
    assert max(postpone_delay("wait", 20, 43200, rng) for _ in range(100)) > 900  # waits may exceed the retry cap
    assert all(postpone_delay("retry", 20, 43200, rng) <= 900 for _ in range(100))
    assert all(postpone_delay("wait", 5, 1, rng) == 1 for _ in range(10))


def test_give_up_reason() -> None:
    wait = Outcome("wait", "CopySlotsFull", "slots full")
    limited = Outcome("retry_limited", "AccessDenied", "denied")
    assert give_up_reason(wait, 1, 0, CONFIG) is None
    assert give_up_reason(wait, CONFIG.max_error_tries, 0, CONFIG) is None  # only retry_limited counts tries
    assert "tries" in give_up_reason(limited, CONFIG.max_error_tries, 0, CONFIG)
    assert "receives" in give_up_reason(wait, CONFIG.max_receive_count, 0, CONFIG)
    assert "waiting" in give_up_reason(wait, 1, CONFIG.max_wait_seconds, CONFIG)
    assert give_up_reason(wait, CONFIG.max_receive_count - 1, CONFIG.max_wait_seconds - 1, CONFIG) is None


def test_record_attributes_are_read_defensively() -> None:
    assert record_receive_count({"attributes": {"ApproximateReceiveCount": "4"}}) == 4
    assert record_receive_count({}) == 1
    assert record_receive_count({"attributes": {"ApproximateReceiveCount": "x"}}) == 1
    now = time.time()
    assert record_age_seconds({"attributes": {"SentTimestamp": str(int((now - 100) * 1000))}}, now) == pytest.approx(
        100, abs=1
    )
    assert record_age_seconds({}, now) == 0
    assert record_age_seconds({"attributes": {"SentTimestamp": str(int((now + 100) * 1000))}}, now) == 0


def test_process_batch_with_fakes() -> None:
    """process_batch alone, with a fake SQS client: what it sends where."""

    class FakeSqs:
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []
            self.visibility: list[dict[str, Any]] = []

        def send_message(self, **kwargs: Any) -> dict[str, str]:
            self.sent.append(kwargs)
            return {"MessageId": "m"}

        def change_message_visibility_batch(self, **kwargs: Any) -> dict[str, Any]:
            self.visibility.append(kwargs)
            return {"Successful": [], "Failed": []}

    outcomes = {
        "1": Outcome("started", "CopyStarted", "ok"),
        "2": Outcome("wait", "CopySlotsFull", "full"),
        "3": Outcome("failed", "MalformedEvent", "bad"),
        "4": Outcome("retry", "Throttling", "slow"),
    }
    records = [
        {
            "messageId": mid,
            "receiptHandle": f"rh-{mid}",
            "body": f"body-{mid}",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
        }
        for mid in outcomes
    ]
    sqs = FakeSqs()
    config = Config.from_env(
        {
            "SOURCE_REGION": "us-east-1",
            "DESTINATION_REGION": "us-west-2",
            "DESTINATION_REGION_KMS_KEY_ID": KEY,
            "DEAD_LETTER_QUEUE_URL": "https://dlq",
        }
    )
    result = process_batch(records, lambda r: outcomes[r["messageId"]], sqs, config, lambda arn: f"url:{arn}")
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "4"}]}
    (sent,) = sqs.sent
    assert sent["QueueUrl"] == "https://dlq" and sent["MessageBody"] == "body-3"
    assert sent["MessageAttributes"]["error_code"] == {"DataType": "String", "StringValue": "MalformedEvent"}
    assert sent["MessageAttributes"]["error_reason"]["StringValue"] == "bad"
    (visibility,) = sqs.visibility
    assert visibility["QueueUrl"] == "url:arn:aws:sqs:us-east-1:123456789012:q"
    assert [e["ReceiptHandle"] for e in visibility["Entries"]] == ["rh-2", "rh-4"]
    assert dict(result.counts) == {"started": 1, "wait": 1, "dead_lettered": 1, "retry": 1}


def test_the_table_records_the_arn_each_outcome_carries_never_reading_the_body_again() -> None:
    """Data flows one way: the record's body is parsed once (copy_handler.handle_record), and the queue records
    the source ARN its Outcome carries, whatever the body holds."""

    class Fake:
        def __init__(self) -> None:
            self.items: list[dict[str, Any]] = []

        def send_message(self, **kwargs: Any) -> dict[str, str]:
            return {"MessageId": "m"}

        def change_message_visibility_batch(self, **kwargs: Any) -> dict[str, Any]:
            return {"Successful": [], "Failed": []}

        def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
            self.items.extend(r["PutRequest"]["Item"] for r in kwargs["RequestItems"]["requests"])
            return {"UnprocessedItems": {}}

    arn = "arn:aws:rds:us-east-1:123456789012:snapshot:"
    other = json.dumps({"detail": {"SourceArn": f"{arn}named-by-the-body"}})
    outcomes = {
        "1": (Outcome("wait", "CopySlotsFull", "full", source_arn=f"{arn}waits"), "not json"),
        "2": (Outcome("failed", "TargetNameTaken", "taken", source_arn=f"{arn}dead"), other),
        "3": (Outcome("wait", "CopySlotsFull", "full"), other),  # no ARN on the Outcome: nothing recorded
    }
    records = [
        {
            "messageId": mid,
            "receiptHandle": f"rh-{mid}",
            "body": body,
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
        }
        for mid, (_, body) in outcomes.items()
    ]
    fake = Fake()
    config = Config.from_env(
        {
            "SOURCE_REGION": "us-east-1",
            "DESTINATION_REGION": "us-west-2",
            "DESTINATION_REGION_KMS_KEY_ID": KEY,
            "DEAD_LETTER_QUEUE_URL": "https://dlq",
            "REQUESTS_TABLE": "requests",
        }
    )
    process_batch(records, lambda r: outcomes[r["messageId"]][0], fake, config, lambda a: "url", dynamodb=fake)
    recorded = {item["source_snapshot_arn"]["S"]: item["state"]["S"] for item in fake.items}
    assert recorded == {f"{arn}waits": "waiting", f"{arn}dead": "dead_lettered"}


SNAPSHOT_ARN = "arn:aws:rds:us-east-1:123456789012:snapshot:s"
# Refused as malformed (wrong detail-type), yet it names its snapshot: the dead-letter's record says which.
WRONG_DETAIL_TYPE = {
    "source": "aws.rds",
    "detail-type": "x",
    "detail": {"EventID": "RDS-EVENT-0042", "SourceArn": SNAPSHOT_ARN},
}


@pytest.mark.parametrize(
    ("body", "status", "arn"),
    [
        (json.dumps(WRONG_DETAIL_TYPE), "failed", SNAPSHOT_ARN),
        ("not json", "failed", None),
        (json.dumps({"detail": {"SourceArn": "not-an-arn"}}), "ignored", None),
    ],
)
def test_a_records_outcome_carries_the_source_arn_its_body_names(body: str, status: str, arn: str | None) -> None:
    from snapshot_copy.copy_handler import handle_record

    config = Config.from_env(
        {"SOURCE_REGION": "us-east-1", "DESTINATION_REGION": "us-west-2", "DESTINATION_REGION_KMS_KEY_ID": KEY}
    )
    outcome = handle_record({"messageId": "1", "body": body}, None, config, None)  # type: ignore[arg-type]
    assert (outcome.status, outcome.source_arn) == (status, arn)


SNS_ENVELOPE = {
    "Records": [
        {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:rds-events:5f2c7a4e",
            "Sns": {
                "Type": "Notification",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:rds-events",
                "Subject": "RDS Notification Message",
                "Message": '{"Event Source":"db-snapshot","Event ID":"RDS-EVENT-0042"}',
            },
        }
    ]
}


def test_an_sns_envelope_is_refused_by_name_not_read_as_sqs(
    function_env: dict, with_dlq, capsys: pytest.CaptureFixture[str]
) -> None:
    # Older RDS event subscriptions deliver through SNS: `Records` too, but no SQS message to settle.
    capsys.readouterr()
    with pytest.raises(MalformedEventError, match=r"1 record\(s\) from aws:sns, not aws:sqs"):
        invoke(SNS_ENVELOPE)
    assert with_dlq.dead_letters() == []  # nothing dead-lettered as a placeholder
    assert only_metrics(capsys).DeadLettered == 1  # the DeadLettered alarm still fires


def test_a_batch_mixing_sqs_and_other_records_is_refused(function_env: dict, queues, sources) -> None:
    (record,) = queues.records([db_event(sources.db_snapshot("mixed-1"))])
    with pytest.raises(MalformedEventError, match="aws:sns"):
        invoke({"Records": [record, SNS_ENVELOPE["Records"][0]]})


def test_an_sqs_record_without_a_receipt_handle_is_refused(function_env: dict, queues, sources) -> None:
    (record,) = queues.records([db_event(sources.db_snapshot("no-handle-1"))])
    del record["receiptHandle"]
    with pytest.raises(MalformedEventError, match="receiptHandle"):
        invoke(sqs_event([record]))


def test_metrics_reach_stdout_whatever_the_log_level(
    function_env: dict, queues, sources, capsys: pytest.CaptureFixture[str]
) -> None:
    # Lambda's application log level WARN drops INFO records; the EMF line must not be one of them.
    names = ("", "copy_snapshot", "snapshot_copy")
    levels = [logging.getLogger(name).level for name in names]
    for name in names:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        capsys.readouterr()
        invoke(sqs_event(queues.records([db_event(sources.db_snapshot("warn-level-1"))])))
        assert only_metrics(capsys).CopiesStarted == 1
    finally:
        for name, level in zip(names, levels, strict=True):
            logging.getLogger(name).setLevel(level)


# ---- the invocation's deadline ----


class Deadline:
    """A Lambda context whose time left drops to `after` once the destination has been asked for a copy."""

    function_name = "rds-snapshot-copy"

    def __init__(self, calls: CallRecorder, before: float = 60, after: float = 10) -> None:
        self.calls, self.before, self.after = calls, before, after

    def get_remaining_time_in_millis(self) -> int:
        copying = self.calls.params("CopyDBSnapshot")
        return int(1000 * (self.after if copying else self.before))


def test_records_are_not_started_past_the_deadline(
    function_env: dict, queues, sources, destination_rds, caplog: pytest.LogCaptureFixture
) -> None:
    # 0.4.0 went on to the end of the batch whatever the time left: the timeout then lost the delays and the
    # table writes of the records it had settled.
    caplog.set_level(logging.INFO)
    records = queues.records([db_event(sources.db_snapshot(f"deadline-{i}")) for i in range(3)])
    context = Deadline(CallRecorder(handler_clients().destination_rds))
    response = invoke(sqs_event(records), context=context)
    assert failures(response) == {records[1]["messageId"], records[2]["messageId"]}
    assert len(our_copies(destination_rds)) == 1
    for record in records[1:]:  # untouched: back after the queue's visibility timeout
        assert queues.visible_in(record["messageId"]) > 43000
    (warning,) = [r for r in caplog.records if getattr(r, "not_started", None)]
    assert warning.not_started == 2 and "2 record(s) not started" in warning.getMessage()


def test_a_short_timeout_still_starts_records(function_env: dict, queues, sources, destination_rds) -> None:
    # lambda_timeout may be 10 s: the margin is at most a third of the time there was at the start.
    records = queues.records([db_event(sources.db_snapshot(f"short-{i}")) for i in range(3)])
    context = Deadline(CallRecorder(handler_clients().destination_rds), before=10, after=9)
    assert invoke(sqs_event(records), context=context) == {"batchItemFailures": []}
    assert len(our_copies(destination_rds)) == 3


def test_past_the_deadline_the_settled_records_still_get_their_delays_and_table_writes() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, Any]]] = []

        def change_message_visibility_batch(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append(("visibility", kwargs))
            return {"Successful": [], "Failed": []}

        def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append(("table", kwargs))
            return {"UnprocessedItems": {}}

    left = [60.0]

    def handle(record: dict[str, Any]) -> Outcome:
        left[0] = 5.0  # the first record took the time
        return Outcome("wait", "CopySlotsFull", "full", source_arn=snapshot_arn_of(record["body"]))

    now = time.time()
    records = [
        {
            "messageId": mid,
            "receiptHandle": f"rh-{mid}",
            "body": json.dumps({"detail": {"SourceArn": f"arn:aws:rds:us-east-1:123456789012:snapshot:s{mid}"}}),
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(now * 1000))},
        }
        for mid in "123"
    ]
    fake = Recorder()
    config = Config.from_env(
        {
            "SOURCE_REGION": "us-east-1",
            "DESTINATION_REGION": "us-west-2",
            "DESTINATION_REGION_KMS_KEY_ID": KEY,
            "REQUESTS_TABLE": "requests",
        }
    )
    result = process_batch(
        records, handle, fake, config, lambda arn: "url", now=now, dynamodb=fake, seconds_left=lambda: left[0]
    )
    assert [f["itemIdentifier"] for f in result.response()["batchItemFailures"]] == ["1", "2", "3"]
    assert [name for name, _ in fake.calls] == ["visibility", "table"]
    assert [e["ReceiptHandle"] for e in fake.calls[0][1]["Entries"]] == ["rh-1"]
    (written,) = fake.calls[1][1]["RequestItems"]["requests"]
    assert written["PutRequest"]["Item"]["source_snapshot_arn"]["S"].endswith(":s1")
    assert result.counts == {"wait": 1, "not_started": 2}


# ---- the wait budget bounds every delay ----


def test_no_delay_reaches_past_copy_wait_max_hours(
    function_env: dict, queues, sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slot waits of up to 12 h (wait_delay_max_seconds 43200): with 10 minutes of the budget left, the next
    # look is within them, and dead-letters the event then, not 6 to 12 h past copy_wait_max_hours.
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    monkeypatch.setenv("WAIT_DELAY_MAX_SECONDS", "43200")
    invoke(db_event(sources.db_snapshot("budget-busy")))
    busy = "arn:aws:rds:us-east-1:123456789012:snapshot:budget-busy"
    set_destination_status(target_identifier("budget-busy", busy, "db"), "copying")
    sent = int((time.time() - 72 * 3600 + 600) * 1000)
    records = queues.records([db_event(sources.db_snapshot("budget-late"))], receive_count=30, sent_timestamp=sent)
    assert failures(invoke(sqs_event(records))) == {records[0]["messageId"]}
    assert queues.visible_in(records[0]["messageId"]) <= 601


def test_postpone_delay_of_a_quota_wait_starts_at_an_hour_and_grows_to_twelve() -> None:
    rng = random.Random(3)
    for receive_count, ceiling in [(1, 3600), (2, 7200), (4, 28800), (5, 43200), (50, 43200)]:
        delays = [postpone_delay("wait_quota", receive_count, 900, rng) for _ in range(50)]
        assert all(ceiling * JITTER_FLOOR <= d <= ceiling for d in delays), (receive_count, delays)
