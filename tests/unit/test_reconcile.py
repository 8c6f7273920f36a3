"""The reconciler in moto: missed events caught, nothing pruned re-copied, the filter, the recovery point and
its metrics, the copy requests table, and the contract of reconcile_snapshots.lambda_handler."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import reconcile_snapshots

from snapshot_copy import copy_requests
from snapshot_copy.errors import ConfigurationError
from snapshot_copy.events import parse_event
from snapshot_copy.naming import target_identifier
from snapshot_copy.reconcile import (
    FUNCTION_NAME,
    TIME_MARGIN_SECONDS,
    Clients,
    ReconcileFailedError,
    ReconcileOutOfTimeError,
    in_threads,
    in_turn,
    reconcile,
    survey,
)
from snapshot_copy.reconcile_config import ReconcileConfig
from snapshot_copy.runtime import Runtime
from tests.iam.recording import calls_of
from tests.unit.harness import (
    ACCOUNT,
    DESTINATION_REGION,
    REQUESTS_TABLE,
    SOURCE_REGION,
    LambdaContext,
    Queues,
    SourceFactory,
    backdate_source,
    cluster_event,
    db_event,
    drop_automated_snapshots,
    invoke,
    metric_records,
    our_copies,
    set_destination_status,
    sqs_event,
)


@pytest.fixture
def reconcile_env(monkeypatch: pytest.MonkeyPatch, queues: Queues) -> dict[str, str]:
    """Exactly the contract's five variables."""
    env = {
        "SOURCE_REGION": SOURCE_REGION,
        "DESTINATION_REGION": DESTINATION_REGION,
        "COPY_QUEUE_URL": queues.url,
        "RETENTION_DAYS": "35",
        "RPO_HOURS": "26",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def run(context: Any = None) -> dict[str, Any]:
    with calls_of("reconciler"):
        return reconcile_snapshots.lambda_handler(
            {}, context or LambdaContext(function_name="rds-snapshot-copy-reconcile")
        )


def received(queues: Queues) -> list[dict[str, Any]]:
    """Every message on the copier's queue (taken off it)."""
    out: list[dict[str, Any]] = []
    while True:
        answer = queues.sqs.receive_message(
            QueueUrl=queues.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=600
        )
        if not answer.get("Messages"):
            return out
        out.extend(answer["Messages"])


def entry(result: dict[str, Any], source: str) -> dict[str, Any]:
    (found,) = [e for e in result["sources"] if e["source"] == source]
    return found


def reconcile_metrics(capsys: pytest.CaptureFixture[str]) -> Any:
    (record,) = [r for r in metric_records(capsys) if "SourcesPastRpo" in vars(r)]
    return record


def test_missed_event_is_enqueued_and_the_copier_copies_it(
    reconcile_env: dict, function_env: dict, queues: Queues, sources: SourceFactory, destination_rds: Any
) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    backdate_source("orders-1", hours=2)

    drop_automated_snapshots()
    result = run()

    assert result["enqueued"] == [snapshot["DBSnapshotArn"]]
    (message,) = received(queues)
    assert message["MessageAttributes"]["origin"]["StringValue"] == "reconciler"
    body = json.loads(message["Body"])
    assert body["source"] == "aws.rds"
    assert body["detail-type"] == "RDS DB Snapshot Event"
    assert body["detail"]["EventID"] == "RDS-EVENT-0042"
    assert body["detail"]["SourceArn"] == snapshot["DBSnapshotArn"]
    assert body["detail"]["SourceIdentifier"] == "orders-1"
    assert parse_event(body, frozenset({"RDS-EVENT-0042"})).identifier == "orders-1"

    response = invoke(sqs_event(queues.records([message["Body"]])))
    assert response == {"batchItemFailures": []}
    (copy,) = our_copies(destination_rds)
    assert copy["DBInstanceIdentifier"] == "orders"
    # Now copied: the next run enqueues nothing, and the source is within its RPO.
    again = run()
    assert again["enqueued"] == []
    assert entry(again, "orders")["within_rpo"] is True


def test_automated_cluster_snapshot_is_enqueued_with_its_event_id(
    reconcile_env: dict, queues: Queues, sources: SourceFactory
) -> None:
    sources.cluster("ledger")
    drop_automated_snapshots()
    snapshot = sources.automated_cluster_snapshot("ledger-2024", cluster="ledger")
    result = run()
    assert result["enqueued"] == [snapshot["DBClusterSnapshotArn"]]
    body = json.loads(received(queues)[0]["Body"])
    assert (body["detail-type"], body["detail"]["EventID"]) == ("RDS DB Cluster Snapshot Event", "RDS-EVENT-0169")
    assert body["detail"]["SourceType"] == "CLUSTER_SNAPSHOT"


def test_snapshot_being_copied_is_not_enqueued_and_gives_no_recovery_point(
    reconcile_env: dict, function_env: dict, queues: Queues, sources: SourceFactory, destination_rds: Any
) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    invoke(db_event(snapshot))
    (copy,) = our_copies(destination_rds)
    set_destination_status(copy["DBSnapshotIdentifier"], "copying")

    result = run()

    assert result["enqueued"] == []
    assert received(queues) == []
    orders = entry(result, "orders")
    assert orders["copies_in_progress"] == 1
    assert (orders["recovery_point"], orders["within_rpo"]) == (None, False)


def test_pruned_snapshot_older_than_the_window_is_not_enqueued(
    reconcile_env: dict, queues: Queues, sources: SourceFactory
) -> None:
    sources.db_snapshot("orders-old", instance="orders")
    backdate_source("orders-old", hours=36 * 24)
    young = sources.db_snapshot("orders-young", instance="orders")
    backdate_source("orders-young", hours=34 * 24)

    drop_automated_snapshots()
    result = run()

    assert result["enqueued"] == [young["DBSnapshotArn"]]
    assert result["skipped"] == {"older_than_window": 1}


def test_filtered_out_sources_are_neither_enqueued_nor_reported(
    reconcile_env: dict, monkeypatch: pytest.MonkeyPatch, queues: Queues, sources: SourceFactory, source_rds: Any
) -> None:
    monkeypatch.setenv(
        "SOURCE_FILTER", json.dumps({"exclude_identifiers": ["scratch-*"], "exclude_tags": {"dr": ["skip"]}})
    )
    kept = sources.db_snapshot("orders-1", instance="orders")
    sources.db_snapshot("scratch-1", instance="scratch-db")
    sources.db_snapshot("tagged-1", instance="tagged")
    source_rds.add_tags_to_resource(
        ResourceName=f"arn:aws:rds:{SOURCE_REGION}:123456789012:db:tagged", Tags=[{"Key": "dr", "Value": "skip"}]
    )

    drop_automated_snapshots()
    result = run()

    assert result["enqueued"] == [kept["DBSnapshotArn"]]
    assert [e["source"] for e in result["sources"]] == ["orders"]
    assert result["skipped"] == {"filtered": 2}


def test_snapshot_of_a_deleted_source_is_still_enqueued(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, source_rds: Any
) -> None:
    snapshot = sources.db_snapshot("gone-1", instance="gone")
    source_rds.delete_db_instance(DBInstanceIdentifier="gone", SkipFinalSnapshot=True)
    drop_automated_snapshots()
    result = run()
    assert result["enqueued"] == [snapshot["DBSnapshotArn"]]
    assert result["sources"] == []


def test_source_without_a_copy_has_no_recovery_point(
    reconcile_env: dict, queues: Queues, sources: SourceFactory
) -> None:
    sources.db_instance("fresh")
    drop_automated_snapshots()
    result = run()
    fresh = entry(result, "fresh")
    assert fresh == {**fresh, "source": "fresh", "kind": "db", "recovery_point": None}
    assert fresh["recovery_point_age_hours"] is None
    assert fresh["within_rpo"] is False
    assert fresh["past_rpo"] is False  # created moments ago: not late yet


def test_metric_values(
    reconcile_env: dict,
    function_env: dict,
    monkeypatch: pytest.MonkeyPatch,
    queues: Queues,
    sources: SourceFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PER_SOURCE_METRICS", "true")
    fresh = sources.db_snapshot("fresh-1", instance="fresh")
    backdate_source("fresh-1", hours=1)
    stale = sources.cluster_snapshot("stale-1", cluster="stale")
    backdate_source("stale-1", hours=30, kind="cluster")
    drop_automated_snapshots()
    invoke(db_event(fresh))
    invoke(cluster_event(stale))
    sources.db_instance("nocopy")
    drop_automated_snapshots()
    capsys.readouterr()

    result = run()

    assert result["enqueued"] == []
    assert entry(result, "fresh")["within_rpo"] is True
    assert 0.99 < entry(result, "fresh")["recovery_point_age_hours"] < 1.1
    assert entry(result, "stale")["within_rpo"] is False
    assert 29.9 < entry(result, "stale")["recovery_point_age_hours"] < 30.1
    records = metric_records(capsys)
    (main,) = [r for r in records if "SourcesPastRpo" in vars(r)]
    assert main.SourcesPastRpo == 1  # stale (nocopy was created moments ago)
    assert main.SourcesReconciled == 3
    assert main.SnapshotsEnqueued == 0
    assert 29.9 < main.RecoveryPointAgeWorstHours < 30.1
    assert main.FunctionName == "rds-snapshot-copy-reconcile"
    assert main._aws["CloudWatchMetrics"][0]["Dimensions"] == [["FunctionName"]]
    per_source = {
        (r.SnapshotKind, r.SourceIdentifier): r.RecoveryPointAgeHours for r in records if "SourceIdentifier" in vars(r)
    }
    assert set(per_source) == {("db", "fresh"), ("cluster", "stale"), ("db", "nocopy")}
    assert per_source[("db", "nocopy")] < 0.1


def test_no_source_snapshot_is_enqueued_twice_while_requested(
    reconcile_env: dict, requests_table: Any, monkeypatch: pytest.MonkeyPatch, queues: Queues, sources: SourceFactory
) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    assert run()["enqueued"] == [snapshot["DBSnapshotArn"]]
    item = requests_table.get_item(
        TableName=REQUESTS_TABLE, Key={"source_snapshot_arn": {"S": snapshot["DBSnapshotArn"]}}
    )
    assert item["Item"]["state"]["S"] == "enqueued"
    assert item["Item"]["by"]["S"] == "reconciler"
    requested_at = int(item["Item"]["requested_at"]["N"])
    assert int(item["Item"]["expires_at"]["N"]) == requested_at + 73 * 3600 + 86400

    second = run()
    assert second["enqueued"] == []
    assert second["skipped"] == {"requested": 1}
    assert entry(second, "orders")["waiting"] == 1

    # Past REREQUEST_AFTER_HOURS the request is no longer trusted.
    monkeypatch.setenv("REREQUEST_AFTER_HOURS", "0.0001")
    import time

    time.sleep(0.5)
    assert run()["enqueued"] == [snapshot["DBSnapshotArn"]]


@pytest.mark.parametrize(("state", "field"), [("waiting", "waiting"), ("dead_lettered", "dead_lettered")])
def test_copier_recorded_states_suppress_a_new_message(
    reconcile_env: dict, requests_table: Any, queues: Queues, sources: SourceFactory, state: str, field: str
) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    item = {
        "source_snapshot_arn": {"S": snapshot["DBSnapshotArn"]},
        "state": {"S": state},
        "requested_at": {"N": str(int(datetime.now(UTC).timestamp()) - 3600)},
        "by": {"S": "copier"},
    }
    requests_table.put_item(TableName=REQUESTS_TABLE, Item=item)
    drop_automated_snapshots()
    result = run()
    assert result["enqueued"] == []
    assert entry(result, "orders")[field] == 1


def test_grace_leaves_young_snapshots_to_their_event(
    reconcile_env: dict, monkeypatch: pytest.MonkeyPatch, queues: Queues, sources: SourceFactory
) -> None:
    monkeypatch.setenv("GRACE_MINUTES", "15")
    sources.db_snapshot("young", instance="orders")
    backdate_source("young", hours=0.1)
    old = sources.db_snapshot("old", instance="orders")
    backdate_source("old", hours=0.5)
    drop_automated_snapshots()
    result = run()
    assert result["enqueued"] == [old["DBSnapshotArn"]]
    assert result["skipped"] == {"in_grace": 1}


def test_manual_snapshots_are_not_enqueued_when_only_automated_events_are_enabled(
    reconcile_env: dict, monkeypatch: pytest.MonkeyPatch, queues: Queues, sources: SourceFactory
) -> None:
    monkeypatch.setenv("ENABLED_EVENT_IDS", "RDS-EVENT-0091,RDS-EVENT-0169")
    sources.db_snapshot("manual-1", instance="orders")
    drop_automated_snapshots()
    automated = sources.automated_db_snapshot("orders-2024", instance="orders")
    result = run()
    assert result["enqueued"] == [automated["DBSnapshotArn"]]
    assert result["skipped"] == {"type_not_enabled": 1}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("COPY_QUEUE_URL", "", "COPY_QUEUE_URL"),
        ("RPO_HOURS", "soon", "RPO_HOURS must be a number"),
        ("RPO_HOURS", "0", "RPO_HOURS must be more than 0"),
        ("RETENTION_DAYS", "1.5", "RETENTION_DAYS must be a whole number"),
        ("GRACE_MINUTES", "-1", "GRACE_MINUTES must be at least 0"),
        ("REREQUEST_AFTER_HOURS", "nan", "REREQUEST_AFTER_HOURS must be a finite number"),
        ("PER_SOURCE_METRICS", "maybe", "PER_SOURCE_METRICS must be true or false"),
        ("ENABLED_EVENT_IDS", "RDS-EVENT-9999", "ENABLED_EVENT_IDS has unknown"),
        ("SOURCE_FILTER", "{", "SOURCE_FILTER is not JSON"),
    ],
)
def test_config_errors_name_the_variable(
    reconcile_env: dict, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        ReconcileConfig.from_env()


def test_defaults_with_the_contract_variables_only(reconcile_env: dict) -> None:
    config = ReconcileConfig.from_env()
    assert (config.retention_days, config.rpo_hours, config.grace_minutes, config.rerequest_after_hours) == (
        35,
        26.0,
        0.0,
        73.0,
    )
    assert config.requests_table is None and config.per_source_metrics is False
    assert config.enabled_event_ids == frozenset(
        {"RDS-EVENT-0042", "RDS-EVENT-0091", "RDS-EVENT-0075", "RDS-EVENT-0169"}
    )


def test_contract_handler_with_only_the_five_variables(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    result = reconcile_snapshots.lambda_handler({"source": "aws.events"}, None)
    assert result["enqueued"] == [snapshot["DBSnapshotArn"]]
    (orders,) = result["sources"]
    assert set(orders) >= {"source", "kind", "recovery_point", "recovery_point_age_hours", "within_rpo"}
    assert (orders["source"], orders["kind"]) == ("orders", "db")
    json.dumps(result)  # returned to Lambda: must be JSON
    assert reconcile_metrics(capsys).SnapshotsEnqueued == 1


def test_send_failure_is_reported_and_raised_after_the_metrics(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.stub import Stubber

    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    config = ReconcileConfig.from_env()
    sqs = boto3.client("sqs", region_name=SOURCE_REGION)
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION), boto3.client("rds", region_name=DESTINATION_REGION), sqs
    )
    with Stubber(sqs) as stub:
        stub.add_client_error("send_message_batch", "AWS.SimpleQueueService.NonExistentQueue")
        with pytest.raises(ReconcileFailedError, match=snapshot["DBSnapshotArn"]):
            reconcile(config, clients, datetime.now(UTC))
    assert reconcile_metrics(capsys).SnapshotsEnqueued == 0


def test_send_failure_carries_the_result(reconcile_env: dict, queues: Queues, sources: SourceFactory) -> None:
    from botocore.stub import Stubber

    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    sqs = boto3.client("sqs", region_name=SOURCE_REGION)
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION), boto3.client("rds", region_name=DESTINATION_REGION), sqs
    )
    with Stubber(sqs) as stub:
        stub.add_client_error("send_message_batch", "AWS.SimpleQueueService.NonExistentQueue")
        with pytest.raises(ReconcileFailedError) as raised:
            reconcile(ReconcileConfig.from_env(), clients, datetime.now(UTC))
    result = raised.value.result
    assert result is not None
    assert (result["enqueued"], result["candidates"]) == ([], 1)
    assert result["failed"] == [f"{snapshot['DBSnapshotArn']}: AWS.SimpleQueueService.NonExistentQueue"]
    assert entry(result, "orders")["within_rpo"] is False


