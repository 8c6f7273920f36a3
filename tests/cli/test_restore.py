"""`restore`: the newest available copy of this deployment of a named source (newest by its data's time),
planned (dry run) or applied, for a DB instance and an Aurora cluster; the deployment by --function or flags;
defaults from the source; every bad input refused with nothing changed."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rds_snapshot_copy import cli, restore
from tests.cli.conftest import (
    DEPLOYMENT,
    FUNCTION,
    LEGACY,
    SECURITY_GROUP,
    SUBNET_GROUP,
    NoSleep,
    World,
    deployment_function,
)
from tests.iam.recording import RECORDER
from tests.unit.harness import DESTINATION_REGION, SOURCE_REGION


def plan_json(run: Any) -> dict[str, Any]:
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_dry_run_of_an_instance_takes_the_sources_settings_and_changes_nothing(world: World, run_restore) -> None:
    world.instance("orders", "db.t3.small", Port=6543)
    copy = world.copy("db", "orders", "orders-1", tags={"team": "orders"})

    run = run_restore(world.clients(), "orders")

    assert run.code == 0, run.err
    assert "RestoreDBInstanceFromDBSnapshot" in run.out
    assert "dry run: nothing was changed" in run.out
    assert world.instances() == []
    document = plan_json(run_restore(world.clients(), "orders", "--json"))
    (operation,) = document["operations"]
    params = operation["parameters"]
    assert params["DBInstanceIdentifier"] == "orders"
    assert params["DBSnapshotIdentifier"] == copy["DBSnapshotIdentifier"]
    assert params["DBSubnetGroupName"] == SUBNET_GROUP
    assert params["VpcSecurityGroupIds"] == [world.security_group_id]
    assert params["DBInstanceClass"] == "db.t3.small"
    assert params["Port"] == 6543
    assert params["DeletionProtection"] is True
    tags = {t["Key"]: t["Value"] for t in params["Tags"]}
    assert tags["team"] == "orders"  # the source's own tags, carried by the copy
    assert tags["restored_from_region"] == SOURCE_REGION
    assert tags["restored_from_source"] == "orders"
    assert tags["restored_from_snapshot"] == copy["DBSnapshotArn"]
    assert tags["restored_by"] == "rds-snapshot-copy"
    assert tags["recovery_point"] == document["recovery_point"][:19] + "+00:00" or tags["recovery_point"]
    assert "source_snapshot_arn" not in tags and "source_region" not in tags  # never the copy tags
    assert document["origins"]["DB subnet group"].startswith("source")
    assert document["origins"]["VPC security groups"].startswith("source")
    assert world.instances() == []


def test_the_cli_command_is_the_same_call_correctly_quoted(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1", tags={"note": "it's a test, with spaces"})
    document = plan_json(run_restore(world.clients(), "orders", "--json", "--tag", "ticket=INC 42"))
    words = shlex.split(document["cli"][0])
    assert words[:5] == ["aws", "rds", "restore-db-instance-from-db-snapshot", "--region", DESTINATION_REGION]
    params = document["operations"][0]["parameters"]
    assert words[words.index("--db-instance-identifier") + 1] == "orders"
    assert words[words.index("--vpc-security-group-ids") + 1] == world.security_group_id
    assert "--deletion-protection" in words
    assert json.loads(words[words.index("--tags") + 1]) == params["Tags"]
    tags = {t["Key"]: t["Value"] for t in params["Tags"]}
    assert tags["note"] == "it's a test, with spaces" and tags["ticket"] == "INC 42"


def test_cli_command_spells_booleans_lists_and_numbers_as_the_aws_cli_does() -> None:
    command = restore.cli_command(
        "RestoreDBClusterFromSnapshot",
        {"DBClusterIdentifier": "x", "Port": 5432, "DeletionProtection": False, "VpcSecurityGroupIds": ["a", "b"]},
        "eu-west-1",
    )
    assert command == (
        "aws rds restore-db-cluster-from-snapshot --region eu-west-1 --db-cluster-identifier x --port 5432 "
        "--no-deletion-protection --vpc-security-group-ids a b"
    )


def test_apply_restores_an_instance_and_prints_its_endpoint(world: World, run_restore) -> None:
    world.instance("orders")
    copy = world.copy("db", "orders", "orders-1")

    run = run_restore(world.clients(), "orders", "--target", "orders-dr", "--apply", "--no-deletion-protection")

    assert run.code == 0, run.err
    assert world.instances() == ["orders-dr"]
    restored = world.rds.describe_db_instances(DBInstanceIdentifier="orders-dr")["DBInstances"][0]
    assert restored["KmsKeyId"] == copy["KmsKeyId"] == world.key_arn
    assert restored["DeletionProtection"] is False
    assert restored["DBSubnetGroup"]["DBSubnetGroupName"] == SUBNET_GROUP
    assert {t["Key"]: t["Value"] for t in restored["TagList"]}["restored_from_source"] == "orders"
    assert f"orders-dr is available at {restored['Endpoint']['Address']}:5432 after 0.0 s" in run.out


def test_apply_waits_with_polling_and_reports_the_elapsed_time(world: World, run_restore) -> None:
    from tests.cli.conftest import Slow

    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    slow = Slow(world.rds)
    clock = NoSleep()

    def sleep(seconds: float) -> None:
        clock.now += seconds
        if clock.now >= 1000 + 90:
            slow.creating = False

    clock.sleep = sleep  # type: ignore[method-assign]
    run = run_restore(world.clients(rds=slow), "orders", "--apply", "--poll-seconds", "30", "--json", clock=clock)
    document = json.loads(run.out)
    assert run.code == 0, run.err
    assert document["status"] == "available"
    assert document["elapsed_seconds"] == 90.0
    assert document["usable_seconds"] == 90.0
    assert document["endpoint"].startswith("orders.")


def test_aurora_restore_is_the_cluster_then_its_writer(world: World, run_restore) -> None:
    world.cluster("ledger", writer_class="db.r6g.large")
    copy = world.copy("cluster", "ledger", "ledger-1")

    document = plan_json(run_restore(world.clients(), "ledger", "--json"))
    cluster_step, writer_step = document["operations"]
    assert cluster_step["operation"] == "RestoreDBClusterFromSnapshot"
    assert cluster_step["parameters"]["Engine"] == "aurora-postgresql"
    assert cluster_step["parameters"]["EngineVersion"] == copy["EngineVersion"]
    assert cluster_step["parameters"]["SnapshotIdentifier"] == copy["DBClusterSnapshotIdentifier"]
    assert cluster_step["parameters"]["DBSubnetGroupName"] == SUBNET_GROUP
    assert writer_step["operation"] == "CreateDBInstance"
    assert writer_step["parameters"] == {
        "DBInstanceIdentifier": "ledger-writer",
        "DBClusterIdentifier": "ledger",
        "Engine": "aurora-postgresql",
        "DBInstanceClass": "db.r6g.large",
        "Tags": cluster_step["parameters"]["Tags"],
    }
    assert document["cli"][1].startswith("aws rds create-db-instance --region us-west-2 ")

    run = run_restore(world.clients(), "ledger", "--apply")
    assert run.code == 0, run.err
    assert world.clusters() == ["ledger"]
    assert world.instances() == ["ledger-writer"]
    assert "ledger is available at ledger.cluster-" in run.out


def test_the_newest_available_copy_wins(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1", hours_old=30)
    newest = world.copy("db", "orders", "orders-2", hours_old=6)
    in_progress = world.copy("db", "orders", "orders-3", hours_old=1)
    world.set_copy_status(in_progress["DBSnapshotIdentifier"], "copying")
    document = plan_json(run_restore(world.clients(), "orders", "--json"))
    assert document["snapshot"] == newest["DBSnapshotArn"]


def test_a_named_copy_is_restored_with_snapshot(world: World, run_restore) -> None:
    world.instance("orders")
    older = world.copy("db", "orders", "orders-1")
    world.copy("db", "orders", "orders-2")
    document = plan_json(run_restore(world.clients(), "--snapshot", older["DBSnapshotIdentifier"], "--json"))
    assert document["snapshot"] == older["DBSnapshotArn"]
    assert document["target"] == "orders"


# ------------------------------------------------------------------------------------------- bad input


def refused(run: Any, *fragments: str) -> None:
    assert run.code == 2, (run.out, run.err)
    for fragment in fragments:
        assert fragment in run.err, run.err
    assert "nothing was changed" in run.err


def test_unknown_database(world: World, run_restore) -> None:
    refused(run_restore(world.clients(), "nope"), "unknown database nope")
    assert world.instances() == []


def test_no_available_copy_every_copy_in_progress(world: World, run_restore) -> None:
    world.instance("orders")
    copy = world.copy("db", "orders", "orders-1")
    world.set_copy_status(copy["DBSnapshotIdentifier"], "copying")
    refused(run_restore(world.clients(), "orders", "--apply"), "no available copy of orders", "(copying)")
    assert world.instances() == []


def test_no_copy_of_a_live_source(world: World, run_restore) -> None:
    world.instance("orders")
    refused(
        run_restore(world.clients(), "orders", "--apply"), f"the DB instance exists in {SOURCE_REGION} but has no copy"
    )


def test_copies_of_another_source_region_do_not_count(world: World, run_restore) -> None:
    world.instance("orders")
    copy = world.copy("db", "orders", "orders-1")
    world.rds.add_tags_to_resource(
        ResourceName=copy["DBSnapshotArn"], Tags=[{"Key": "source_region", "Value": "eu-west-1"}]
    )
    refused(run_restore(world.clients(), "orders"), "no available copy of orders")


def test_target_name_taken(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    assert run_restore(world.clients(), "orders", "--apply").code == 0
    refused(run_restore(world.clients(), "orders", "--apply"), "target name 'orders' is taken")
    assert world.instances() == ["orders"]


def test_cluster_target_and_writer_names_taken(world: World, run_restore) -> None:
    world.cluster("ledger")
    world.copy("cluster", "ledger", "ledger-1")
    assert run_restore(world.clients(), "ledger", "--apply").code == 0
    refused(
        run_restore(world.clients(), "ledger", "--apply"),
        "a DB cluster of that name exists",
        "writer name 'ledger-writer' is taken",
    )


@pytest.mark.parametrize("state", ["Disabled", "PendingDeletion"])
def test_copy_whose_key_is_unusable_is_refused_before_restoring(world: World, run_restore, state: str) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    key_id = world.key_arn.split("/")[-1]
    if state == "Disabled":
        world.kms.disable_key(KeyId=key_id)
    else:
        world.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    refused(run_restore(world.clients(), "orders", "--apply"), f"the copy's KMS key {world.key_arn} is {state}")
    assert world.instances() == []


def test_source_region_down_names_every_missing_input_and_its_flag(world: World, run_restore) -> None:
    world.instance("orders", Port=6543)
    copy = world.copy("db", "orders", "orders-1")

    run = run_restore(world.clients(source_down=True), "orders", "--apply")

    refused(run, "missing inputs", "--db-subnet-group", "--security-group-ids", "--instance-class")
    assert "the source region did not answer" in run.err
    assert world.instances() == []

    given = run_restore(
        world.clients(source_down=True),
        "orders",
        "--json",
        "--db-subnet-group",
        SUBNET_GROUP,
        "--security-group-ids",
        world.security_group_id,
        "--instance-class",
        "db.t3.small",
    )
    document = plan_json(given)
    params = document["operations"][0]["parameters"]
    assert params["Port"] == copy["Port"] == 6543  # the snapshot's: the source was unreachable
    assert document["origins"]["port"] == "snapshot"
    assert any("did not answer" in note and "EndpointConnectionError" in note for note in document["notes"])


def test_missing_source_groups_in_the_destination_are_named(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    world.ec2.delete_security_group(GroupId=world.security_group_id)
    refused(run_restore(world.clients(), "orders"), f"security groups {SECURITY_GROUP} do not exist")


def test_parameter_group_of_the_source_is_used_where_it_exists(world: World, run_restore) -> None:
    for rds in (world.source_rds, world.rds):
        rds.create_db_parameter_group(
            DBParameterGroupName="orders-pg", DBParameterGroupFamily="postgres16", Description="x"
        )
    world.instance("orders", DBParameterGroupName="orders-pg")
    world.copy("db", "orders", "orders-1")
    params = plan_json(run_restore(world.clients(), "orders", "--json"))["operations"][0]["parameters"]
    assert params["DBParameterGroupName"] == "orders-pg"

    world.rds.delete_db_parameter_group(DBParameterGroupName="orders-pg")
    refused(run_restore(world.clients(), "orders"), "DB parameter group: --parameter-group NAME", "'orders-pg'")


def operator_calls(request: pytest.FixtureRequest, operation: str) -> list[dict[str, Any]]:
    """The parameters of every `operation` this test's commands made, as the IAM simulation sees them."""
    return [c.params for c in RECORDER.of("operator") if c.where == request.node.nodeid and c.operation == operation]


