"""Tags on every copy: the source's own plus ours (the deployment's identity and when the source's data was
taken among them), no `aws:` keys, at most 50, ours win."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from snapshot_copy.tagging import MAX_TAGS, copy_tags, source_arn_tag_value, tag_value

from .harness import (
    ACCOUNT,
    SOURCE_REGION,
    backdate_source,
    cluster_event,
    db_event,
    invoke,
    only_metrics,
    our_copies,
    tag_dict,
    tag_time,
)

ARN = f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:mydb-1"
DEPLOYMENT = "rds-snapshot-copy"  # the module's default name, DEPLOYMENT_NAME when unset
OURS = {
    "source_region": SOURCE_REGION,
    "source_snapshot_arn": ARN,
    "snapshot_copy_deployment": DEPLOYMENT,
    # Every copy names its source's account (the ARN's): a vault holds copies of several accounts' snapshots.
    "source_account": ACCOUNT,
}


def as_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def test_copy_carries_source_tags_and_ours() -> None:
    tags = copy_tags(
        [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}], SOURCE_REGION, ARN, DEPLOYMENT
    )
    assert as_dict(tags) == {"team": "data", "env": "prod", **OURS}


def test_the_source_time_tag_is_written_in_utc_to_the_second() -> None:
    taken = datetime(2026, 3, 1, 4, 5, 6, 789000, tzinfo=UTC)
    tags = as_dict(copy_tags([], SOURCE_REGION, ARN, DEPLOYMENT, taken))
    assert tags == {**OURS, "source_snapshot_time": "2026-03-01T04:05:06+00:00"}
    from snapshot_copy.tagging import parse_time

    assert parse_time(tags["source_snapshot_time"]) == taken.replace(microsecond=0)


def test_reserved_aws_tags_are_left_out(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    source = [
        {"Key": "aws:cloudformation:stack-name", "Value": "x"},
        {"Key": "AWS:Backup", "Value": "y"},
        {"Key": "team", "Value": "data"},
    ]
    tags = as_dict(copy_tags(source, SOURCE_REGION, ARN, DEPLOYMENT))
    assert not [k for k in tags if k.lower().startswith("aws:")]
    assert tags["team"] == "data"
    logged = [r for r in caplog.records if hasattr(r, "tag_keys")]
    assert logged and set(logged[0].tag_keys) == {"aws:cloudformation:stack-name", "AWS:Backup"}


def test_our_tags_win_over_source_tags_of_the_same_key() -> None:
    # A source that is itself a copy (another deployment's, even) carries our tag names: ours replace them.
    source = [
        {"Key": "source_region", "Value": "eu-west-1"},
        {"Key": "source_snapshot_arn", "Value": "arn:aws:rds:eu-west-1:111111111111:snapshot:old"},
        {"Key": "snapshot_copy_deployment", "Value": "another-deployment"},
        {"Key": "source_snapshot_time", "Value": "2020-01-01T00:00:00+00:00"},
    ]
    taken = datetime(2026, 3, 1, tzinfo=UTC)
    tags = copy_tags(source, SOURCE_REGION, ARN, DEPLOYMENT, taken)
    assert as_dict(tags) == {**OURS, "source_snapshot_time": tag_time(taken)}
    assert len(tags) == 5


@pytest.mark.parametrize("count", [47, 48, 49, 50, 60])
def test_at_most_fifty_tags_and_dropped_ones_logged(count: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    source = [{"Key": f"k{i:02d}", "Value": str(i)} for i in range(count)]
    tags = as_dict(copy_tags(source, SOURCE_REGION, ARN, DEPLOYMENT))
    assert len(tags) == min(MAX_TAGS, count + len(OURS))
    assert {key: tags[key] for key in OURS} == OURS
    dropped_logs = [r for r in caplog.records if hasattr(r, "dropped_tag_keys")]
    expected_dropped = [f"k{i:02d}" for i in range(MAX_TAGS - len(OURS), count)]
    if expected_dropped:
        assert len(dropped_logs) == 1
        assert dropped_logs[0].levelno == logging.WARNING
        assert dropped_logs[0].dropped_tag_keys == expected_dropped
        assert not set(expected_dropped) & set(tags)
    else:
        assert dropped_logs == []


def test_reserved_tags_do_not_take_room(caplog: pytest.LogCaptureFixture) -> None:
    source = [{"Key": f"aws:k{i}", "Value": "x"} for i in range(10)]
    source += [{"Key": f"k{i:02d}", "Value": str(i)} for i in range(MAX_TAGS - len(OURS))]
    tags = as_dict(copy_tags(source, SOURCE_REGION, ARN, DEPLOYMENT))
    assert len(tags) == 50
    assert not [r for r in caplog.records if hasattr(r, "dropped_tag_keys")]


def test_empty_tag_value_is_kept() -> None:
    assert as_dict(copy_tags([{"Key": "flag"}], SOURCE_REGION, ARN, DEPLOYMENT))["flag"] == ""


def test_long_arn_tag_value_fits_rds_limit_and_stays_distinct() -> None:
    long_a = f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:{'a' * 254}1"
    long_b = f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:{'a' * 254}2"
    assert len(source_arn_tag_value(long_a)) <= 256
    assert source_arn_tag_value(long_a) != source_arn_tag_value(long_b)
    assert source_arn_tag_value(ARN) == ARN


def test_tag_value() -> None:
    assert tag_value([{"Key": "a", "Value": "1"}], "a") == "1"
    assert tag_value([{"Key": "a", "Value": "1"}], "b") is None
    assert tag_value(None, "a") is None


# ---- on the copies in moto ----


def test_db_copy_in_destination_has_the_tags(function_env: dict, sources, source_rds, destination_rds) -> None:
    snapshot = sources.db_snapshot(
        "tagged-1", tags={"team": "data", "aws:backup:source-resource": "x", "cost-centre": "42"}
    )
    backdate_source("tagged-1", hours=30)
    (source,) = source_rds.describe_db_snapshots(DBSnapshotIdentifier="tagged-1")["DBSnapshots"]
    invoke(db_event(snapshot))
    (copy,) = our_copies(destination_rds)
    assert tag_dict(copy) == {
        "team": "data",
        "cost-centre": "42",
        "source_region": SOURCE_REGION,
        "source_snapshot_arn": snapshot["DBSnapshotArn"],
        "snapshot_copy_deployment": DEPLOYMENT,
        "source_account": ACCOUNT,
        # The first copy of this database in the destination: a full one.
        "incremental_base": "false",
        # When the source's data was taken (30 h ago), not when it was copied.
        "source_snapshot_time": tag_time(source["OriginalSnapshotCreateTime"]),
    }
    taken = datetime.fromisoformat(tag_dict(copy)["source_snapshot_time"])
    assert timedelta(hours=29) < datetime.now(UTC) - taken < timedelta(hours=31)


def test_cluster_copy_in_destination_has_the_tags(function_env: dict, sources, source_rds, destination_rds) -> None:
    snapshot = sources.cluster_snapshot("tagged-cluster-1", tags={"team": "data"})
    backdate_source("tagged-cluster-1", hours=30, kind="cluster")
    (source,) = source_rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="tagged-cluster-1")[
        "DBClusterSnapshots"
    ]
    invoke(cluster_event(snapshot))
    (copy,) = our_copies(destination_rds, "cluster")
    assert tag_dict(copy) == {
        "team": "data",
        "source_region": SOURCE_REGION,
        "source_snapshot_arn": snapshot["DBClusterSnapshotArn"],
        "snapshot_copy_deployment": DEPLOYMENT,
        "source_account": ACCOUNT,
        "incremental_base": "false",  # Aurora: always full
        "source_snapshot_time": tag_time(source["SnapshotCreateTime"]),
    }


def test_the_deployment_tag_is_the_deployments_name(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOYMENT_NAME", "orders-dr")
    invoke(db_event(sources.db_snapshot("named-1")))
    (copy,) = our_copies(destination_rds)
    assert tag_dict(copy)["snapshot_copy_deployment"] == "orders-dr"


def test_copy_of_a_snapshot_with_too_many_tags(
    function_env: dict, sources, destination_rds, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    snapshot = sources.db_snapshot("many-tags", tags={f"k{i:02d}": str(i) for i in range(50)})
    invoke(db_event(snapshot))
    (copy,) = our_copies(destination_rds)
    tags = tag_dict(copy)
    assert len(tags) == 50
    assert tags["source_snapshot_arn"] == snapshot["DBSnapshotArn"]
    assert tags["snapshot_copy_deployment"] == DEPLOYMENT and "source_snapshot_time" in tags
    # Six of ours (the source time, account and incremental base among them): 44 of the source's 50 fit.
    assert [r.dropped_tag_keys for r in caplog.records if hasattr(r, "dropped_tag_keys")] == [
        ["k44", "k45", "k46", "k47", "k48", "k49"]
    ]


def test_a_second_copy_of_a_database_is_incremental_and_counted(
    function_env: dict, sources, destination_rds, capsys: pytest.CaptureFixture[str]
) -> None:
    """RDS copies a DB snapshot incrementally when a copy of the same database under the same key is available
    in the destination: the copy says which it was (tag) and the metrics count full and incremental copies."""
    first = sources.db_snapshot("incr-1", instance="incr-db")
    capsys.readouterr()
    invoke(db_event(first))
    assert only_metrics(capsys).FullCopies == 1
    second = sources.db_snapshot("incr-2", instance="incr-db")
    invoke(db_event(second))
    record = only_metrics(capsys)
    assert (record.FullCopies, record.IncrementalCopies) == (0, 1)
    tags = {
        tag_value(c["TagList"], "source_snapshot_arn"): tag_value(c["TagList"], "incremental_base")
        for c in our_copies(destination_rds)
    }
    assert tags == {first["DBSnapshotArn"]: "false", second["DBSnapshotArn"]: "true"}
    # Another database has no base: full.
    invoke(db_event(sources.db_snapshot("other-1", instance="other-db")))
    assert only_metrics(capsys).FullCopies == 1
