"""`restore` and `drill` in a vault (backup-account mode, issue 17): copies of several source accounts, two of
which run a database of the same name. A source is an (account, database) pair: a name whose copies come from
more than one account is refused without --source-account, and with it only that account's copies count (by
the account of the copy's proven source ARN, never its source_account tag alone). The source database of
another account is never looked up in the source region (the vault's credentials would read the vault's own
account there)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from rds_snapshot_copy import cli, drill, restore
from snapshot_copy.naming import target_identifier
from snapshot_copy.ownership import Owner
from snapshot_copy.snapshot_time import data_time
from snapshot_copy.tagging import TAG_SOURCE_ACCOUNT, copy_tags
from tests.cli.conftest import DEPLOYMENT, SUBNET_GROUP, World
from tests.unit.harness import (
    ACCOUNT,
    DESTINATION_REGION,
    OTHER_ACCOUNT,
    SOURCE_ACCOUNT,
    SOURCE_REGION,
    account_sources,
    share,
)

KIND_ARN = {"db": "DBSnapshotArn", "cluster": "DBClusterSnapshotArn"}


def vault_copy(world: World, account: str, kind: str, source: str, snapshot: str) -> dict[str, Any]:
    """A snapshot of `source` in `account`'s source region, shared with the vault (ACCOUNT), and the vault's
    copy of it in the destination, named and tagged as the vault's copier makes it (tests/unit/test_vault_copy)."""
    factory = account_sources(account)
    if kind == "db":
        made = factory.db_snapshot(snapshot, instance=source)
    else:
        made = factory.cluster_snapshot(snapshot, cluster=source)
    share(factory, made)
    arn = made[KIND_ARN[kind]]
    assert arn.split(":")[4] == account
    tags = copy_tags([], SOURCE_REGION, arn, DEPLOYMENT, data_time(made, kind))
    target = target_identifier(snapshot, arn, kind)
    if kind == "db":
        return world.rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=arn,
            TargetDBSnapshotIdentifier=target,
            KmsKeyId=world.key_arn,
            SourceRegion=SOURCE_REGION,
            Tags=tags,
        )["DBSnapshot"]
    return world.rds.copy_db_cluster_snapshot(
        SourceDBClusterSnapshotIdentifier=arn,
        TargetDBClusterSnapshotIdentifier=target,
        KmsKeyId=world.key_arn,
        SourceRegion=SOURCE_REGION,
        Tags=tags,
    )["DBClusterSnapshot"]


class SourceCalls:
    """The source region's client, every call recorded: a vault must make none for another account's source."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return call


def vault_clients(world: World, sts: bool = True) -> tuple[restore.Clients, SourceCalls, SourceCalls]:
    """The vault operator's clients, the source region's recorded; `sts`: the caller's account from STS (else
    from the copies' own ARNs)."""
    source_rds, source_ec2 = SourceCalls(world.source_rds), SourceCalls(world.source_ec2)
    clients = dataclasses.replace(
        world.clients(),
        source_rds=source_rds,
        source_ec2=source_ec2,
        sts=boto3.client("sts", region_name=DESTINATION_REGION) if sts else None,
    )
    return clients, source_rds, source_ec2


def two_accounts_with_orders(world: World) -> dict[str, dict[str, Any]]:
    """`orders` in SOURCE_ACCOUNT and in OTHER_ACCOUNT, each with one copy in the vault; and an `orders` of the
    vault's own account in the source region, which neither restore may take its settings from."""
    world.instance("orders", "db.m5.large")  # the vault's own account: not the source of either copy
    return {
        SOURCE_ACCOUNT: vault_copy(world, SOURCE_ACCOUNT, "db", "orders", "orders-1"),
        OTHER_ACCOUNT: vault_copy(world, OTHER_ACCOUNT, "db", "orders", "orders-1"),
    }


FLAGS = ("--db-subnet-group", SUBNET_GROUP, "--instance-class", "db.t3.micro")


def group_flags(world: World) -> tuple[str, ...]:
    return (*FLAGS, "--security-group-ids", world.security_group_id)


def refused(run: Any, *fragments: str, unchanged: str = "nothing was changed") -> None:
    assert run.code == 2, (run.out, run.err)
    for fragment in fragments:
        assert fragment in run.err, run.err
    assert unchanged in run.err, run.err