def test_out_of_time_while_listing_sends_and_publishes_nothing(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION),
        boto3.client("rds", region_name=DESTINATION_REGION),
        boto3.client("sqs", region_name=SOURCE_REGION),
    )
    pages_allowed = 3  # of the six listings' first pages; the fourth check finds the time short
    checks: list[float] = []

    def seconds_left() -> float:
        checks.append(0)
        return 600.0 if len(checks) <= pages_allowed else TIME_MARGIN_SECONDS - 1

    with pytest.raises(ReconcileOutOfTimeError, match=r"out of time while listing .* 29 s left"):
        runtime = Runtime(function_name=FUNCTION_NAME, seconds_left=seconds_left)
        reconcile(ReconcileConfig.from_env(), clients, datetime.now(UTC), runtime=runtime)
    assert received(queues) == []
    assert metric_records(capsys) == []


def test_listings_run_at_once_and_agree_with_one_after_the_other(
    reconcile_env: dict, sources: SourceFactory, destination_rds: Any
) -> None:
    sources.db_snapshot("orders-1", instance="orders")
    sources.cluster_snapshot("ledger-1", cluster="ledger")
    drop_automated_snapshots()
    config = ReconcileConfig.from_env()
    clients = Clients(boto3.client("rds", region_name=SOURCE_REGION), destination_rds, None)
    threads: set[str] = set()
    # Each listing waits for the other five before it starts: only a run of all six at once gets through.
    together = threading.Barrier(6, timeout=10)

    def met(job: Any) -> Any:
        together.wait()
        threads.add(threading.current_thread().name)
        return job()

    def recording(jobs: Any) -> list[Any]:
        return in_threads([lambda job=job: met(job) for job in jobs])

    now = datetime.now(UTC)
    at_once = survey(config, clients, now, run_listings=recording)
    in_order = survey(config, clients, now, run_listings=in_turn)
    assert len(threads) == 6 and all(name.startswith("reconcile-listing") for name in threads)
    assert sorted(s.arn for s in at_once.candidates) == sorted(s.arn for s in in_order.candidates)
    assert len(at_once.candidates) == 2
    assert at_once.entries() == in_order.entries() == survey(config, clients, now).entries()


