"""AWS errors, and what becomes of the event: postponed, waited for, retried a few times, or dead-lettered.

moto never throttles, fails with a 5xx or hits RDS's copy quotas, so the errors come from a botocore
Stubber on the handler's own (cached) destination or source client; everything else is moto.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from snapshot_copy.errors import CopyFailedError, CopyPostponedError, SnapshotCopyError
from snapshot_copy.events import snapshot_arn_of
from snapshot_copy.naming import target_identifier
from snapshot_copy.outcomes import Outcome, classify_client_error, classify_exception

from .harness import (
    ACCOUNT,
    REQUESTS_TABLE,
    SOURCE_REGION,
    cluster_event,
    db_event,
    dlq_attributes,
    failures,
    handler_clients,
    invoke,
    load_event,
    only_metrics,
    our_copies,
    sqs_event,
    tag_dict,
)

COPY_LIMIT = "Cannot copy more than 20 snapshots across regions"
MANUAL_QUOTA = "Cannot create more than 100 manual snapshots"

# (error code, message, HTTP status) -> (postponed?, outcome code)
CASES = {
    "throttling": ("Throttling", "Rate exceeded", 400, CopyPostponedError, "Throttling"),
    "throttling-exception": ("ThrottlingException", "Rate exceeded", 400, CopyPostponedError, "ThrottlingException"),
    "internal-500": ("InternalFailure", "oops", 500, CopyPostponedError, "InternalFailure"),
    "unknown-503": ("SomethingNew", "unavailable", 503, CopyPostponedError, "SomethingNew"),
    "copy-limit": ("SnapshotQuotaExceeded", COPY_LIMIT, 400, CopyPostponedError, "CopyQuotaExceeded"),
    "manual-quota": ("SnapshotQuotaExceeded", MANUAL_QUOTA, 400, CopyPostponedError, "ManualSnapshotQuotaExceeded"),
    "not-found": ("DBSnapshotNotFound", "gone", 404, CopyFailedError, "SourceSnapshotNotFound"),
    "access-denied": ("AccessDenied", "not allowed", 403, CopyPostponedError, "AccessDenied"),
    "kms": ("KMSKeyNotAccessibleFault", "key disabled", 400, CopyPostponedError, "KMSKeyNotAccessibleFault"),
    "invalid": ("InvalidParameterValue", "bad", 400, CopyFailedError, "InvalidParameterValue"),
    "source-state": ("InvalidDBSnapshotState", "busy", 400, CopyPostponedError, "InvalidDBSnapshotState"),
}


def client_error(code: str, message: str = "", status: int = 400, operation: str = "CopyDBSnapshot") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


def stub_listing(stub: Stubber, kind: str = "db", snapshots: list[dict[str, Any]] | None = None) -> None:
    if kind == "cluster":
        stub.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": snapshots or []})
    else:
        stub.add_response("describe_db_snapshots", {"DBSnapshots": snapshots or []})


def stub_copy_error(stub: Stubber, code: str, message: str, status: int = 400, kind: str = "db") -> None:
    operation = "copy_db_cluster_snapshot" if kind == "cluster" else "copy_db_snapshot"
    stub.add_client_error(operation, service_error_code=code, service_message=message, http_status_code=status)


# ---- classification (pure) ----


@pytest.mark.parametrize("case", sorted(CASES))
def test_classify_client_error(case: str) -> None:
    code, message, status, raised, outcome_code = CASES[case]
    outcome = classify_client_error(client_error(code, message, status), "copying")
    assert outcome.code == outcome_code
    if raised is CopyFailedError:
        assert outcome.status == "failed"
    else:
        assert outcome.status in {"wait", "wait_quota", "retry", "retry_limited"}
    assert message in outcome.reason and "copying" in outcome.reason


def test_classification_statuses() -> None:
    status = {case: classify_client_error(client_error(*CASES[case][:3]), "x").status for case in CASES}
    assert status["throttling"] == status["internal-500"] == status["unknown-503"] == "retry"
    assert status["copy-limit"] == "wait"
    # The manual snapshot quota is full until the pruner deletes expired copies: a wait of hours.
    assert status["manual-quota"] == "wait_quota"
    assert status["access-denied"] == status["kms"] == "retry_limited"
    assert status["not-found"] == status["invalid"] == "failed"


def test_unknown_4xx_is_retried_a_few_times_only() -> None:
    assert classify_client_error(client_error("BrandNewFault", "?", 400), "x").status == "retry_limited"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (EndpointConnectionError(endpoint_url="https://rds.us-west-2.amazonaws.com"), "retry"),
        (ReadTimeoutError(endpoint_url="https://rds.us-west-2.amazonaws.com"), "retry"),
    ],
)
def test_connection_errors_are_retried(error: Exception, status: str) -> None:
    assert classify_exception(error, "x").status == status


def test_non_aws_errors_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        classify_exception(KeyError("bug"), "x")


# ---- bare events ----


@pytest.mark.parametrize("case", sorted(CASES))
def test_bare_event_copy_error_raises_project_error(case: str, function_env: dict, sources) -> None:
    code, message, status, raised, outcome_code = CASES[case]
    snapshot = sources.db_snapshot(f"err-{case}")
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, code, message, status)
        with pytest.raises(raised) as info:
            invoke(db_event(snapshot))
        stub.assert_no_pending_responses()
    assert isinstance(info.value, SnapshotCopyError)
    assert info.value.code == outcome_code
    assert message in str(info.value)


def test_bare_cluster_copy_limit_is_postponed(function_env: dict, sources) -> None:
    snapshot = sources.cluster_snapshot("err-cluster-limit", cluster="enccluster", encrypted=True)
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub, "cluster")
        stub_copy_error(stub, "SnapshotQuotaExceeded", COPY_LIMIT, kind="cluster")
        with pytest.raises(CopyPostponedError) as info:
            invoke(cluster_event(snapshot))
    assert info.value.code == "CopyQuotaExceeded"


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_source_snapshot_gone_in_moto_fails(kind: str, function_env: dict, destination_rds) -> None:
    if kind == "db":
        event = load_event("db_snapshot_manual_created", f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:gone-1")
    else:
        arn = f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:cluster-snapshot:gone-1"
        event = load_event("cluster_snapshot_manual_created", arn)
    with pytest.raises(CopyFailedError) as info:
        invoke(event)
    assert info.value.code == "SourceSnapshotNotFound"
    assert "gone-1" in str(info.value)
    assert our_copies(destination_rds, kind) == []


def test_throttled_reading_the_source_is_postponed(function_env: dict, sources) -> None:
    snapshot = sources.db_snapshot("src-throttle")
    clients = handler_clients()
    with Stubber(clients.source_rds) as source_stub, Stubber(clients.destination_rds) as destination_stub:
        stub_listing(destination_stub)
        source_stub.add_client_error("describe_db_snapshots", "Throttling", "Rate exceeded", 400)
        with pytest.raises(CopyPostponedError) as info:
            invoke(db_event(snapshot))
    assert info.value.code == "Throttling"
    assert "reading source snapshot" in str(info.value)


def test_throttled_listing_copies_is_postponed(function_env: dict, sources) -> None:
    snapshot = sources.db_snapshot("list-throttle")
    with Stubber(handler_clients().destination_rds) as stub:
        stub.add_client_error("describe_db_snapshots", "Throttling", "Rate exceeded", 400)
        with pytest.raises(CopyPostponedError, match="listing copies in progress"):
            invoke(db_event(snapshot))


def test_connection_error_on_copy_is_postponed(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = sources.db_snapshot("conn-error")

    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://rds.us-west-2.amazonaws.com")

    monkeypatch.setattr(handler_clients().destination_rds, "copy_db_snapshot", refuse)
    with pytest.raises(CopyPostponedError) as info:
        invoke(db_event(snapshot))
    assert info.value.code == "EndpointConnectionError"
    assert our_copies(destination_rds) == []


@pytest.mark.parametrize(
    ("tag", "status"),
    [("ours", "exists"), ("legacy", "exists"), ("other-source", "failed"), ("other-deployment", "failed")],
)
def test_copy_already_exists_race(tag: str, status: str, function_env: dict, sources) -> None:
    # The listing did not show it (another invocation started it meanwhile); RDS says it exists.
    snapshot = sources.db_snapshot(f"race-{tag}")
    arn = snapshot["DBSnapshotArn"]
    target = target_identifier(f"race-{tag}", arn, "db")
    tags = {
        "source_region": SOURCE_REGION,
        "source_snapshot_arn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:other" if tag == "other-source" else arn,
    }
    if tag != "legacy":
        tags["snapshot_copy_deployment"] = "another-deployment" if tag == "other-deployment" else "rds-snapshot-copy"
    found = {
        "DBSnapshotIdentifier": target,
        "Status": "copying",
        "TagList": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "DBSnapshotAlreadyExists", "exists")
        stub.add_response("describe_db_snapshots", {"DBSnapshots": [found]}, {"DBSnapshotIdentifier": target})
        if status == "exists":
            result = invoke(db_event(snapshot))
            assert (result["status"], result["code"]) == ("exists", "AlreadyCopied")
        else:
            with pytest.raises(CopyFailedError) as info:
                invoke(db_event(snapshot))
            assert info.value.code == "TargetNameTaken"
            assert ("another-deployment" if tag == "other-deployment" else "eu-west-1") in str(info.value)
        stub.assert_no_pending_responses()


def test_copy_already_exists_race_with_a_copy_being_deleted_is_retried(function_env: dict, sources) -> None:
    snapshot = sources.db_snapshot("race-gone")
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "DBSnapshotAlreadyExists", "exists")
        stub.add_client_error("describe_db_snapshots", "DBSnapshotNotFound", "gone", 404)
        with pytest.raises(CopyPostponedError) as info:
            invoke(db_event(snapshot))
        stub.assert_no_pending_responses()
    # Not "SourceSnapshotNotFound": it is the copy that is gone, and the source is still there.
    assert info.value.code == "CopyBeingDeleted"


# ---- in an SQS batch ----


@pytest.mark.parametrize("case", ["throttling", "internal-500", "unknown-503", "source-state"])
def test_sqs_transient_errors_are_postponed_with_a_short_delay(
    case: str, function_env: dict, queues, sources, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    code, message, status, *_ = CASES[case]
    records = queues.records([db_event(sources.db_snapshot("sqs-throttle"))])
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, code, message, status)
        response = invoke(sqs_event(records))
    assert failures(response) == {records[0]["messageId"]}
    assert 4 <= queues.visible_in(records[0]["messageId"]) <= 10
    assert only_metrics(capsys).Retries == 1
    assert queues.dead_letters() == []


def test_sqs_copy_limit_waits(
    function_env: dict, queues, sources, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    records = queues.records([db_event(sources.db_snapshot("sqs-limit"))])
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "SnapshotQuotaExceeded", COPY_LIMIT)
        response = invoke(sqs_event(records))
    assert failures(response) == {records[0]["messageId"]}
    assert 29 <= queues.visible_in(records[0]["messageId"]) <= 60
    metrics = only_metrics(capsys)
    assert (metrics.CopySlotWaits, metrics.DeadLettered, metrics.CopiesStarted) == (1, 0, 0)


def test_copy_limit_error_makes_the_rest_of_the_batch_wait(
    function_env: dict, queues, sources, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    events = [db_event(sources.db_snapshot(f"sqs-fill-{i}")) for i in range(3)]
    records = queues.records(events)
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "SnapshotQuotaExceeded", COPY_LIMIT)
        # No further destination calls: the Stubber fails the test on any unexpected call.
        response = invoke(sqs_event(records))
        stub.assert_no_pending_responses()
    assert failures(response) == {r["messageId"] for r in records}
    assert only_metrics(capsys).CopySlotWaits == 3


@pytest.mark.parametrize(
    ("case", "dlq_code"),
    [
        ("not-found", "SourceSnapshotNotFound"),
        ("invalid", "InvalidParameterValue"),
    ],
)
def test_sqs_permanent_errors_are_dead_lettered(
    case: str, dlq_code: str, with_dlq, sources, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    code, message, status, *_ = CASES[case]
    event = db_event(sources.db_snapshot(f"sqs-perm-{case}"))
    records = with_dlq.records([event])
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, code, message, status)
        response = invoke(sqs_event(records))
    assert response == {"batchItemFailures": []}
    (dead,) = with_dlq.dead_letters()
    attributes = dlq_attributes(dead)
    assert attributes["error_code"] == dlq_code
    assert message in attributes["error_reason"]
    assert attributes["source_message_id"] == records[0]["messageId"]
    assert dead["Body"] == records[0]["body"]
    assert only_metrics(capsys).DeadLettered == 1


def test_sqs_permanent_error_without_dlq_is_left_to_redrive(function_env: dict, queues, sources) -> None:
    records = queues.records([db_event(sources.db_snapshot("sqs-perm-nodlq"))])
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "InvalidParameterValue", "bad")
        response = invoke(sqs_event(records))
    assert failures(response) == {records[0]["messageId"]}
    # not postponed: its visibility is untouched (the harness received it for 12 h)
    assert queues.visible_in(records[0]["messageId"]) > 43000
    assert queues.dead_letters() == []


@pytest.mark.parametrize("case", ["access-denied", "kms"])
@pytest.mark.parametrize(("receive_count", "dead_lettered"), [(1, False), (2, False), (3, True), (7, True)])
def test_access_errors_are_retried_until_max_error_tries(
    case: str,
    receive_count: int,
    dead_lettered: bool,
    with_dlq,
    sources,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    code, message, status, *_ = CASES[case]
    records = with_dlq.records([db_event(sources.db_snapshot("sqs-access"))], receive_count=receive_count)
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, code, message, status)
        response = invoke(sqs_event(records))
    message_id = records[0]["messageId"]
    if dead_lettered:
        assert failures(response) == set()
        (dead,) = with_dlq.dead_letters()
        attributes = dlq_attributes(dead)
        assert attributes["error_code"] == code
        assert f"gave up after {receive_count} tries" in attributes["error_reason"]
        assert message in attributes["error_reason"]
        assert attributes["receive_count"] == str(receive_count)
        assert only_metrics(capsys).DeadLettered == 1
    else:
        assert failures(response) == {message_id}
        assert with_dlq.dead_letters() == []
        assert with_dlq.visible_in(message_id) <= 10 * 2 ** (receive_count - 1)
        assert only_metrics(capsys).Retries == 1


# ---- the destination's manual snapshot quota: a wait of hours, not a dead letter ----


@pytest.mark.parametrize(
    ("receive_count", "low", "high"),
    [(1, 1800, 3600), (2, 3600, 7200), (3, 7200, 14400), (5, 21600, 43200), (40, 21600, 43200)],
)
def test_sqs_manual_snapshot_quota_waits_hours_and_is_not_dead_lettered(
    receive_count: int,
    low: int,
    high: int,
    with_dlq,
    sources,
    requests_table,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The daily pruner frees room; dead-lettering at once (0.4.0) let the reconciler's request suppression
    # (copy_wait_max_hours + 1) outlast an automated snapshot of one day's retention: never copied.
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    records = with_dlq.records([db_event(sources.db_snapshot("sqs-quota"))], receive_count=receive_count)
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "SnapshotQuotaExceeded", MANUAL_QUOTA)
        response = invoke(sqs_event(records))
    assert failures(response) == {records[0]["messageId"]}
    assert with_dlq.dead_letters() == []
    # From half an hour (jittered) to SQS's longest, 12 h, whatever wait_delay_max_seconds (900 s) says.
    assert low - 1 <= with_dlq.visible_in(records[0]["messageId"]) <= high
    metrics = only_metrics(capsys)
    assert (metrics.WaitingForQuota, metrics.CopySlotWaits, metrics.DeadLettered) == (1, 0, 0)
    postponed = [r for r in caplog.records if getattr(r, "code", None) == "ManualSnapshotQuotaExceeded"]
    assert postponed and MANUAL_QUOTA in postponed[0].getMessage()
    items = requests_table.scan(TableName=REQUESTS_TABLE)["Items"]
    if receive_count == 1:  # recorded as waiting, so the reconciler adds no message meanwhile
        assert [(i["state"]["S"], i["source_snapshot_arn"]["S"]) for i in items] == [
            ("waiting", snapshot_arn_of(records[0]["body"]))
        ]
    else:
        assert items == []


def test_sqs_manual_snapshot_quota_is_dead_lettered_once_copy_wait_max_hours_is_used_up(
    with_dlq, sources, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = int((time.time() - 72 * 3600) * 1000)
    records = with_dlq.records([db_event(sources.db_snapshot("sqs-quota-old"))], receive_count=8, sent_timestamp=sent)
    capsys.readouterr()
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "SnapshotQuotaExceeded", MANUAL_QUOTA)
        response = invoke(sqs_event(records))
    assert response == {"batchItemFailures": []}
    (dead,) = with_dlq.dead_letters()
    attributes = dlq_attributes(dead)
    assert attributes["error_code"] == "ManualSnapshotQuotaExceeded"
    assert "gave up after waiting 72.0 h" in attributes["error_reason"] and MANUAL_QUOTA in attributes["error_reason"]
    assert only_metrics(capsys).DeadLettered == 1


def test_a_quota_wait_never_outlasts_copy_wait_max_hours(with_dlq, sources) -> None:
    # 71 h waited, 1 h left: the next look is within that hour (then dead-lettered), not up to 12 h later.
    sent = int((time.time() - 71 * 3600) * 1000)
    records = with_dlq.records([db_event(sources.db_snapshot("sqs-quota-late"))], receive_count=9, sent_timestamp=sent)
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "SnapshotQuotaExceeded", MANUAL_QUOTA)
        assert failures(invoke(sqs_event(records))) == {records[0]["messageId"]}
    assert with_dlq.visible_in(records[0]["messageId"]) <= 3600 + 1


def test_max_error_tries_from_env(with_dlq, sources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_ERROR_TRIES", "5")
    event = db_event(sources.db_snapshot("sqs-tries"))
    for receive_count, expect_dead in [(4, False), (5, True)]:
        records = with_dlq.records([event], receive_count=receive_count)
        with Stubber(handler_clients().destination_rds) as stub:
            stub_listing(stub)
            stub_copy_error(stub, "AccessDenied", "no", 403)
            response = invoke(sqs_event(records))
        assert (failures(response) == set()) is expect_dead
    assert len(with_dlq.dead_letters()) == 1


@pytest.mark.parametrize(("case", "receive_count"), [("throttling", 9), ("copy-limit", 9)])
def test_postponed_record_is_dead_lettered_at_max_receive_count(
    case: str, receive_count: int, with_dlq, sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "10")
    code, message, status, *_ = CASES[case]
    event = db_event(sources.db_snapshot(f"sqs-max-{case}"))
    outcomes = []
    for count in (receive_count, receive_count + 1):
        records = with_dlq.records([event], receive_count=count)
        with Stubber(handler_clients().destination_rds) as stub:
            stub_listing(stub)
            stub_copy_error(stub, code, message, status)
            outcomes.append(failures(invoke(sqs_event(records))))
        copy_snapshot_reset()
    assert outcomes[0] and not outcomes[1]
    (dead,) = with_dlq.dead_letters()
    assert "gave up after 10 receives" in dlq_attributes(dead)["error_reason"]


@pytest.mark.parametrize(("age_hours", "dead_lettered"), [(1, False), (71.9, False), (72, True), (100, True)])
def test_postponed_record_is_dead_lettered_after_max_wait(
    age_hours: float, dead_lettered: bool, with_dlq, sources
) -> None:
    sent = int((time.time() - age_hours * 3600) * 1000)
    records = with_dlq.records([db_event(sources.db_snapshot("sqs-age"))], sent_timestamp=sent)
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "SnapshotQuotaExceeded", COPY_LIMIT)
        response = invoke(sqs_event(records))
    assert (failures(response) == set()) is dead_lettered
    dead = with_dlq.dead_letters()
    assert len(dead) == int(dead_lettered)
    if dead_lettered:
        assert "gave up after waiting" in dlq_attributes(dead[0])["error_reason"]
        assert dlq_attributes(dead[0])["error_code"] == "CopyQuotaExceeded"


def test_max_wait_seconds_from_env(with_dlq, sources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_WAIT_SECONDS", "600")
    sent = int((time.time() - 601) * 1000)
    records = with_dlq.records([db_event(sources.db_snapshot("sqs-age-env"))], sent_timestamp=sent)
    with Stubber(handler_clients().destination_rds) as stub:
        stub_listing(stub)
        stub_copy_error(stub, "Throttling", "slow down")
        response = invoke(sqs_event(records))
    assert response == {"batchItemFailures": []}
    assert len(with_dlq.dead_letters()) == 1


def test_unexpected_bug_in_one_record_does_not_stop_the_batch(
    function_env: dict, queues, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    from snapshot_copy import copy_handler

    good = sources.db_snapshot("bug-good")
    bad = sources.db_snapshot("bug-bad")
    real_start_copy = copy_handler.start_copy

    def start_copy(ref, *args: Any) -> Outcome:
        if ref.identifier == "bug-bad":
            raise ValueError("simulated bug")
        return real_start_copy(ref, *args)

    monkeypatch.setattr(copy_handler, "start_copy", start_copy)
    records = queues.records([db_event(bad), db_event(good)])
    response = invoke(sqs_event(records))
    assert failures(response) == {records[0]["messageId"]}
    (copy,) = our_copies(destination_rds)
    assert tag_dict(copy)["source_snapshot_arn"] == good["DBSnapshotArn"]


def copy_snapshot_reset() -> None:
    """A new 'container' between invocations in one test (Stubbers attach to the cached clients)."""
    import copy_snapshot

    copy_snapshot.clients_for.cache_clear()
