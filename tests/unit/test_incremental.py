"""snapshot_copy.incremental: whether the destination holds an incremental base for the copy about to start."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from snapshot_copy.incremental import FULL_COPIES, INCREMENTAL_COPIES, incremental_base, metric_name, tag
from snapshot_copy.sources import source_key

from .test_tiers import ACCOUNT, OTHER_ACCOUNT, copy

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/{KEY_ID}"
WHEN = datetime(2026, 12, 1, 4, tzinfo=UTC)


def encrypted(status: str = "available", key: str | None = KEY_ARN, **kwargs: Any) -> dict[str, Any]:
    snapshot = copy(WHEN, status=status, **kwargs)
    if key is not None:
        snapshot["KmsKeyId"] = key
    return snapshot


SOURCE = (ACCOUNT, "orders")


def test_an_available_copy_of_the_same_source_under_the_same_key_is_a_base() -> None:
    assert incremental_base([encrypted()], "db", SOURCE, KEY_ARN)
    assert incremental_base([encrypted()], "db", SOURCE, KEY_ID)  # the bare ID names the same key
    assert source_key(encrypted(), "db") == SOURCE


@pytest.mark.parametrize(
    "listing",
    [
        [],
        [encrypted(status="copying")],  # not a base until available
        [encrypted(status="failed")],
        [encrypted(key="arn:aws:kms:us-west-2:123456789012:key/another")],  # another key: full
        [encrypted(key=None)],  # unencrypted
        [encrypted(source="billing")],  # another database
        [encrypted(account=OTHER_ACCOUNT)],  # the same name in another account
    ],
)
def test_anything_else_makes_the_copy_full(listing: list[dict[str, Any]]) -> None:
    assert not incremental_base(listing, "db", SOURCE, KEY_ARN)


def test_an_unencrypted_copy_has_an_unencrypted_base() -> None:
    assert incremental_base([encrypted(key=None)], "db", SOURCE, None)
    assert not incremental_base([encrypted()], "db", SOURCE, None)


def test_aurora_copies_across_regions_are_always_full() -> None:
    assert not incremental_base([encrypted(kind="cluster")], "cluster", SOURCE, KEY_ARN)


def test_tag_and_metric() -> None:
    assert tag(True) == {"Key": "incremental_base", "Value": "true"}
    assert tag(False) == {"Key": "incremental_base", "Value": "false"}
    assert (
        (metric_name(True), metric_name(False))
        == (INCREMENTAL_COPIES, FULL_COPIES)
        == (
            "IncrementalCopies",
            "FullCopies",
        )
    )