def test_table_retries_pause_on_the_given_sleep(reconcile_env: dict, sources: SourceFactory) -> None:
    from botocore.stub import ANY, Stubber

    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    config = dataclasses.replace(ReconcileConfig.from_env(), requests_table=REQUESTS_TABLE)
    dynamodb = boto3.client("dynamodb", region_name=SOURCE_REGION)
    sqs = boto3.client("sqs", region_name=SOURCE_REGION)
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION),
        boto3.client("rds", region_name=DESTINATION_REGION),
        sqs,
        dynamodb,
    )
    key = {"source_snapshot_arn": {"S": snapshot["DBSnapshotArn"]}}
    unread = {REQUESTS_TABLE: {"Keys": [key], "ConsistentRead": False}}
    slept: list[float] = []
    with Stubber(dynamodb) as stub, Stubber(sqs) as queue:
        stub.add_response("batch_get_item", {"Responses": {REQUESTS_TABLE: []}, "UnprocessedKeys": unread})
        stub.add_response("batch_get_item", {"Responses": {REQUESTS_TABLE: []}})
        queue.add_response(
            "send_message_batch",
            {"Successful": [{"Id": "0", "MessageId": "m", "MD5OfMessageBody": "x"}], "Failed": []},
            {"QueueUrl": ANY, "Entries": ANY},
        )
        unwritten = {REQUESTS_TABLE: [{"PutRequest": {"Item": key}}]}
        stub.add_response("batch_write_item", {"UnprocessedItems": unwritten})
        stub.add_response("batch_write_item", {"UnprocessedItems": {}})
        runtime = Runtime(function_name=FUNCTION_NAME, sleep=slept.append)
        result = reconcile(config, clients, datetime.now(UTC), runtime=runtime, publish_metrics=False)
    assert result["enqueued"] == [snapshot["DBSnapshotArn"]] and result["unrecorded"] == 0
    assert slept == [copy_requests.RETRY_PAUSE_SECONDS, copy_requests.RETRY_PAUSE_SECONDS]