def test_option_group_given_is_looked_up_in_the_destination(world: World, run_restore, request) -> None:
    world.rds.create_option_group(
        OptionGroupName="orders-dr-og", EngineName="postgres", MajorEngineVersion="13", OptionGroupDescription="x"
    )
    world.instance("orders")
    world.copy("db", "orders", "orders-1")

    document = plan_json(run_restore(world.clients(), "orders", "--json", "--option-group", "orders-dr-og"))

    assert document["operations"][0]["parameters"]["OptionGroupName"] == "orders-dr-og"
    assert document["origins"]["option group"] == "--option-group"
    assert operator_calls(request, "DescribeOptionGroups") == [{"OptionGroupName": "orders-dr-og"}]
    refused(
        run_restore(world.clients(), "orders", "--apply", "--option-group", "orders-absent"),
        "option group 'orders-absent' does not exist in the destination",
    )
    assert operator_calls(request, "DescribeOptionGroups")[-1] == {"OptionGroupName": "orders-absent"}
    assert world.instances() == []


def test_option_group_of_the_source_is_used_where_it_exists(world: World, run_restore) -> None:
    for rds in (world.source_rds, world.rds):
        rds.create_option_group(
            OptionGroupName="orders-og", EngineName="postgres", MajorEngineVersion="13", OptionGroupDescription="x"
        )
    world.instance("orders", OptionGroupName="orders-og")
    world.copy("db", "orders", "orders-1")
    document = plan_json(run_restore(world.clients(), "orders", "--json"))
    assert document["operations"][0]["parameters"]["OptionGroupName"] == "orders-og"
    assert document["origins"]["option group"] == "source (same name in the destination)"

    world.rds.delete_option_group(OptionGroupName="orders-og")
    refused(run_restore(world.clients(), "orders"), "option group: --option-group NAME", "'orders-og'")


