"""`adopt`: the upgrade from 0.4. The copies 0.4.x made (this deployment's source region tag and the copier's
exact identifier, but no deployment tag) are listed, and with --apply tagged with this deployment's name, the
deployment tag alone; nothing else is ever touched: another deployment's copy, an operator's copy with copied
tags, a copy from another source region, one tagged meanwhile. Exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.conftest import DEPLOYMENT, FUNCTION, LEGACY, World, deployment_function
from tests.unit.harness import DESTINATION_REGION, SOURCE_REGION

DEPLOYMENT_TAG = "snapshot_copy_deployment"


def tags_of(world: World, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in world.rds.list_tags_for_resource(ResourceName=arn)["TagList"]}


def arn_of(snapshot: dict[str, Any]) -> str:
    return snapshot.get("DBSnapshotArn") or snapshot["DBClusterSnapshotArn"]


@pytest.fixture
def upgraded(world: World) -> dict[str, dict[str, Any]]:
    """A destination after the upgrade: 0.4.x's copies of a DB instance and a cluster, a copy made since, and
    snapshots that are not this deployment's at all."""
    world.instance("orders")
    world.cluster("ledger")
    made = {
        "legacy_db": world.copy("db", "orders", "orders-1", deployment=LEGACY, tags={"team": "orders"}),
        "legacy_cluster": world.copy("cluster", "ledger", "ledger-1", deployment=LEGACY),
        "ours": world.copy("db", "orders", "orders-2"),
        "dev": world.copy("db", "orders", "orders-3", deployment="dev"),
        # 0.4.x's copy, kept by an operator under a name of their own with every tag copied.
        "kept": world.copy("db", "orders", "orders-4", deployment=LEGACY, identifier="audit-keep-forever"),
    }
    other_region = world.copy("db", "orders", "orders-5", deployment=LEGACY)
    world.rds.add_tags_to_resource(
        ResourceName=other_region["DBSnapshotArn"], Tags=[{"Key": "source_region", "Value": "eu-west-1"}]
    )
    made["other_region"] = other_region
    return made


def test_dry_run_lists_the_0_4_copies_and_tags_nothing(world: World, upgraded: dict, run_adopt) -> None:
    before = {name: tags_of(world, arn_of(s)) for name, s in upgraded.items()}

    run = run_adopt()

    assert run.code == 1, run.err  # copies remain to adopt
    assert upgraded["legacy_db"]["DBSnapshotIdentifier"] in run.out
    assert upgraded["legacy_cluster"]["DBClusterSnapshotIdentifier"] in run.out
    assert "2 copy(ies) made by 0.4.x, 0 adopted, 2 remaining; 1 copy(ies) already its own" in run.out
    assert "dry run: nothing was tagged" in run.out
    document = json.loads(run_adopt("--json").out)
    assert (document["deployment"], document["applied"], document["remaining"]) == (DEPLOYMENT, False, 2)
    assert sorted((c["kind"], c["source"], c["outcome"]) for c in document["legacy"]) == [
        ("cluster", "ledger", "would adopt"),
        ("db", "orders", "would adopt"),
    ]
    assert {name: tags_of(world, arn_of(s)) for name, s in upgraded.items()} == before


def test_apply_tags_each_with_the_deployment_tag_alone(world: World, upgraded: dict, run_adopt, run_restore) -> None:
    before = {name: tags_of(world, arn_of(s)) for name, s in upgraded.items()}

    run = run_adopt("--apply", "--json")

    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert (document["adopted"], document["remaining"]) == (2, 0)
    after = {name: tags_of(world, arn_of(s)) for name, s in upgraded.items()}
    for name in ("legacy_db", "legacy_cluster"):
        assert after[name] == {**before[name], DEPLOYMENT_TAG: DEPLOYMENT}
    for name in ("ours", "dev", "kept", "other_region"):
        assert after[name] == before[name], name
    # Adopted, the copy is this deployment's: restore finds it (the newest of orders' copies by data time).
    assert run_adopt().code == 0  # nothing left
    again = run_restore(world.clients(), "orders", "--json", "--kind", "db")
    assert again.code == 0, again.err