def test_dry_run_and_backfill_send_nothing_and_publish_nothing(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    backdate_source("orders-1", hours=100 * 24)
    drop_automated_snapshots()
    config = ReconcileConfig.from_env()
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION),
        boto3.client("rds", region_name=DESTINATION_REGION),
        boto3.client("sqs", region_name=SOURCE_REGION),
    )
    now = datetime.now(UTC)
    assert survey(config, clients, now).candidates == []
    seen: list[tuple[int, int]] = []
    result = reconcile(
        config,
        clients,
        now,
        window_days=float("inf"),
        dry_run=True,
        origin="backfill",
        progress=lambda *a: seen.append(a),
    )
    assert result["enqueued"] == [snapshot["DBSnapshotArn"]]
    assert result["window_days"] is None
    assert received(queues) == []
    assert seen[-1] == (1, 1)
    assert metric_records(capsys) == []
    sent = reconcile(config, clients, now, window_days=float("inf"), origin="backfill")
    assert sent["enqueued"] == [snapshot["DBSnapshotArn"]]
    (message,) = received(queues)
    assert message["MessageAttributes"]["origin"]["StringValue"] == "backfill"


# -- issue 15: whose copies, the data's time, only `available`, bounds. These run against 0.4.0 too (they
# import nothing 0.4.0 lacks), where each fails: see each test's docstring.

