"""The grouping key of everything "per source" (sources.source_key): (account, database)."""

from __future__ import annotations

from snapshot_copy.sources import source_key
from snapshot_copy.tagging import copy_tags

SOURCE = "111111111111"
VAULT = "123456789012"


def copy_of(arn: str, database: str, kind: str = "db", **extra_tags: str) -> dict:
    tags = copy_tags([], "us-east-1", arn, "rds-snapshot-copy")
    tags = [t for t in tags if t["Key"] not in extra_tags] + [{"Key": k, "Value": v} for k, v in extra_tags.items()]
    key = "DBClusterIdentifier" if kind == "cluster" else "DBInstanceIdentifier"
    return {key: database, "TagList": tags}


def test_a_copy_belongs_to_the_account_of_its_source_arn() -> None:
    arn = f"arn:aws:rds:us-east-1:{SOURCE}:snapshot:share-orders-1-abcd1234"
    copy = {
        **copy_of(arn, "orders"),
        "DBSnapshotArn": f"arn:aws:rds:us-west-2:{VAULT}:snapshot:share-orders-1-abcd1234-12345678",
    }
    assert source_key(copy, "db") == (SOURCE, "orders")
    cluster = copy_of(f"arn:aws:rds:us-east-1:{SOURCE}:cluster-snapshot:ledger-1", "ledger", "cluster")
    assert source_key(cluster, "cluster") == (SOURCE, "ledger")


def test_a_forged_source_account_tag_does_not_move_a_copy_to_another_source() -> None:
    arn = f"arn:aws:rds:us-east-1:{SOURCE}:snapshot:orders-1"
    assert source_key(copy_of(arn, "orders", source_account="999999999999"), "db") == (SOURCE, "orders")


def test_a_copy_with_a_shortened_source_arn_tag_keeps_its_account() -> None:
    arn = f"arn:aws:rds:us-east-1:{SOURCE}:snapshot:{'a' * 300}"
    assert source_key(copy_of(arn, "orders"), "db") == (SOURCE, "orders")


def test_a_source_or_shared_snapshot_belongs_to_the_account_of_its_own_arn() -> None:
    shared = {"DBSnapshotArn": f"arn:aws:rds:us-east-1:{SOURCE}:snapshot:orders-1", "DBInstanceIdentifier": "orders"}
    assert source_key(shared, "db") == (SOURCE, "orders")
    assert source_key({"DBClusterIdentifier": "ledger"}, "cluster") == ("", "ledger")
    assert source_key({}, "db") == ("", "")