def create_cluster_parameter_group(rds: Any, name: str) -> None:
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=name, DBParameterGroupFamily="aurora-postgresql16", Description="x"
    )


def test_aurora_cluster_parameter_group_of_the_source_is_used_where_it_exists(
    world: World, run_restore, request
) -> None:
    for rds in (world.source_rds, world.rds):
        create_cluster_parameter_group(rds, "ledger-cpg")
    world.cluster("ledger", DBClusterParameterGroupName="ledger-cpg")
    world.copy("cluster", "ledger", "ledger-1")

    document = plan_json(run_restore(world.clients(), "ledger", "--json"))

    cluster_step, writer_step = document["operations"]
    assert cluster_step["parameters"]["DBClusterParameterGroupName"] == "ledger-cpg"
    assert "DBParameterGroupName" not in writer_step["parameters"]  # the writer's is the engine's default
    assert document["origins"]["DB cluster parameter group"] == "source (same name in the destination)"
    assert operator_calls(request, "DescribeDBClusterParameterGroups") == [
        {"DBClusterParameterGroupName": "ledger-cpg"}
    ]

    world.rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName="ledger-cpg")
    refused(
        run_restore(world.clients(), "ledger", "--apply"),
        "DB cluster parameter group: --parameter-group NAME (the source's 'ledger-cpg' does not exist",
    )
    assert world.clusters() == []