# tagging.TAG_DEPLOYMENT, spelled out so that this file also runs against 0.4.0 (which has no such tag).
DEPLOYMENT_TAG = "snapshot_copy_deployment"


def hand_copy(destination_rds: Any, snapshot: dict[str, Any], tags: dict[str, str], name: str | None = None) -> Any:
    """A copy of a source DB snapshot made by someone other than this deployment's copier: at the copier's own
    target name unless `name`, with exactly `tags`."""
    arn = snapshot["DBSnapshotArn"]
    return destination_rds.copy_db_snapshot(
        SourceDBSnapshotIdentifier=arn,
        TargetDBSnapshotIdentifier=name or target_identifier(snapshot["DBSnapshotIdentifier"], arn, "db"),
        SourceRegion=SOURCE_REGION,
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )["DBSnapshot"]


def our_copy(destination_rds: Any, snapshot: dict[str, Any], deployment: str = "rds-snapshot-copy") -> Any:
    """A copy as the copier of `deployment` makes it (its name and its tags; the copier itself is tested in
    test_copy.py): the default is the deployment of a reconciler with no DEPLOYMENT_NAME."""
    arn = snapshot["DBSnapshotArn"]
    tags = {"source_region": SOURCE_REGION, "source_snapshot_arn": arn, DEPLOYMENT_TAG: deployment}
    return hand_copy(destination_rds, snapshot, tags)