# ------------------------------------------------------------------------------------------------ restore


def test_a_name_of_two_accounts_is_refused_without_source_account(world: World, run_restore) -> None:
    two_accounts_with_orders(world)
    clients, source_rds, _ = vault_clients(world)

    run = run_restore(clients, "orders", *group_flags(world), "--apply")

    refused(run, "from 2 source accounts", SOURCE_ACCOUNT, OTHER_ACCOUNT, "--source-account")
    assert world.instances() == []
    assert source_rds.calls == []


@pytest.mark.parametrize("account", [SOURCE_ACCOUNT, OTHER_ACCOUNT])
def test_source_account_restores_that_accounts_own_copy(world: World, run_restore, account: str) -> None:
    copies = two_accounts_with_orders(world)
    clients, source_rds, source_ec2 = vault_clients(world)
    target = f"orders-{account[:4]}"

    plan = run_restore(clients, "orders", "--source-account", account, *group_flags(world), "--json")
    assert plan.code == 0, plan.err
    document = json.loads(plan.out)
    assert document["snapshot"] == copies[account]["DBSnapshotArn"]
    assert document["source_account"] == account
    run = run_restore(
        clients, "orders", "--source-account", account, *group_flags(world), "--target", target, "--apply"
    )

    assert run.code == 0, run.err
    assert f"account {account}" in run.out
    restored = world.rds.describe_db_instances(DBInstanceIdentifier=target)["DBInstances"][0]
    tags = {t["Key"]: t["Value"] for t in restored["TagList"]}
    assert tags["restored_from_snapshot"] == copies[account]["DBSnapshotArn"]
    assert tags["restored_from_account"] == account
    assert TAG_SOURCE_ACCOUNT not in tags  # a copy tag: never on a restored database
    assert restored["DBInstanceClass"] == "db.t3.micro"  # the flag's, never the vault's own `orders`'s
    assert source_rds.calls == [] and source_ec2.calls == []


def test_the_account_is_the_proven_source_arns_not_the_source_account_tag(world: World, run_restore) -> None:
    copies = two_accounts_with_orders(world)
    # Anyone allowed to tag could rewrite the tag; the source ARN tag is proven by the copy's identifier.
    world.rds.add_tags_to_resource(
        ResourceName=copies[OTHER_ACCOUNT]["DBSnapshotArn"], Tags=[{"Key": TAG_SOURCE_ACCOUNT, "Value": SOURCE_ACCOUNT}]
    )
    clients, _, _ = vault_clients(world)

    run = run_restore(clients, "orders", "--source-account", SOURCE_ACCOUNT, *group_flags(world), "--json")

    assert run.code == 0, run.err
    assert json.loads(run.out)["snapshot"] == copies[SOURCE_ACCOUNT]["DBSnapshotArn"]
    refused(run_restore(clients, "orders", *group_flags(world)), "from 2 source accounts")