def test_a_copy_tagged_since_the_listing_is_left_as_it_is(world: World, run_adopt) -> None:
    """Judged again just before its tag: one that got a deployment tag meanwhile is never re-tagged."""
    world.instance("orders")
    legacy = world.copy("db", "orders", "orders-1", deployment=LEGACY)

    class TaggedMeanwhile:
        def __init__(self, rds: Any) -> None:
            self._rds = rds

        def describe_db_snapshots(self, **params: Any) -> Any:
            if "DBSnapshotIdentifier" in params:  # the look before the tag
                # Another deployment's doing, not the command's: through moto itself, so that no call of it is
                # recorded as the operator's (tests/iam proves the operator's calls).
                world._copy_model(legacy["DBSnapshotIdentifier"]).tags.append({"Key": DEPLOYMENT_TAG, "Value": "dev"})
            return self._rds.describe_db_snapshots(**params)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._rds, name)

    run = run_adopt("--apply", "--json", rds=TaggedMeanwhile(world.rds))

    assert run.code == 0, run.err
    (copy,) = json.loads(run.out)["legacy"]
    assert copy["outcome"] == "skipped: no longer a 0.4.x copy"
    assert tags_of(world, legacy["DBSnapshotArn"])[DEPLOYMENT_TAG] == "dev"


def test_function_names_the_deployment(world: World, run_adopt) -> None:
    world.instance("orders")
    legacy = world.copy("db", "orders", "orders-1", deployment=LEGACY)
    deployment_function(
        {"SOURCE_REGION": SOURCE_REGION, "DESTINATION_REGION": DESTINATION_REGION, "DEPLOYMENT_NAME": "prod"}
    )

    # A dry run: the operator policy of tests/iam allows tagging with the deployment's own name only.
    run = run_adopt("--function", FUNCTION, "--source-region", SOURCE_REGION, "--json", regions=False)

    assert run.code == 1, run.err
    document = json.loads(run.out)
    assert (document["deployment"], document["source_region"], document["destination_region"]) == (
        "prod",
        SOURCE_REGION,
        DESTINATION_REGION,
    )
    assert [c["arn"] for c in document["legacy"]] == [legacy["DBSnapshotArn"]]


def test_tags_refused_leave_it_remaining(world: World, run_adopt) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1", deployment=LEGACY)
    rds, stubber = world.stubbed_rds({"add_tags_to_resource"})
    stubber.add_client_error("add_tags_to_resource", "AccessDenied", "not authorized", 403)

    run = run_adopt("--apply", "--json", rds=rds)

    assert run.code == 2  # an AWS error (exit_codes): it wins over the copy left to adopt
    document = json.loads(run.out)
    assert document["remaining"] == 1 and document["legacy"][0]["outcome"].startswith("failed: ")
    assert "AccessDenied" in run.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--source-region", SOURCE_REGION], "missing --destination-region"),
        (
            ["--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION, "--deployment", "x_"],
            "--deployment must be the module's name",
        ),
        (["--function", "absent", "--source-region", SOURCE_REGION], f"no function absent in {SOURCE_REGION}"),
    ],
)
def test_bad_input_exits_2(world: World, run_adopt, argv: list[str], message: str) -> None:
    run = run_adopt(*argv, regions=False)
    assert run.code == 2 and message in run.err, run.err


def test_an_unreadable_destination_exits_2_and_tags_nothing(world: World, run_adopt) -> None:
    world.instance("orders")
    legacy = world.copy("db", "orders", "orders-1", deployment=LEGACY)
    rds, stubber = world.stubbed_rds({"describe_db_snapshots"})
    stubber.add_client_error("describe_db_snapshots", "Throttling", "slow down", 400)

    run = run_adopt("--apply", rds=rds)

    assert run.code == 2 and "cannot list the snapshots in us-west-2 (nothing tagged)" in run.err
    assert DEPLOYMENT_TAG not in tags_of(world, legacy["DBSnapshotArn"])


def test_the_operator_policy_covers_adopt() -> None:
    from rds_snapshot_copy import adopt, drill

    assert set(adopt.ADOPT_ACTIONS) <= set(drill.OPERATOR_ACTIONS)