def test_another_deployments_copy_is_not_this_ones(
    reconcile_env: dict, monkeypatch: pytest.MonkeyPatch, queues: Queues, sources: SourceFactory, destination_rds: Any
) -> None:
    """prod and dev share a source region and a destination: dev's copy (both region tags, the copier's own
    name) neither makes the snapshot copied for prod nor gives prod a recovery point. On 0.4.0 the tags alone
    made it prod's: nothing enqueued, within the RPO."""
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    arn = snapshot["DBSnapshotArn"]
    our_copy(destination_rds, snapshot, deployment="dev")
    monkeypatch.setenv("DEPLOYMENT_NAME", "prod")

    result = run()

    assert result["enqueued"] == [arn]
    orders = entry(result, "orders")
    assert (orders["recovery_point"], orders["within_rpo"], orders["newest_copy"]) == (None, False, None)
    assert result["already_copied"] == 0


def test_an_operators_copy_with_our_tags_under_another_name_is_not_ours(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, destination_rds: Any
) -> None:
    """An operator keeps a copy with CopyTags=True as `audit-keep-forever` (every tag comes over), then this
    deployment's own copy is gone: the snapshot has no copy of ours (enqueued) and no recovery point. On 0.4.0
    the kept copy counted: nothing enqueued, within the RPO."""
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    copy = our_copy(destination_rds, snapshot)
    assert run()["enqueued"] == []
    destination_rds.copy_db_snapshot(
        SourceDBSnapshotIdentifier=copy["DBSnapshotIdentifier"],
        TargetDBSnapshotIdentifier="audit-keep-forever",
        CopyTags=True,
    )
    destination_rds.delete_db_snapshot(DBSnapshotIdentifier=copy["DBSnapshotIdentifier"])
    assert [c["DBSnapshotIdentifier"] for c in our_copies(destination_rds)] == ["audit-keep-forever"]

    result = run()

    assert result["enqueued"] == [snapshot["DBSnapshotArn"]]
    assert (entry(result, "orders")["recovery_point"], entry(result, "orders")["within_rpo"]) == (None, False)