def test_aurora_cluster_parameter_group_given_is_looked_up_in_the_destination(
    world: World, run_restore, request
) -> None:
    create_cluster_parameter_group(world.rds, "ledger-dr-cpg")
    world.cluster("ledger")
    world.copy("cluster", "ledger", "ledger-1")

    run = run_restore(world.clients(), "ledger", "--apply", "--parameter-group", "ledger-dr-cpg")

    assert run.code == 0, run.err
    restored = world.rds.describe_db_clusters(DBClusterIdentifier="ledger")["DBClusters"][0]
    assert restored["DBClusterParameterGroup"] == "ledger-dr-cpg"
    assert {"DBClusterParameterGroupName": "ledger-dr-cpg"} in operator_calls(
        request, "DescribeDBClusterParameterGroups"
    )
    refused(
        run_restore(world.clients(), "ledger", "--target", "ledger-2", "--parameter-group", "ledger-absent"),
        "DB cluster parameter group 'ledger-absent' does not exist in the destination",
    )
    assert world.clusters() == ["ledger"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["orders", "--target", "9-bad--name"], "is not a valid identifier"),
        (["orders", "--tag", "no-equals-sign"], "expected KEY=VALUE"),
        (["orders", "--tag", "aws:x=1"], "are AWS's"),
        (["orders", "--kms-key-id", "alias/x"], "--kms-key-id applies to Aurora clusters only"),
        (["orders", "--db-subnet-group", "nope"], "DB subnet group 'nope' does not exist"),
        (["--snapshot", "nope"], "no DB snapshot or DB cluster snapshot named nope"),
        ([], "name the source database"),
    ],
)
def test_bad_input(world: World, run_restore, argv: list[str], message: str) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    refused(run_restore(world.clients(), *argv, "--apply"), message)
    assert world.instances() == []


