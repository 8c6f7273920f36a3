"""Copies in moto: DB and cluster, manual and automated, encryption, option group, idempotency, metrics."""

from __future__ import annotations

import logging

import pytest
from botocore.stub import Stubber

from snapshot_copy.errors import CopyFailedError
from snapshot_copy.naming import target_identifier

from .harness import (
    ACCOUNT,
    DESTINATION_REGION,
    SOURCE_REGION,
    cluster_event,
    db_event,
    failures,
    handler_clients,
    invoke,
    load_event,
    only_metrics,
    our_copies,
    sqs_event,
    tag_dict,
    tag_time,
)


def test_manual_db_snapshot_is_copied_encrypted(function_env: dict, sources, destination_rds, kms_key_arn) -> None:
    snapshot = sources.db_snapshot("mydb-manual-1")
    assert snapshot["Encrypted"] is False
    result = invoke(db_event(snapshot))
    expected = target_identifier("mydb-manual-1", snapshot["DBSnapshotArn"], "db")
    assert result == {
        "status": "started",
        "code": "CopyStarted",
        "reason": f"copy of {snapshot['DBSnapshotArn']} started as {expected}",
        "target": expected,
    }
    (copy,) = our_copies(destination_rds)
    assert copy["DBSnapshotIdentifier"] == expected
    assert copy["Encrypted"] is True
    assert copy["KmsKeyId"] == kms_key_arn
    assert copy["DBSnapshotArn"].split(":")[3] == DESTINATION_REGION
    # This deployment's identity, and when the source's data was taken.
    assert tag_dict(copy)["snapshot_copy_deployment"] == "rds-snapshot-copy"
    assert tag_dict(copy)["source_snapshot_time"] == tag_time(snapshot["OriginalSnapshotCreateTime"])


def test_encrypted_db_snapshot_is_copied_with_the_destination_key(
    function_env: dict, sources, destination_rds, kms_key_arn
) -> None:
    snapshot = sources.db_snapshot("enc-1", instance="encdb", encrypted=True)
    assert snapshot["Encrypted"] is True
    invoke(db_event(snapshot))
    (copy,) = our_copies(destination_rds)
    assert copy["KmsKeyId"] == kms_key_arn


def test_db_copy_request_names_source_by_arn_and_region(
    function_env: dict, sources, destination_calls, kms_key_arn
) -> None:
    snapshot = sources.db_snapshot("req-1")
    result = invoke(db_event(snapshot))
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert params["SourceDBSnapshotIdentifier"] == snapshot["DBSnapshotArn"]
    assert params["SourceRegion"] == SOURCE_REGION
    assert params["KmsKeyId"] == kms_key_arn
    assert params["TargetDBSnapshotIdentifier"] == result["target"]
    assert "OptionGroupName" not in params