def test_a_copy_made_by_0_4_counts_as_copied_but_never_as_a_recovery_point(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, destination_rds: Any, capsys: Any
) -> None:
    """After an upgrade, a 0.4.x copy (region tags, the copier's name, no deployment tag) is not copied again,
    but it is no recovery point until adopted; it is counted, per source and in all. On 0.4.0 it was the
    recovery point (within the RPO)."""
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    backdate_source("orders-1", hours=2)
    drop_automated_snapshots()
    arn = snapshot["DBSnapshotArn"]
    hand_copy(destination_rds, snapshot, {"source_region": SOURCE_REGION, "source_snapshot_arn": arn})
    capsys.readouterr()

    result = run()

    orders = entry(result, "orders")
    assert (orders["recovery_point"], orders["within_rpo"]) == (None, False)
    assert result["enqueued"] == [] and result["already_copied"] == 1
    assert orders["legacy_copies"] == 1 and result["legacy_copies"] == 1
    assert reconcile_metrics(capsys).SourcesPastRpo == 0  # created moments ago: not late yet


def test_an_in_region_copy_of_old_data_is_judged_by_the_datas_time(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, source_rds: Any
) -> None:
    """An operator copies a 40-day-old snapshot inside the source region (to re-encrypt or share it): its
    data is 40 days old, older than the 35-day window, whatever its SnapshotCreateTime says. On 0.4.0 it was
    enqueued (and its copy pruned as 40 days old, and enqueued again after REREQUEST_AFTER_HOURS, ...)."""
    sources.db_snapshot("orders-old", instance="orders")
    backdate_source("orders-old", hours=40 * 24)
    source_rds.copy_db_snapshot(SourceDBSnapshotIdentifier="orders-old", TargetDBSnapshotIdentifier="orders-shared")
    drop_automated_snapshots()

    result = run()

    assert result["enqueued"] == []
    assert result["skipped"] == {"older_than_window": 2}


def test_the_recovery_point_of_an_in_region_copy_is_the_datas_time(
    reconcile_env: dict,
    queues: Queues,
    sources: SourceFactory,
    source_rds: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The newest copy is 50 h old (past the 26 h RPO); an operator copies a 30-hour-old snapshot inside the
    source region and the copier copies that copy. The recovery point is 30 h old: still past the RPO. On
    0.4.0 it was the in-region copy's SnapshotCreateTime: 0.0 h, within the RPO."""
    destination_rds = boto3.client("rds", region_name=DESTINATION_REGION)
    old = sources.db_snapshot("orders-50h", instance="orders")
    backdate_source("orders-50h", hours=50)
    sources.db_snapshot("orders-30h", instance="orders")
    backdate_source("orders-30h", hours=30)
    shared = source_rds.copy_db_snapshot(
        SourceDBSnapshotIdentifier="orders-30h", TargetDBSnapshotIdentifier="orders-30h-shared"
    )["DBSnapshot"]
    drop_automated_snapshots()
    our_copy(destination_rds, old)
    our_copy(destination_rds, shared)
    capsys.readouterr()

    result = run()

    orders = entry(result, "orders")
    assert orders["within_rpo"] is False and orders["past_rpo"] is True
    assert 29.9 < orders["recovery_point_age_hours"] < 30.1
    assert orders["lag_hours"] == 0.0  # the newest snapshot's data is as old
    assert reconcile_metrics(capsys).SourcesPastRpo == 1


class ClusterCopies:
    """MOTO GAP: moto gives a cluster snapshot copy no SourceDBClusterSnapshotArn; this source RDS client adds
    it to the named copies (copy identifier -> origin identifier), as RDS describes an in-region copy."""

    def __init__(self, rds: Any, copied_from: dict[str, str]) -> None:
        self._rds = rds
        self._copied_from = copied_from

    def describe_db_cluster_snapshots(self, **params: Any) -> dict[str, Any]:
        answer = self._rds.describe_db_cluster_snapshots(**params)
        for snapshot in answer["DBClusterSnapshots"]:
            origin = self._copied_from.get(snapshot["DBClusterSnapshotIdentifier"])
            if origin is not None:
                snapshot["SourceDBClusterSnapshotArn"] = (
                    f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:cluster-snapshot:{origin}"
                )
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rds, name)