def test_snapshot_of_another_source_is_refused(world: World, run_restore) -> None:
    world.instance("orders")
    copy = world.copy("db", "orders", "orders-1")
    refused(run_restore(world.clients(), "billing", "--snapshot", copy["DBSnapshotIdentifier"]), "not of billing")


# -------------------------------------------------------------------- what moto cannot produce (Stubber)


def test_instance_class_not_offered_in_the_destination(world: World, run_restore) -> None:
    world.instance("orders", "db.t3.small")
    copy = world.copy("db", "orders", "orders-1")
    rds, stubber = world.stubbed_rds({"describe_orderable_db_instance_options"})
    base = {"Engine": "postgres", "EngineVersion": copy["EngineVersion"], "MaxRecords": 100}
    stubber.add_response(
        "describe_orderable_db_instance_options",
        {"OrderableDBInstanceOptions": []},
        {**base, "DBInstanceClass": "db.t3.small"},
    )
    stubber.add_response(
        "describe_orderable_db_instance_options",
        {"OrderableDBInstanceOptions": [{"Engine": "postgres", "DBInstanceClass": "db.m6g.large"}]},
        base,
    )
    refused(run_restore(world.clients(rds=rds), "orders", "--apply"), "instance class db.t3.small is not offered")
    stubber.assert_no_pending_responses()
    assert world.instances() == []


