"""The copier's part of the copy requests table: what it records, once, and that a failed write costs nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.stub import Stubber

from snapshot_copy import copy_requests
from tests.unit.harness import (
    REQUESTS_TABLE,
    CallRecorder,
    Queues,
    SourceFactory,
    db_event,
    failures,
    handler_clients,
    invoke,
    load_event,
    sqs_event,
)


def item(dynamodb: Any, arn: str) -> dict[str, Any] | None:
    return dynamodb.get_item(TableName=REQUESTS_TABLE, Key={"source_snapshot_arn": {"S": arn}}).get("Item")


@pytest.fixture
def full_slots(function_env: dict, monkeypatch: pytest.MonkeyPatch, sources: SourceFactory) -> None:
    """One copy slot, taken by a first snapshot: every further record waits."""
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    invoke(db_event(sources.db_snapshot("first")))
    from tests.unit.harness import our_copies, set_destination_status

    (copy,) = our_copies(handler_clients().destination_rds)
    set_destination_status(copy["DBSnapshotIdentifier"], "copying")


def test_wait_on_first_receive_is_recorded_once(
    requests_table: Any, full_slots: None, queues: Queues, sources: SourceFactory
) -> None:
    snapshot = sources.db_snapshot("second")
    writes = CallRecorder(handler_clients().dynamodb)
    (record,) = queues.records([db_event(snapshot)])
    assert failures(invoke(sqs_event([record]))) == {record["messageId"]}
    got = item(requests_table, snapshot["DBSnapshotArn"])
    assert got is not None
    assert (got["state"]["S"], got["by"]["S"]) == ("waiting", "copier")
    assert "copies in progress" in got["reason"]["S"]
    assert len(writes.params("BatchWriteItem")) == 1

    (later,) = queues.records([db_event(snapshot)], receive_count=2)
    assert failures(invoke(sqs_event([later]))) == {later["messageId"]}
    assert len(writes.params("BatchWriteItem")) == 1


def test_dead_lettered_record_is_recorded_with_its_reason(
    requests_table: Any, with_dlq: Queues, event_loader: Any
) -> None:
    arn = "arn:aws:rds:eu-west-1:123456789012:snapshot:elsewhere"
    (record,) = with_dlq.records([event_loader("db_snapshot_manual_created", arn)])
    assert invoke(sqs_event([record])) == {"batchItemFailures": []}
    got = item(requests_table, arn)
    assert got is not None
    assert got["state"]["S"] == "dead_lettered"
    assert got["reason"]["S"].startswith("WrongSourceRegion: ")


def test_malformed_records_are_not_recorded(requests_table: Any, with_dlq: Queues) -> None:
    record = with_dlq.records([load_event("malformed_bad_source_arn")])
    invoke(sqs_event(record))
    assert requests_table.scan(TableName=REQUESTS_TABLE)["Items"] == []


def test_table_write_failure_still_settles_the_batch(
    requests_table: Any,
    full_slots: None,
    queues: Queues,
    sources: SourceFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = queues.records([db_event(sources.db_snapshot(f"w-{i}")) for i in range(2)])
    sqs_calls = CallRecorder(handler_clients().sqs)
    with Stubber(handler_clients().dynamodb) as stub:
        stub.add_client_error("batch_write_item", "ProvisionedThroughputExceededException")
        response = invoke(sqs_event(records))
    assert failures(response) == {r["messageId"] for r in records}
    assert len(sqs_calls.params("ChangeMessageVisibilityBatch")) == 1
    assert any(
        "could not record 2 copy request" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
    )


def test_write_deduplicates_and_keeps_the_last_state_of_an_arn(requests_table: Any) -> None:
    requests = [
        copy_requests.Request("arn:a", "waiting", 1000.0, "copier"),
        copy_requests.Request("arn:a", "dead_lettered", 1000.0, "copier", "x" * 2000),
        copy_requests.Request("arn:b", "enqueued", 1000.0, "reconciler"),
    ]
    assert copy_requests.write(requests_table, REQUESTS_TABLE, requests, keep_seconds=3600) == 0
    found = copy_requests.read(requests_table, REQUESTS_TABLE, ["arn:a", "arn:b", "arn:c", "arn:a"])
    assert set(found) == {"arn:a", "arn:b"}
    assert found["arn:a"].state == "dead_lettered"
    assert len(found["arn:a"].reason or "") == copy_requests.MAX_REASON_LENGTH
    assert found["arn:b"] == copy_requests.Request("arn:b", "enqueued", 1000.0, "reconciler")
    assert found["arn:b"].suppresses(1000.0 + 3599, 3600) and not found["arn:b"].suppresses(1000.0 + 3600, 3600)


def test_read_pages_by_a_hundred_keys(requests_table: Any) -> None:
    arns = [f"arn:{i}" for i in range(230)]
    copy_requests.write(
        requests_table, REQUESTS_TABLE, [copy_requests.Request(a, "enqueued", 1.0, "backfill") for a in arns], 60
    )
    calls = CallRecorder(requests_table)
    assert len(copy_requests.read(requests_table, REQUESTS_TABLE, arns)) == 230
    assert [len(p["RequestItems"][REQUESTS_TABLE]["Keys"]) for p in calls.params("BatchGetItem")] == [100, 100, 30]
