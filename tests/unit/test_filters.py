"""The source filter: identifier globs and the database's own tags, both ways, with the reason logged;
the copier applies it, reads a source's tags once per container, and a filtered event is not an error."""

from __future__ import annotations

import json
import logging

import pytest

from snapshot_copy.errors import ConfigurationError
from snapshot_copy.filters import SourceFilter

from .harness import (
    SOURCE_REGION,
    CallRecorder,
    cluster_event,
    db_event,
    failures,
    handler_clients,
    invoke,
    our_copies,
    sqs_event,
)


def f(**doc: object) -> SourceFilter:
    return SourceFilter.from_json(json.dumps(doc))


@pytest.mark.parametrize(
    ("doc", "identifier", "tags", "selected", "reason"),
    [
        ({}, "orders", {}, True, "no filter"),
        ({"include_identifiers": ["orders-*"]}, "orders-db", {}, True, "selected"),
        ({"include_identifiers": ["orders-*"]}, "ledger", {}, False, "matches none of include_identifiers"),
        ({"exclude_identifiers": ["*-scratch"]}, "orders-scratch", {}, False, "exclude_identifiers '*-scratch'"),
        ({"exclude_identifiers": ["*-scratch"]}, "orders", {}, True, "selected"),
        ({"include_tags": {"dr": ["true"]}}, "orders", {"dr": "true"}, True, "selected"),
        ({"include_tags": {"dr": ["true"]}}, "orders", {"dr": "false"}, False, "none of include_tags"),
        ({"include_tags": {"dr": ["true"]}}, "orders", {}, False, "none of include_tags"),
        ({"include_tags": {"backup": []}}, "orders", {"backup": "anything"}, True, "selected"),
        ({"exclude_tags": {"env": ["dev", "test"]}}, "orders", {"env": "dev"}, False, "tag env=dev in exclude_tags"),
        ({"exclude_tags": {"env": ["dev"]}}, "orders", {"env": "prod"}, True, "selected"),
        (
            {"include_identifiers": ["*"], "exclude_identifiers": ["tmp-*"], "include_tags": {"dr": ["true"]}},
            "tmp-1",
            {"dr": "true"},
            False,
            "exclude_identifiers",
        ),
    ],
)
def test_decisions_both_ways(doc: dict, identifier: str, tags: dict, selected: bool, reason: str) -> None:
    decision = f(**doc).decide(identifier, tags)
    assert decision.selected is selected
    assert reason in decision.reason


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "SOURCE_FILTER is not JSON"),
        ("[]", "must be a JSON object"),
        ('{"include": ["x"]}', "unknown keys \\['include'\\]"),
        ('{"include_identifiers": [""]}', "non-empty glob strings"),
        ('{"include_tags": {"dr": "true"}}', "must be a list of values"),
    ],
)
def test_a_bad_filter_is_named(raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SourceFilter.from_json(raw)


def test_excluded_by_identifier_copies_nothing_and_is_logged(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SOURCE_FILTER", json.dumps({"exclude_identifiers": ["*-scratch"]}))
    caplog.set_level(logging.INFO)
    result = invoke(db_event(sources.db_snapshot("nightly", instance="orders-scratch")))
    assert (result["status"], result["code"]) == ("ignored", "Filtered")
    assert "'orders-scratch' matches exclude_identifiers '*-scratch'" in result["reason"]
    assert our_copies(destination_rds) == []
    assert any("exclude_identifiers" in r.getMessage() for r in caplog.records)


def test_include_by_tag_copies_only_the_tagged_databases(
    function_env: dict, sources, source_rds, destination_rds, monkeypatch: pytest.MonkeyPatch, queues
) -> None:
    monkeypatch.setenv("SOURCE_FILTER", json.dumps({"include_tags": {"dr": ["true"]}}))
    sources.db_instance("tagged")
    source_rds.add_tags_to_resource(
        ResourceName=source_rds.describe_db_instances(DBInstanceIdentifier="tagged")["DBInstances"][0]["DBInstanceArn"],
        Tags=[{"Key": "dr", "Value": "true"}],
    )
    events = [
        db_event(sources.db_snapshot("t-1", instance="tagged")),
        db_event(sources.db_snapshot("u-1", instance="untagged")),
    ]
    response = invoke(sqs_event(queues.records(events)))
    assert failures(response) == set()  # a filtered event is done, not an error
    assert [c["DBInstanceIdentifier"] for c in our_copies(destination_rds)] == ["tagged"]


def test_a_burst_reads_a_databases_tags_once(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch, queues
) -> None:
    monkeypatch.setenv("SOURCE_FILTER", json.dumps({"exclude_tags": {"env": ["dev"]}}))
    calls = CallRecorder(handler_clients().source_rds)
    events = [db_event(sources.db_snapshot(f"burst-{i}", instance="orders")) for i in range(4)]
    for batch in (events[:2], events[2:]):
        invoke(sqs_event(queues.records(batch)))
    tag_reads = [p["ResourceName"] for p in calls.params("ListTagsForResource") if ":db:" in p["ResourceName"]]
    assert tag_reads == [f"arn:aws:rds:{SOURCE_REGION}:123456789012:db:orders"]
    assert len(our_copies(destination_rds)) == 4


def test_clusters_are_filtered_by_cluster_identifier(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_FILTER", json.dumps({"include_identifiers": ["ledger-*"]}))
    kept = invoke(cluster_event(sources.cluster_snapshot("c-1", cluster="ledger-main")))
    dropped = invoke(cluster_event(sources.cluster_snapshot("c-2", cluster="scratch")))
    assert kept["status"] == "started" and dropped["code"] == "Filtered"
    assert [c["DBClusterIdentifier"] for c in our_copies(destination_rds, "cluster")] == ["ledger-main"]


def test_without_a_filter_nothing_extra_is_read(function_env: dict, sources) -> None:
    calls = CallRecorder(handler_clients().source_rds)
    invoke(db_event(sources.db_snapshot("plain-1")))
    assert not [p for p in calls.params("ListTagsForResource") if ":db:" in p["ResourceName"]]
    assert len(calls.params("DescribeDBSnapshots")) == 1