@pytest.mark.parametrize("sts", [True, False], ids=["caller-from-sts", "caller-from-the-copy"])
def test_a_source_in_another_account_is_never_looked_up(world: World, run_restore, sts: bool) -> None:
    world.instance("orders", "db.m5.large")  # the vault's own `orders`: a stranger to the copy
    vault_copy(world, SOURCE_ACCOUNT, "db", "orders", "orders-1")  # one account: no flag needed
    clients, source_rds, source_ec2 = vault_clients(world, sts=sts)

    missing = run_restore(clients, "orders")

    refused(
        missing,
        "--db-subnet-group NAME (the source is in account 111111111111 (backup-account mode)",
        "--security-group-ids",
        "--instance-class db.CLASS (the source is in account 111111111111",
    )
    assert "no longer exists" not in missing.err
    run = run_restore(clients, "orders", *group_flags(world), "--json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert document["source_account"] == SOURCE_ACCOUNT
    assert document["notes"][0] == "the source is in account 111111111111 (backup-account mode): no defaults from it"
    assert document["origins"]["DB subnet group"] == "--db-subnet-group"
    assert document["origins"]["instance class"] == "--instance-class"
    assert document["instance_class"] == "db.t3.micro"
    partly = json.loads(run_restore(clients, "orders", *FLAGS, "--security-group-ids", "sg-1", "--json").out)
    assert partly["notes"][0].endswith("no defaults from it")
    assert source_rds.calls == [] and source_ec2.calls == []


def test_the_note_names_the_flags_still_to_give(world: World) -> None:
    vault_copy(world, SOURCE_ACCOUNT, "db", "orders", "orders-1")
    clients, _, _ = vault_clients(world)
    chosen = restore.locate(clients, "orders", Owner(DEPLOYMENT, SOURCE_REGION))
    settings = restore.settings_for(
        clients, restore.SourceRegion(clients, SOURCE_REGION), chosen, restore.Overrides(instance_class="db.t3.micro")
    )
    assert settings.note == (
        "the source is in account 111111111111 (backup-account mode): no defaults from it; give "
        "--db-subnet-group, --security-group-ids"
    )
    assert settings.account == SOURCE_ACCOUNT and not settings.answered


def test_the_vaults_own_account_is_looked_up_as_today(world: World, run_restore) -> None:
    world.instance("orders", "db.t3.small")
    world.copy("db", "orders", "orders-1")  # a copy of the vault account's own database
    clients, source_rds, _ = vault_clients(world)
    document = json.loads(run_restore(clients, "orders", "--json").out)
    assert document["source_account"] == ACCOUNT
    assert document["instance_class"] == "db.t3.small" and document["origins"]["instance class"] == "source"
    assert "describe_db_instances" in source_rds.calls


def test_source_account_without_copies_names_the_accounts_that_have(world: World, run_restore) -> None:
    two_accounts_with_orders(world)
    clients, source_rds, _ = vault_clients(world)

    run = run_restore(clients, "orders", "--source-account", "333333333333")

    refused(
        run,
        "no available copy of orders of account 333333333333 from us-east-1",
        f"come from account(s) {SOURCE_ACCOUNT}, {OTHER_ACCOUNT}: is --source-account right?",
    )
    refused(
        run_restore(clients, "nope", "--source-account", OTHER_ACCOUNT),
        "unknown database nope: no copy of it of account 222222222222 from us-east-1 in the destination (the "
        "source region was not asked: the source is in another account)",
    )
    assert source_rds.calls == []


def test_a_named_copy_of_another_account_is_refused(world: World, run_restore) -> None:
    copies = two_accounts_with_orders(world)
    clients, _, _ = vault_clients(world)
    named = copies[SOURCE_ACCOUNT]["DBSnapshotIdentifier"]
    refused(
        run_restore(clients, "--snapshot", named, "--source-account", OTHER_ACCOUNT),
        f"--snapshot {named} is a copy from account {SOURCE_ACCOUNT}, not {OTHER_ACCOUNT}",
    )
    document = json.loads(run_restore(clients, "--snapshot", named, *group_flags(world), "--json").out)
    assert document["source_account"] == SOURCE_ACCOUNT


@pytest.mark.parametrize("command", ["restore", "drill"])
@pytest.mark.parametrize("value", ["12345", "1234567890123", "abcdefghijkl", "", "12345678901\n", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_source_account_must_be_an_account_id(capsys: pytest.CaptureFixture[str], command: str, value: str) -> None:
    argv = [command, "orders", "--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION]
    with pytest.raises(SystemExit) as exit_:
        cli.main([*argv, "--source-account", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --source-account" in err and "12 digits" in err and "Traceback" not in err, err


# -------------------------------------------------------------------------------------------------- drill


def test_drill_all_drills_every_account_and_database(world: World, run_drill) -> None:
    copies = two_accounts_with_orders(world)
    ledger = vault_copy(world, SOURCE_ACCOUNT, "cluster", "ledger", "ledger-1")
    clients, source_rds, source_ec2 = vault_clients(world)

    run = run_drill(clients, "--all", *group_flags(world), "--json", "--publish-metric")

    assert run.code == 0, run.err + run.out
    report = json.loads(run.out)
    by_source = {(s["source_account"], s["source"]): s for s in report["sources"]}
    assert set(by_source) == {(SOURCE_ACCOUNT, "orders"), (OTHER_ACCOUNT, "orders"), (SOURCE_ACCOUNT, "ledger")}
    assert by_source[(SOURCE_ACCOUNT, "orders")]["snapshot"] == copies[SOURCE_ACCOUNT]["DBSnapshotArn"]
    assert by_source[(OTHER_ACCOUNT, "orders")]["snapshot"] == copies[OTHER_ACCOUNT]["DBSnapshotArn"]
    assert by_source[(SOURCE_ACCOUNT, "ledger")]["snapshot"] == ledger["DBClusterSnapshotArn"]
    targets = [s["restored"]["target"] for s in report["sources"]]
    assert len(set(targets)) == 3
    # Two accounts' `orders`: each name says whose (the last digits of its account).
    assert by_source[(SOURCE_ACCOUNT, "orders")]["restored"]["target"].startswith("drill-orders-1111-")
    assert by_source[(OTHER_ACCOUNT, "orders")]["restored"]["target"].startswith("drill-orders-2222-")
    assert all(s["status"] == "ok" and s["cleanup"].startswith("deleted") for s in report["sources"])
    assert world.instances() == [] and world.clusters() == []
    assert source_rds.calls == [] and source_ec2.calls == []
    metrics = world.cloudwatch.list_metrics(Namespace="RdsSnapshotCopy", MetricName="DrillRtoSeconds")["Metrics"]
    series = {tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in metrics}
    assert (
        ("Source", "orders"),
        (drill.DRILL_SOURCE_ACCOUNT_DIMENSION, OTHER_ACCOUNT),
        ("SourceRegion", SOURCE_REGION),
    ) in series
    assert len(series) == 3  # two accounts' `orders` never mix


def test_drill_table_names_the_account(world: World, run_drill) -> None:
    two_accounts_with_orders(world)
    clients, _, _ = vault_clients(world)
    run = run_drill(clients, "--all", *group_flags(world))
    assert run.code == 0, run.err + run.out
    assert "account" in run.out and SOURCE_ACCOUNT in run.out and OTHER_ACCOUNT in run.out


def test_drill_of_a_name_of_two_accounts_needs_source_account(world: World, run_drill) -> None:
    copies = two_accounts_with_orders(world)
    clients, _, _ = vault_clients(world)

    refused(
        run_drill(clients, "orders", *group_flags(world)),
        "from 2 source accounts",
        "--source-account",
        unchanged="nothing was created",
    )
    run = run_drill(clients, "orders", "--source-account", OTHER_ACCOUNT, *group_flags(world), "--json")
    assert run.code == 0, run.err
    (only,) = json.loads(run.out)["sources"]
    assert only["source_account"] == OTHER_ACCOUNT
    assert only["snapshot"] == copies[OTHER_ACCOUNT]["DBSnapshotArn"]
    # One account: the name as in single-account mode, without the account's digits.
    assert re.fullmatch(r"drill-orders-\d{12}-[0-9a-f]{6}", only["restored"]["target"]), only["restored"]


def test_drill_all_with_source_account_drills_that_account_only(world: World, run_drill) -> None:
    two_accounts_with_orders(world)
    clients, _, _ = vault_clients(world)
    run = run_drill(clients, "--all", "--source-account", SOURCE_ACCOUNT, *group_flags(world), "--json")
    assert run.code == 0, run.err
    assert [(s["source_account"], s["source"]) for s in json.loads(run.out)["sources"]] == [(SOURCE_ACCOUNT, "orders")]
    refused(
        run_drill(clients, "--all", "--source-account", "333333333333"),
        "no available copies of account 333333333333",
        unchanged="nothing was created",
    )


def test_drill_of_another_accounts_source_without_flags_names_them_per_account(world: World, run_drill) -> None:
    two_accounts_with_orders(world)
    clients, source_rds, _ = vault_clients(world)
    run = run_drill(clients, "--all")
    refused(
        run,
        f"orders (account {SOURCE_ACCOUNT}): missing inputs",
        f"orders (account {OTHER_ACCOUNT}): missing inputs",
        "backup-account mode",
        unchanged="nothing was created",
    )
    assert source_rds.calls == []


def test_drill_names_with_an_account_fit_rds_limits() -> None:
    name = drill.drill_name("x" * 80, datetime(2026, 12, 3, tzinfo=UTC), set(), lambda _: False, account=OTHER_ACCOUNT)
    assert name.startswith("drill-xxx") and "-2222-202612030000-" in name
    assert restore.valid_database_identifier(name) and restore.valid_database_identifier(restore.writer_name(name))
    assert len(name) + len("-writer") <= restore.MAX_DATABASE_IDENTIFIER_LENGTH