def test_option_group_is_passed_for_db_copies(
    function_env: dict, sources, destination_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto ignores OptionGroupName: assert on the request.
    monkeypatch.setenv("OPTION_GROUP_NAME", "dest-og")
    invoke(db_event(sources.db_snapshot("og-1")))
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert params["OptionGroupName"] == "dest-og"


def test_option_group_is_not_passed_for_cluster_copies(
    function_env: dict, sources, destination_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPTION_GROUP_NAME", "dest-og")
    invoke(cluster_event(sources.cluster_snapshot("og-cluster-1", cluster="enccluster", encrypted=True)))
    (params,) = destination_calls.params("CopyDBClusterSnapshot")
    assert "OptionGroupName" not in params


def test_automated_db_snapshot_is_copied_without_the_rds_prefix(
    function_env: dict, sources, destination_rds, destination_calls
) -> None:
    snapshot = sources.automated_db_snapshot("mydb-2024-05-06-12-24")
    assert snapshot["DBSnapshotIdentifier"] == "rds:mydb-2024-05-06-12-24"
    event = db_event(snapshot)
    assert event["detail"]["EventID"] == "RDS-EVENT-0091"
    result = invoke(event)
    assert result["status"] == "started"
    assert result["target"].startswith("mydb-2024-05-06-12-24-")
    (copy,) = our_copies(destination_rds)
    assert copy["DBSnapshotIdentifier"] == result["target"]
    assert tag_dict(copy)["source_snapshot_arn"] == snapshot["DBSnapshotArn"]
    (params,) = destination_calls.params("CopyDBSnapshot")
    assert (
        params["SourceDBSnapshotIdentifier"]
        == f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:rds:mydb-2024-05-06-12-24"
    )


def test_automated_and_manual_snapshot_of_one_name_get_two_copies(function_env: dict, sources, destination_rds) -> None:
    manual = sources.db_snapshot("mydb-x")
    automated = sources.automated_db_snapshot("mydb-x")
    first, second = invoke(db_event(manual)), invoke(db_event(automated))
    assert first["status"] == second["status"] == "started"
    assert first["target"] != second["target"]
    sources_tagged = {tag_dict(c)["source_snapshot_arn"] for c in our_copies(destination_rds)}
    assert sources_tagged == {manual["DBSnapshotArn"], automated["DBSnapshotArn"]}


def test_encrypted_cluster_snapshot_is_copied_with_the_destination_key(
    function_env: dict, sources, destination_rds, destination_calls, kms_key_arn
) -> None:
    snapshot = sources.cluster_snapshot("mycluster-manual-1", cluster="enccluster", encrypted=True)
    assert snapshot["StorageEncrypted"] is True
    result = invoke(cluster_event(snapshot))
    assert result["status"] == "started"
    (params,) = destination_calls.params("CopyDBClusterSnapshot")
    assert params["KmsKeyId"] == kms_key_arn
    assert params["SourceDBClusterSnapshotIdentifier"] == snapshot["DBClusterSnapshotArn"]
    assert params["SourceRegion"] == SOURCE_REGION
    (copy,) = our_copies(destination_rds, "cluster")
    assert copy["DBClusterSnapshotIdentifier"] == result["target"]
    assert copy["KmsKeyId"] == kms_key_arn
    assert len(result["target"]) <= 63


def test_unencrypted_cluster_snapshot_is_copied_without_a_key_and_warns(
    function_env: dict, sources, caplog: pytest.LogCaptureFixture
) -> None:
    # MOTO GAP: moto accepts a KmsKeyId for the copy of an unencrypted cluster snapshot (RDS refuses it),
    # so the request itself is checked with a Stubber on the destination client: exact params, no KmsKeyId.
    caplog.set_level(logging.INFO)
    snapshot = sources.cluster_snapshot("plain-cluster-1")
    assert snapshot["StorageEncrypted"] is False
    arn = snapshot["DBClusterSnapshotArn"]
    target = target_identifier("plain-cluster-1", arn, "cluster")
    destination = handler_clients().destination_rds
    with Stubber(destination) as stub:
        stub.add_response(
            "describe_db_cluster_snapshots",
            {"DBClusterSnapshots": []},
            {"SnapshotType": "manual", "MaxRecords": 100},
        )
        stub.add_response(
            "copy_db_cluster_snapshot",
            {"DBClusterSnapshot": {"DBClusterSnapshotIdentifier": target, "Status": "copying"}},
            {
                "SourceDBClusterSnapshotIdentifier": arn,
                "TargetDBClusterSnapshotIdentifier": target,
                "SourceRegion": SOURCE_REGION,
                "Tags": [
                    {"Key": "source_region", "Value": SOURCE_REGION},
                    {"Key": "source_snapshot_arn", "Value": arn},
                    {"Key": "snapshot_copy_deployment", "Value": "rds-snapshot-copy"},
                    {"Key": "source_account", "Value": ACCOUNT},
                    # Aurora copies across regions in full, always (incremental.py).
                    {"Key": "incremental_base", "Value": "false"},
                    {"Key": "source_snapshot_time", "Value": tag_time(snapshot["SnapshotCreateTime"])},
                ],
            },
        )
        result = invoke(cluster_event(snapshot))
        stub.assert_no_pending_responses()
    assert result["status"] == "started"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "not encrypted" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].snapshot_arn == arn


def test_automated_cluster_snapshot_is_copied(function_env: dict, sources, destination_rds) -> None:
    snapshot = sources.automated_cluster_snapshot("mycluster-2024-05-06-12-24")
    event = cluster_event(snapshot)
    assert event["detail"]["EventID"] == "RDS-EVENT-0169"
    result = invoke(event)
    assert result["status"] == "started"
    assert result["target"].startswith("mycluster-2024-05-06-12-24-")
    (copy,) = our_copies(destination_rds, "cluster")
    assert tag_dict(copy)["source_snapshot_arn"] == snapshot["DBClusterSnapshotArn"]


def test_long_db_name_is_copied_and_recognised_again(function_env: dict, sources, destination_rds) -> None:
    # An ARN past 256 characters: the source_snapshot_arn tag holds a shortened value, still recognised.
    snapshot = sources.db_snapshot("a" * 255)
    first = invoke(db_event(snapshot))
    second = invoke(db_event(snapshot))
    assert (first["status"], second["status"]) == ("started", "exists")
    assert len(our_copies(destination_rds)) == 1


# ---- idempotency ----


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_same_bare_event_twice_copies_once(kind: str, function_env: dict, sources, destination_rds) -> None:
    if kind == "db":
        event = db_event(sources.db_snapshot("twice-1"))
    else:
        event = cluster_event(sources.cluster_snapshot("twice-1"))
    first = invoke(event)
    second = invoke(event)
    assert first["status"] == "started"
    assert second["status"] == "exists"
    assert second["code"] == "AlreadyCopied"
    assert second["target"] == first["target"]
    assert len(our_copies(destination_rds, kind)) == 1


def test_same_sqs_event_twice_copies_once(function_env: dict, queues, sources, destination_rds) -> None:
    event = db_event(sources.db_snapshot("twice-sqs"))
    first = invoke(sqs_event(queues.records([event])))
    second = invoke(sqs_event(queues.records([event])))
    assert first == second == {"batchItemFailures": []}
    assert len(our_copies(destination_rds)) == 1


def test_same_event_twice_in_one_batch_copies_once(
    function_env: dict,
    queues,
    sources,
    destination_rds,
    destination_calls,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    event = db_event(sources.db_snapshot("twice-batch"))
    response = invoke(sqs_event(queues.records([event, event])))
    assert response == {"batchItemFailures": []}
    assert len(our_copies(destination_rds)) == 1
    assert len(destination_calls.params("CopyDBSnapshot")) == 1
    metrics = only_metrics(capsys)
    assert (metrics.CopiesStarted, metrics.CopiesAlreadyPresent) == (1, 1)


def test_target_name_taken_by_another_source_fails(
    function_env: dict, sources, destination_rds, queues, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = sources.db_snapshot("taken-1")
    target = target_identifier("taken-1", snapshot["DBSnapshotArn"], "db")
    # A snapshot of that name already in the destination, tagged as a copy of something else.
    other = f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:other"
    destination_rds.create_db_instance(
        DBInstanceIdentifier="destdb",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password",
    )
    destination_rds.create_db_snapshot(
        DBInstanceIdentifier="destdb",
        DBSnapshotIdentifier=target,
        Tags=[{"Key": "source_snapshot_arn", "Value": other}],
    )
    with pytest.raises(CopyFailedError, match="exists in the destination") as raised:
        invoke(db_event(snapshot))
    assert raised.value.code == "TargetNameTaken"
    assert other in str(raised.value)


def test_snapshot_from_another_region_is_refused(function_env: dict, destination_rds) -> None:
    arn = f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:elsewhere-1"
    with pytest.raises(CopyFailedError) as raised:
        invoke(load_event("db_snapshot_manual_created", arn))
    assert raised.value.code == "WrongSourceRegion"
    assert our_copies(destination_rds) == []


def test_source_not_available_is_postponed(function_env: dict, sources, destination_rds) -> None:
    from moto.rds.models import rds_backends

    from snapshot_copy.errors import CopyPostponedError

    snapshot = sources.db_snapshot("still-creating")
    rds_backends[ACCOUNT][SOURCE_REGION].database_snapshots["still-creating"].status = "creating"
    with pytest.raises(CopyPostponedError) as raised:
        invoke(db_event(snapshot))
    assert raised.value.code == "SourceNotAvailable"
    assert our_copies(destination_rds) == []


# ---- metrics ----


def test_one_metrics_record_per_bare_invocation(
    function_env: dict, sources, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    invoke(db_event(sources.db_snapshot("metrics-1")))
    record = only_metrics(capsys)
    assert record.CopiesStarted == 1
    assert record.DeadLettered == 0
    assert record.FunctionName == "rds-snapshot-copy"
    (directive,) = record._aws["CloudWatchMetrics"]
    assert directive["Namespace"] == "RdsSnapshotCopy"
    assert directive["Dimensions"] == [["FunctionName"]]
    assert {m["Name"] for m in directive["Metrics"]} >= {"CopiesStarted", "CopySlotWaits", "DeadLettered"}


def test_metric_namespace_and_function_name_from_env(
    function_env: dict,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    monkeypatch.setenv("METRIC_NAMESPACE", "Custom/Copies")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "from-env")
    copy_snapshot_result = invoke(load_event("non_rds_event"), context=object())
    assert copy_snapshot_result["status"] == "ignored"
    record = only_metrics(capsys)
    assert record._aws["CloudWatchMetrics"][0]["Namespace"] == "Custom/Copies"
    assert record.FunctionName == "from-env"
    assert record.EventsIgnored == 1


def test_failed_bare_invocation_counts_dead_lettered(
    function_env: dict, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    with pytest.raises(CopyFailedError):
        invoke(load_event("db_snapshot_manual_created", f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:x"))
    assert only_metrics(capsys).DeadLettered == 1


def test_malformed_bare_invocation_still_emits_one_metrics_record(
    function_env: dict, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Contract: one EMF record per invocation. A malformed bare event raises before metrics.emit runs.
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    from snapshot_copy.errors import MalformedEventError

    with pytest.raises(MalformedEventError):
        invoke(load_event("malformed_no_source_arn"))
    assert only_metrics(capsys).DeadLettered == 1


def test_sqs_batch_with_a_failure_lists_it(function_env: dict, queues, sources) -> None:
    # Without DEAD_LETTER_QUEUE_URL a failed record is left to the queue's redrive policy.
    ok = db_event(sources.db_snapshot("ok-1"))
    records = queues.records([ok, load_event("malformed_no_source_arn")])
    assert failures(invoke(sqs_event(records))) == {records[1]["messageId"]}