def test_storage_quota_exceeded_is_explained(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    rds, stubber = world.stubbed_rds({"restore_db_instance_from_db_snapshot"})
    stubber.add_client_error(
        "restore_db_instance_from_db_snapshot", "StorageQuotaExceeded", "The request would exceed the storage quota"
    )
    run = run_restore(world.clients(rds=rds), "orders", "--apply")
    assert run.code == 2  # an AWS error (exit_codes; 1 before the scheme)
    assert "StorageQuotaExceeded" in run.err and "storage quota in us-west-2 is used up" in run.err
    assert world.instances() == []


def test_no_capacity_for_the_aurora_writer_says_how_to_finish(world: World, run_restore) -> None:
    world.cluster("ledger")
    world.copy("cluster", "ledger", "ledger-1")
    rds, stubber = world.stubbed_rds({"create_db_instance"})
    stubber.add_client_error("create_db_instance", "InsufficientDBInstanceCapacity", "no capacity")
    run = run_restore(world.clients(rds=rds), "ledger", "--apply")
    assert run.code == 2
    assert "has no capacity for db.r6g.large" in run.err
    assert "the cluster ledger was restored; create its writer with: aws rds create-db-instance" in run.err
    assert world.clusters() == ["ledger"]  # a 3 a.m. restore keeps what it made


def test_operator_actions_cover_every_call_a_restore_makes() -> None:
    from rds_snapshot_copy.drill import OPERATOR_ACTIONS

    assert set(restore.RESTORE_ACTIONS) <= set(OPERATOR_ACTIONS)
    assert {"rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBClusterFromSnapshot", "kms:DescribeKey"} <= set(
        OPERATOR_ACTIONS
    )


# ----------------------------------------------------- whose copies, and how old their data is (issue 15)


def test_a_newer_copy_of_another_deployment_is_never_restored_as_ours(world: World, run_restore) -> None:
    """Two deployments copy `orders` from one region into one destination: each restores its own."""
    world.instance("orders")
    ours = world.copy("db", "orders", "orders-1", hours_old=30)
    theirs = world.copy("db", "orders", "orders-2", hours_old=2, deployment="dev")

    document = plan_json(run_restore(world.clients(), "orders", "--json"))

    assert document["snapshot"] == ours["DBSnapshotArn"]
    assert document["deployment"] == DEPLOYMENT
    dev = plan_json(run_restore(world.clients(), "orders", "--json", "--deployment", "dev"))
    assert dev["snapshot"] == theirs["DBSnapshotArn"]


def test_an_operators_copy_with_copied_tags_is_never_restored_as_ours(world: World, run_restore) -> None:
    """An operator keeps a copy of a copy (CopyTags=True brings every tag over) under a name of their own; the
    copy it was made from is pruned. The newest copy that is ours is the older one."""
    world.instance("orders")
    older = world.copy("db", "orders", "orders-1", hours_old=30)
    newer = world.copy("db", "orders", "orders-2", hours_old=6)
    kept = world.rds.copy_db_snapshot(
        SourceDBSnapshotIdentifier=newer["DBSnapshotIdentifier"],
        TargetDBSnapshotIdentifier="audit-keep-forever",
        CopyTags=True,
    )["DBSnapshot"]
    assert {t["Key"] for t in kept["TagList"]} >= {"source_snapshot_arn", "source_region", "snapshot_copy_deployment"}
    world.rds.delete_db_snapshot(DBSnapshotIdentifier=newer["DBSnapshotIdentifier"])

    document = plan_json(run_restore(world.clients(), "orders", "--json"))

    assert document["snapshot"] == older["DBSnapshotArn"]
    # Named, it is restored as asked, and the plan says whose it is.
    named = plan_json(run_restore(world.clients(), "--snapshot", "audit-keep-forever", "--json"))
    assert named["snapshot"] == kept["DBSnapshotArn"]
    assert any("audit-keep-forever is not a copy this deployment made" in note for note in named["notes"])


def test_the_newest_copy_is_the_newest_data_not_the_latest_copied(world: World, run_restore) -> None:
    """Aurora: a cluster snapshot's SnapshotCreateTime on a copy is when it was copied. A copy made now of
    40-hour-old data (an in-region copy of an old snapshot, copied late) is not the recovery point: the copy of
    3-hour-old data made two hours ago is, and its data time is the recovery point reported."""
    world.cluster("ledger")
    recent = world.copy("cluster", "ledger", "ledger-recent", hours_old=3)
    world.set_copy_created(recent["DBClusterSnapshotIdentifier"], datetime.now(UTC) - timedelta(hours=2))
    world.copy("cluster", "ledger", "ledger-old-data", hours_old=40)

    document = plan_json(run_restore(world.clients(), "ledger", "--json"))

    assert document["snapshot"] == recent["DBClusterSnapshotArn"]
    age = datetime.now(UTC) - datetime.fromisoformat(document["recovery_point"])
    assert timedelta(hours=2, minutes=59) < age < timedelta(hours=3, minutes=1), age
    tags = {t["Key"]: t["Value"] for t in document["operations"][0]["parameters"]["Tags"]}
    assert tags["recovery_point"] == document["recovery_point"]
    assert "snapshot_copy_deployment" not in tags and "source_snapshot_time" not in tags  # never the copy tags


def test_copies_made_by_0_4_are_not_restored_until_adopted(world: World, run_restore) -> None:
    world.instance("orders")
    legacy = world.copy("db", "orders", "orders-1", deployment=LEGACY)

    run = run_restore(world.clients(), "orders", "--apply")

    refused(run, "no available copy of orders", "made by 0.4.x", legacy["DBSnapshotIdentifier"], "adopt")
    assert world.instances() == []
    named = plan_json(run_restore(world.clients(), "--snapshot", legacy["DBSnapshotIdentifier"], "--json"))
    assert any("a 0.4.x copy without a deployment tag" in note for note in named["notes"])


def test_another_deployments_copies_are_named_when_none_is_ours(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1", deployment="dev")
    refused(run_restore(world.clients(), "orders"), "by deployment rds-snapshot-copy", "by deployment(s) dev")


def test_function_gives_the_regions_and_the_deployment(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1", hours_old=1)
    prod = world.copy("db", "orders", "orders-2", hours_old=5, deployment="prod")
    deployment_function(
        {"SOURCE_REGION": SOURCE_REGION, "DESTINATION_REGION": DESTINATION_REGION, "DEPLOYMENT_NAME": "prod"}
    )

    run = run_restore(
        world.clients(), "orders", "--function", FUNCTION, "--source-region", SOURCE_REGION, regions=False
    )
    document = plan_json(run_restore(world.clients(), "orders", "--json", "--function", FUNCTION))

    assert run.code == 0, run.err
    assert (document["deployment"], document["snapshot"]) == ("prod", prod["DBSnapshotArn"])
    assert (document["source_region"], document["region"]) == (SOURCE_REGION, DESTINATION_REGION)
    refused(
        run_restore(world.clients(), "orders", "--function", FUNCTION, "--deployment", "dev"),
        "--deployment dev differs from function rds-snapshot-copy-reconcile (us-east-1)'s DEPLOYMENT_NAME (prod)",
    )
    refused(
        run_restore(world.clients(), "orders", "--function", "absent", "--source-region", SOURCE_REGION, regions=False),
        f"no function absent in {SOURCE_REGION}",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "missing --source-region, --destination-region"),
        (["--source-region", SOURCE_REGION], "missing --destination-region"),
        (["--source-region", SOURCE_REGION, "--destination-region", SOURCE_REGION], "regions must differ"),
        (
            ["--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION, "--deployment", "Prod_1"],
            "--deployment must be the module's name",
        ),
    ],
)
def test_the_deployment_is_required_and_checked(world: World, run_restore, argv: list[str], message: str) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    refused(run_restore(world.clients(), "orders", *argv, regions=False), message)


@pytest.mark.parametrize("command", ["restore", "drill"])
@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--poll-seconds", "1e308"),
        ("--poll-seconds", "nan"),
        ("--poll-seconds", "0"),
        ("--timeout-seconds", "inf"),
        ("--timeout-seconds", "-5"),
        ("--port", "70000"),
        ("--port", "5432.5"),
    ],
)
def test_absurd_numbers_are_refused_by_flag(capsys: pytest.CaptureFixture[str], command: str, flag: str, value: str):
    """A sleep of 1e308 seconds ends in OverflowError, of nan in ValueError: refused by argparse, naming the flag."""
    argv = [command, "orders", "--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION]
    with pytest.raises(SystemExit) as exit_:
        cli.main([*argv, flag, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: expected" in err and "Traceback" not in err, err


def test_copy_tags_cannot_be_given_with_tag(world: World, run_restore) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    refused(run_restore(world.clients(), "orders", "--tag", "snapshot_copy_deployment=x"), "set by the restore itself")
