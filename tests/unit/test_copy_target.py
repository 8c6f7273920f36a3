"""What is already at the target name, and whose it is: this deployment's copy (done), a 0.4.x copy (done),
another deployment's or no copy at all (TargetNameTaken, never touched), a broken copy of ours (deleted and
copied again), a copy being deleted (later). And the source time of a cluster snapshot that is a copy.

MOTO GAP: moto's snapshots are `available` at once (harness.set_destination_status sets other states), and
moto's cluster snapshot copies name no SourceDBClusterSnapshotArn (a Stubber on the source client does).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber

from snapshot_copy.errors import CopyFailedError, CopyPostponedError
from snapshot_copy.naming import target_identifier

from .harness import (
    ACCOUNT,
    SOURCE_REGION,
    CallRecorder,
    cluster_event,
    db_event,
    destination_snapshot,
    failures,
    handler_clients,
    invoke,
    only_metrics,
    our_copies,
    set_destination_status,
    sqs_event,
    tag_dict,
    tag_time,
)

DEPLOYMENT = "rds-snapshot-copy"  # DEPLOYMENT_NAME unset: the module's default name


def copy_tags_of(arn: str, deployment: str | None = DEPLOYMENT, region: str | None = SOURCE_REGION) -> dict:
    tags = {"source_snapshot_arn": arn}
    if region is not None:
        tags["source_region"] = region
    if deployment is not None:
        tags["snapshot_copy_deployment"] = deployment
    return tags


def snapshots_named(destination_rds, identifier: str, kind: str = "db") -> list[dict]:
    if kind == "cluster":
        found = destination_rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
        return [s for s in found if s["DBClusterSnapshotIdentifier"] == identifier]
    found = destination_rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    return [s for s in found if s["DBSnapshotIdentifier"] == identifier]


# ---- whose copy is at the target name ----


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_another_deployments_copy_at_the_target_name_is_not_ours(
    kind: str, with_dlq, sources, destination_rds, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two deployments copying one source region into one destination: the other one's copy carries the
    # same source_region and source_snapshot_arn tags. 0.4.0 took it for its own copy (AlreadyCopied).
    if kind == "db":
        snapshot = sources.db_snapshot("shared-1")
        arn, event = snapshot["DBSnapshotArn"], db_event(snapshot)
    else:
        snapshot = sources.cluster_snapshot("shared-1")
        arn, event = snapshot["DBClusterSnapshotArn"], cluster_event(snapshot)
    target = target_identifier("shared-1", arn, kind)
    destination_snapshot(destination_rds, target, copy_tags_of(arn, deployment="orders-dr"), kind)
    records = with_dlq.records([event])
    capsys.readouterr()
    assert invoke(sqs_event(records)) == {"batchItemFailures": []}
    (dead,) = with_dlq.dead_letters()
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["error_code"] == "TargetNameTaken"
    assert "'orders-dr'" in attributes["error_reason"] and "'rds-snapshot-copy'" in attributes["error_reason"]
    assert (only_metrics(capsys).DeadLettered, len(snapshots_named(destination_rds, target, kind))) == (1, 1)


def test_a_snapshot_tagged_as_a_copy_without_the_region_tag_is_not_ours(sources, destination_rds, function_env) -> None:
    # Tags can be copied or written by anyone: the source-ARN tag alone never makes a copy ours.
    snapshot = sources.db_snapshot("tag-only-1")
    target = target_identifier("tag-only-1", snapshot["DBSnapshotArn"], "db")
    destination_snapshot(destination_rds, target, {"source_snapshot_arn": snapshot["DBSnapshotArn"]})
    with pytest.raises(CopyFailedError, match="has no source_region tag") as raised:
        invoke(db_event(snapshot))
    assert raised.value.code == "TargetNameTaken"


def test_a_snapshot_that_is_no_copy_at_the_target_name_is_named_so(function_env, sources, destination_rds) -> None:
    # Not in the listing (no source-ARN tag): RDS refuses the copy, the snapshot is read and judged.
    snapshot = sources.db_snapshot("plain-1")
    target = target_identifier("plain-1", snapshot["DBSnapshotArn"], "db")
    destination_snapshot(destination_rds, target, {"owner": "an-operator"})
    with pytest.raises(CopyFailedError, match="not a copy made by this module") as raised:
        invoke(db_event(snapshot))
    assert raised.value.code == "TargetNameTaken"


@pytest.mark.parametrize("status", ["available", "copying"])
def test_a_0_4_copy_at_the_target_name_is_already_copied(
    status: str, function_env, sources, destination_rds, destination_calls
) -> None:
    # After the upgrade, an event (or the reconciler's message) for a snapshot 0.4.x copied makes no duplicate.
    snapshot = sources.db_snapshot("legacy-1")
    target = target_identifier("legacy-1", snapshot["DBSnapshotArn"], "db")
    destination_snapshot(
        destination_rds, target, copy_tags_of(snapshot["DBSnapshotArn"], deployment=None), status=status
    )
    result = invoke(db_event(snapshot))
    assert (result["status"], result["code"], result["target"]) == ("exists", "AlreadyCopied", target)
    assert "adopt" in result["reason"]
    assert destination_calls.params("CopyDBSnapshot") == []


def test_a_copy_made_under_another_deployment_name_is_not_ours(
    function_env, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module renamed (DEPLOYMENT_NAME changed): the old name's copies are another deployment's.
    event = db_event(sources.db_snapshot("renamed-1"))
    invoke(event)
    monkeypatch.setenv("DEPLOYMENT_NAME", "orders-dr")
    with pytest.raises(CopyFailedError) as raised:
        invoke(event)
    assert raised.value.code == "TargetNameTaken"


# ---- only `available` counts: broken copies ----


@pytest.mark.parametrize("kind", ["db", "cluster"])
@pytest.mark.parametrize("status", ["failed", "incompatible-restore"])
def test_a_broken_copy_of_ours_is_deleted_and_copied_again(
    status: str,
    kind: str,
    function_env,
    queues,
    sources,
    destination_rds,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 0.4.0 took any copy for done (AlreadyCopied): a failed one left the source without a copy for good.
    if kind == "db":
        event = db_event(sources.db_snapshot("broken-1"))
    else:
        event = cluster_event(sources.cluster_snapshot("broken-1"))
    first = invoke(event)
    set_destination_status(first["target"], status, kind)
    calls = CallRecorder(handler_clients().destination_rds)
    caplog.set_level(logging.INFO)
    capsys.readouterr()
    records = queues.records([event])
    assert invoke(sqs_event(records)) == {"batchItemFailures": []}
    delete = "DeleteDBClusterSnapshot" if kind == "cluster" else "DeleteDBSnapshot"
    id_key = "DBClusterSnapshotIdentifier" if kind == "cluster" else "DBSnapshotIdentifier"
    assert [name for name, _ in calls.calls if name.startswith(("Delete", "Copy"))] == [
        delete,
        "CopyDBClusterSnapshot" if kind == "cluster" else "CopyDBSnapshot",
    ]
    assert calls.params(delete) == [{id_key: first["target"]}]
    (copy,) = our_copies(destination_rds, kind)
    assert (copy[id_key], copy["Status"]) == (first["target"], "available")  # moto: the new copy
    metrics = only_metrics(capsys)
    assert (metrics.BrokenCopiesReplaced, metrics.CopiesStarted, metrics.CopiesAlreadyPresent) == (1, 1, 0)
    settled = [r for r in caplog.records if getattr(r, "code", None) == "CopyStarted"]
    assert [r.replaced for r in settled] == [status]


def test_a_broken_0_4_copy_is_dead_lettered_with_what_to_do(
    with_dlq, sources, destination_rds, destination_calls
) -> None:
    # The copier may delete only copies tagged as this deployment's (iam.tf): a 0.4.x copy is not, until
    # `rds-snapshot-copy adopt` tags it. 0.4.0 took the failed copy for done.
    snapshot = sources.db_snapshot("broken-legacy-1")
    target = target_identifier("broken-legacy-1", snapshot["DBSnapshotArn"], "db")
    tags = copy_tags_of(snapshot["DBSnapshotArn"], deployment=None)
    destination_snapshot(destination_rds, target, tags, status="failed")
    assert invoke(sqs_event(with_dlq.records([db_event(snapshot)]))) == {"batchItemFailures": []}
    (dead,) = with_dlq.dead_letters()
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["error_code"] == "BrokenLegacyCopy"
    assert "rds-snapshot-copy adopt" in attributes["error_reason"] and "failed" in attributes["error_reason"]
    assert destination_calls.params("DeleteDBSnapshot") == []
    assert snapshots_named(destination_rds, target)[0]["Status"] == "failed"


def test_another_deployments_broken_copy_is_never_deleted(
    function_env, sources, destination_rds, destination_calls
) -> None:
    snapshot = sources.db_snapshot("broken-theirs-1")
    target = target_identifier("broken-theirs-1", snapshot["DBSnapshotArn"], "db")
    tags = copy_tags_of(snapshot["DBSnapshotArn"], deployment="orders-dr")
    destination_snapshot(destination_rds, target, tags, status="failed")
    with pytest.raises(CopyFailedError) as raised:
        invoke(db_event(snapshot))
    assert raised.value.code == "TargetNameTaken"
    assert destination_calls.params("DeleteDBSnapshot") == []
    (still,) = snapshots_named(destination_rds, target)
    assert still["Status"] == "failed"


def test_a_copy_being_deleted_is_looked_at_again_later(function_env, queues, sources, destination_rds) -> None:
    event = db_event(sources.db_snapshot("deleting-1"))
    first = invoke(event)
    set_destination_status(first["target"], "deleting")
    records = queues.records([event])
    assert failures(invoke(sqs_event(records))) == {records[0]["messageId"]}
    assert 4 <= queues.visible_in(records[0]["messageId"]) <= 10  # a retry's first delay
    with pytest.raises(CopyPostponedError) as raised:
        invoke(event)
    assert raised.value.code == "CopyBeingDeleted"


def test_a_broken_copy_that_cannot_be_deleted_is_retried_with_the_reason(
    function_env, sources, destination_rds
) -> None:
    event = db_event(sources.db_snapshot("undeletable-1"))
    first = invoke(event)
    set_destination_status(first["target"], "failed")
    with Stubber(handler_clients().destination_rds) as stub:
        stub.add_response(
            "describe_db_snapshots",
            {"DBSnapshots": destination_rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]},
        )
        stub.add_client_error("delete_db_snapshot", "AccessDenied", "not allowed", 403)
        with pytest.raises(CopyPostponedError, match=f"deleting broken copy {first['target']} \\(failed\\)") as raised:
            invoke(event)
        stub.assert_no_pending_responses()
    assert raised.value.code == "AccessDenied"


# ---- the source time of a cluster snapshot that is itself a copy ----


@pytest.mark.parametrize("origin_found", [True, False])
def test_a_cluster_snapshot_copied_in_the_source_region_takes_its_origins_time(
    origin_found: bool, function_env, sources, destination_rds
) -> None:
    # An operator's in-region copy of an older cluster snapshot: its SnapshotCreateTime is when it was
    # copied; the data is the origin's, whose origin in turn is in another region (not looked up).
    snapshot = sources.cluster_snapshot("copied-cluster-1", cluster="enccluster", encrypted=True)
    origin_arn = f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:cluster-snapshot:original-1"
    copied = datetime.now(UTC).replace(microsecond=0)
    taken = copied - timedelta(days=3)
    described = {
        **{key: snapshot[key] for key in ("DBClusterSnapshotIdentifier", "DBClusterSnapshotArn", "StorageEncrypted")},
        "Status": "available",
        "SnapshotCreateTime": copied,
        "SourceDBClusterSnapshotArn": origin_arn,
        "TagList": [],
    }
    origin = {
        "DBClusterSnapshotIdentifier": "original-1",
        "Status": "available",
        "SnapshotCreateTime": taken,
        "SourceDBClusterSnapshotArn": "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:elsewhere",
    }
    with Stubber(handler_clients().source_rds) as stub:
        stub.add_response(
            "describe_db_cluster_snapshots",
            {"DBClusterSnapshots": [described]},
            {"DBClusterSnapshotIdentifier": "copied-cluster-1"},
        )
        if origin_found:
            stub.add_response(
                "describe_db_cluster_snapshots",
                {"DBClusterSnapshots": [origin]},
                {"DBClusterSnapshotIdentifier": origin_arn},
            )
        else:
            stub.add_client_error("describe_db_cluster_snapshots", "DBClusterSnapshotNotFoundFault", "gone", 404)
        result = invoke(cluster_event(snapshot))
        stub.assert_no_pending_responses()
    assert result["status"] == "started"
    (copy,) = our_copies(destination_rds, "cluster")
    assert tag_dict(copy)["source_snapshot_time"] == tag_time(taken if origin_found else copied)