def test_an_in_region_cluster_snapshot_copy_takes_its_origins_time(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, source_rds: Any
) -> None:
    """A cluster snapshot has no OriginalSnapshotCreateTime: a copy of a copy of 40-day-old data is followed
    back (SourceDBClusterSnapshotArn, in the same listing) to its origin, whichever is listed first. On 0.4.0
    both copies were enqueued (their SnapshotCreateTime is now)."""
    sources.cluster_snapshot("ledger-old", cluster="ledger")
    backdate_source("ledger-old", hours=40 * 24, kind="cluster")
    for origin, name in (("ledger-old", "a-ledger-shared"), ("a-ledger-shared", "b-ledger-again")):
        source_rds.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=origin, TargetDBClusterSnapshotIdentifier=name
        )
    young = sources.cluster_snapshot("ledger-young", cluster="ledger")
    backdate_source("ledger-young", hours=2, kind="cluster")
    drop_automated_snapshots()
    rds = ClusterCopies(source_rds, {"a-ledger-shared": "ledger-old", "b-ledger-again": "a-ledger-shared"})
    clients = Clients(rds, boto3.client("rds", region_name=DESTINATION_REGION), queues.sqs)

    result = reconcile(ReconcileConfig.from_env(), clients, datetime.now(UTC), dry_run=True)

    assert result["enqueued"] == [young["DBClusterSnapshotArn"]]
    assert result["skipped"] == {"older_than_window": 3}
    # The newest snapshot is the 2-hour-old one, not the copies made moments ago.
    newest = datetime.fromisoformat(entry(result, "ledger")["newest_snapshot"])
    assert 1.9 < (datetime.now(UTC) - newest).total_seconds() / 3600 < 2.1


@pytest.mark.parametrize("status", ["failed", "incompatible-restore"])
def test_a_broken_copy_is_no_copy(
    reconcile_env: dict,
    queues: Queues,
    sources: SourceFactory,
    destination_rds: Any,
    capsys: pytest.CaptureFixture[str],
    status: str,
) -> None:
    """A copy that failed is enqueued again (the copier replaces it) and counted. On 0.4.0 it counted as
    copied: the snapshot was never copied again."""
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    copy = our_copy(destination_rds, snapshot)
    set_destination_status(copy["DBSnapshotIdentifier"], status)
    capsys.readouterr()

    result = run()

    assert result["enqueued"] == [snapshot["DBSnapshotArn"]]
    assert (result["already_copied"], result["broken_copies"], entry(result, "orders")["broken_copies"]) == (0, 1, 1)
    assert entry(result, "orders")["recovery_point"] is None
    assert reconcile_metrics(capsys).BrokenCopies == 1


@pytest.mark.parametrize("status", ["creating", "copying", "pending", "deleting"])
def test_a_copy_in_progress_or_being_deleted_still_counts_as_copied(
    reconcile_env: dict, queues: Queues, sources: SourceFactory, destination_rds: Any, status: str
) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    copy = our_copy(destination_rds, snapshot)
    set_destination_status(copy["DBSnapshotIdentifier"], status)

    result = run()

    assert (result["enqueued"], result["already_copied"], result["broken_copies"]) == ([], 1, 0)
    assert entry(result, "orders")["recovery_point"] is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RETENTION_DAYS", "1000000", "RETENTION_DAYS must be at most 36500, got 1000000"),
        ("RPO_HOURS", "1e300", "RPO_HOURS must be at most 876000, got '1e300'"),
        ("GRACE_MINUTES", "1e300", "GRACE_MINUTES must be at most 52560000, got '1e300'"),
        ("REREQUEST_AFTER_HOURS", "1e300", "REREQUEST_AFTER_HOURS must be at most 876000, got '1e300'"),
    ],
)
def test_huge_spans_are_refused_by_name(
    reconcile_env: dict, monkeypatch: pytest.MonkeyPatch, sources: SourceFactory, name: str, value: str, message: str
) -> None:
    """On 0.4.0 a huge RETENTION_DAYS or GRACE_MINUTES ended in OverflowError (a date before year 1), a huge
    RPO_HOURS or REREQUEST_AFTER_HOURS was taken as it is."""
    sources.db_snapshot("orders-1", instance="orders")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        run()
    monkeypatch.setenv(name, {"RETENTION_DAYS": "36500", "GRACE_MINUTES": "52560000"}.get(name, "876000"))
    assert run()["sources"]  # the bound itself is accepted, and computes
