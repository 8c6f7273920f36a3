"""Target identifiers: valid for RDS, never `rds:`, stable per source, distinct across sources."""

from __future__ import annotations

import random
import re
import string

import pytest

from snapshot_copy.naming import MAX_IDENTIFIER_LENGTH, is_valid_identifier, target_identifier

from .harness import ACCOUNT

KINDS = ("db", "cluster")
RESOURCE = {"db": "snapshot", "cluster": "cluster-snapshot"}
# Written out from RDS's rules so a mistake in is_valid_identifier cannot hide one in target_identifier.
RDS_RULE = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)$")


def arn(identifier: str, kind: str = "db", region: str = "us-east-1") -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:{RESOURCE[kind]}:{identifier}"


def target(identifier: str, kind: str = "db", region: str = "us-east-1") -> str:
    return target_identifier(identifier, arn(identifier, kind, region), kind)


def assert_rds_valid(identifier: str, kind: str) -> None:
    assert 1 <= len(identifier) <= MAX_IDENTIFIER_LENGTH[kind], (identifier, len(identifier))
    assert RDS_RULE.match(identifier), identifier
    assert "--" not in identifier
    assert not identifier.lower().startswith("rds:")
    assert ":" not in identifier
    assert is_valid_identifier(identifier, kind)


def random_identifier(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "-:_.--" + "é "
    length = rng.choice([1, 2, 5, 20, 62, 63, 64, 100, 254, 255, 300])
    name = "".join(rng.choice(alphabet) for _ in range(length))
    return rng.choice(["", "rds:", "RDS:", "-", "1"]) + name


def test_limits_are_rds_limits() -> None:
    assert MAX_IDENTIFIER_LENGTH == {"db": 255, "cluster": 63}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "identifier",
    [
        "mydb-2024-05-06",
        "rds:mydb-2024-05-06-12-24",
        "MyDB",
        "1starts-with-digit",
        "-leading-hyphen",
        "trailing-hyphen-",
        "double--hyphen",
        "under_score.and.dots",
        "rds:",
        ":::",
        "x",
        "a" * 255,
        "rds:" + "a" * 251,
        "a-" * 200,
        "ünïcödé-name",
    ],
)
def test_targets_follow_rds_rules(identifier: str, kind: str) -> None:
    assert_rds_valid(target(identifier, kind), kind)


@pytest.mark.parametrize("kind", KINDS)
def test_automated_prefix_never_reaches_the_target(kind: str) -> None:
    result = target("rds:mydb-2024-05-06-12-24", kind)
    assert result.startswith("mydb-2024-05-06-12-24-")
    assert "rds" not in result.split("mydb")[0]


@pytest.mark.parametrize("kind", KINDS)
def test_readable_part_is_kept(kind: str) -> None:
    assert target("mydb-manual-1", kind).startswith("mydb-manual-1-")


@pytest.mark.parametrize("kind", KINDS)
def test_same_source_same_target(kind: str) -> None:
    assert target("rds:mydb-x", kind) == target("rds:mydb-x", kind)


@pytest.mark.parametrize("kind", KINDS)
def test_automated_and_manual_of_the_same_name_differ(kind: str) -> None:
    assert target("rds:mydb-x", kind) != target("mydb-x", kind)


@pytest.mark.parametrize("kind", KINDS)
def test_same_name_in_two_regions_differs(kind: str) -> None:
    assert target("mydb-x", kind, "us-east-1") != target("mydb-x", kind, "eu-west-1")


@pytest.mark.parametrize("kind", KINDS)
def test_long_names_sharing_a_long_prefix_differ(kind: str) -> None:
    prefix = "a" * 300
    names = [f"{prefix}{i}" for i in range(50)]
    targets = {target(name, kind) for name in names}
    assert len(targets) == len(names)
    for result in targets:
        assert_rds_valid(result, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_names_that_clean_to_the_same_text_differ(kind: str) -> None:
    names = ["my_db", "my.db", "my-db", "my--db", "MY-DB", "my db", "-my-db-", "rds:my-db"]
    targets = [target(name, kind) for name in names]
    assert len(set(targets)) == len(names)


@pytest.mark.parametrize("kind", KINDS)
def test_property_random_names_are_valid_stable_and_distinct(kind: str) -> None:
    rng = random.Random(20240506)
    seen: dict[str, str] = {}
    for _ in range(3000):
        identifier = random_identifier(rng)
        region = rng.choice(["us-east-1", "eu-west-1"])
        source = arn(identifier, kind, region)
        result = target_identifier(identifier, source, kind)
        assert_rds_valid(result, kind)
        assert target_identifier(identifier, source, kind) == result
        if result in seen:
            assert seen[result] == source, f"{source} and {seen[result]} both map to {result}"
        seen[result] = source


def test_is_valid_identifier_rejects_what_rds_rejects() -> None:
    for bad in ["", "1abc", "-abc", "abc-", "a--b", "a_b", "a:b", "a" * 256]:
        assert not is_valid_identifier(bad, "db"), bad
    assert not is_valid_identifier("a" * 64, "cluster")
    assert is_valid_identifier("a" * 63, "cluster")
    assert is_valid_identifier("a" * 255, "db")
