"""Reading EventBridge events: which are copies, which are ignored (and why), which are malformed."""

from __future__ import annotations

import json
import logging

import pytest

from snapshot_copy.errors import MalformedEventError, SnapshotCopyError
from snapshot_copy.events import KNOWN_EVENTS, Ignored, SnapshotRef, parse_body, parse_event

from .harness import (
    ACCOUNT,
    EVENTS_DIR,
    SOURCE_REGION,
    db_event,
    invoke,
    load_event,
    our_copies,
)

ALL = frozenset(KNOWN_EVENTS)

CREATED_EVENTS = {
    "db_snapshot_manual_created": ("RDS-EVENT-0042", "db", "mydb-manual-2024-05-06"),
    "db_snapshot_automated_created": ("RDS-EVENT-0091", "db", "rds:mydb-2024-05-06-12-24"),
    "cluster_snapshot_manual_created": ("RDS-EVENT-0075", "cluster", "mycluster-manual-2024-05-06"),
    "cluster_snapshot_automated_created": ("RDS-EVENT-0169", "cluster", "rds:mycluster-2024-05-06-12-24"),
}
IGNORED_EVENTS = ["db_snapshot_deleted", "db_snapshot_creating_manual", "non_rds_event"]
MALFORMED_EVENTS = {"malformed_no_source_arn": "SourceArn", "malformed_bad_source_arn": "not-an-arn"}


def test_every_sample_event_is_shaped_like_an_eventbridge_event() -> None:
    files = sorted(EVENTS_DIR.glob("*.json"))
    assert {f.stem for f in files} == set(CREATED_EVENTS) | set(IGNORED_EVENTS) | set(MALFORMED_EVENTS)
    for path in files:
        event = json.loads(path.read_text())
        assert {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"} <= set(
            event
        ), path.name
        if event["source"] == "aws.rds":
            assert {"EventCategories", "SourceType", "Date", "SourceIdentifier", "Message", "EventID"} <= set(
                event["detail"]
            ), path.name
            assert event["detail"]["SourceType"] in {"SNAPSHOT", "CLUSTER_SNAPSHOT"}


def test_known_events_match_the_rds_user_guide() -> None:
    assert {k: (v["detail_type"], v["snapshot_kind"]) for k, v in KNOWN_EVENTS.items()} == {
        "RDS-EVENT-0042": ("RDS DB Snapshot Event", "db"),
        "RDS-EVENT-0091": ("RDS DB Snapshot Event", "db"),
        "RDS-EVENT-0075": ("RDS DB Cluster Snapshot Event", "cluster"),
        "RDS-EVENT-0169": ("RDS DB Cluster Snapshot Event", "cluster"),
    }


@pytest.mark.parametrize("name", sorted(CREATED_EVENTS))
def test_created_events_parse_to_the_snapshot(name: str) -> None:
    event_id, kind, identifier = CREATED_EVENTS[name]
    parsed = parse_event(load_event(name), ALL)
    assert parsed == SnapshotRef(
        arn=load_event(name)["detail"]["SourceArn"],
        identifier=identifier,
        kind=kind,
        region=SOURCE_REGION,
        account=ACCOUNT,
        partition="aws",
        event_id=event_id,
    )


@pytest.mark.parametrize("name", IGNORED_EVENTS)
def test_other_events_are_ignored_with_a_reason(name: str) -> None:
    parsed = parse_event(load_event(name), ALL)
    assert isinstance(parsed, Ignored)
    assert parsed.reason


def test_ignored_reasons_name_what_the_event_is() -> None:
    assert "aws.ec2" in parse_event(load_event("non_rds_event"), ALL).reason
    assert "RDS-EVENT-0041" in parse_event(load_event("db_snapshot_deleted"), ALL).reason
    assert "RDS-EVENT-0040" in parse_event(load_event("db_snapshot_creating_manual"), ALL).reason


def test_disabled_event_id_is_ignored() -> None:
    parsed = parse_event(load_event("db_snapshot_automated_created"), frozenset({"RDS-EVENT-0042"}))
    assert isinstance(parsed, Ignored)
    assert "RDS-EVENT-0091" in parsed.reason and "not enabled" in parsed.reason


def test_disabled_event_is_ignored_even_when_malformed() -> None:
    parsed = parse_event(load_event("malformed_no_source_arn"), frozenset({"RDS-EVENT-0091"}))
    assert isinstance(parsed, Ignored)


def test_rds_event_without_detail_is_ignored() -> None:
    event = load_event("db_snapshot_manual_created")
    del event["detail"]
    assert isinstance(parse_event(event, ALL), Ignored)


@pytest.mark.parametrize(("name", "named"), sorted(MALFORMED_EVENTS.items()))
def test_malformed_events_raise_naming_the_problem(name: str, named: str) -> None:
    with pytest.raises(MalformedEventError, match=named) as raised:
        parse_event(load_event(name), ALL)
    assert isinstance(raised.value, SnapshotCopyError)
    assert raised.value.code == "MalformedEvent"


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ([1, 2], "list"),
        ("a string", "str"),
        (None, "NoneType"),
    ],
)
def test_non_object_events_are_malformed(event: object, named: str) -> None:
    with pytest.raises(MalformedEventError, match=named):
        parse_event(event, ALL)


def test_wrong_detail_type_for_an_enabled_event_is_malformed() -> None:
    event = load_event("db_snapshot_manual_created")
    event["detail-type"] = "RDS DB Cluster Snapshot Event"
    with pytest.raises(MalformedEventError, match="detail-type"):
        parse_event(event, ALL)


def test_cluster_snapshot_arn_in_a_db_snapshot_event_is_malformed() -> None:
    arn = f"arn:aws:rds:{SOURCE_REGION}:{ACCOUNT}:cluster-snapshot:mycluster-1"
    with pytest.raises(MalformedEventError, match="cluster-snapshot"):
        parse_event(load_event("db_snapshot_manual_created", arn), ALL)


@pytest.mark.parametrize(
    "arn",
    [
        "",
        42,
        "arn:aws:rds:us-east-1:12345:snapshot:x",  # account is not 12 digits
        "arn:aws:ec2:us-east-1:123456789012:snapshot:x",  # not rds
        "arn:aws:rds:us-east-1:123456789012:db:mydb",  # not a snapshot
        "arn:aws:rds:us-east-1:123456789012:snapshot:",  # no identifier
    ],
)
def test_unparsable_arns_are_malformed(arn: object) -> None:
    event = load_event("db_snapshot_manual_created")
    event["detail"]["SourceArn"] = arn
    with pytest.raises(MalformedEventError, match="SourceArn"):
        parse_event(event, ALL)


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_other_partitions_parse(partition: str) -> None:
    arn = f"arn:{partition}:rds:{SOURCE_REGION}:{ACCOUNT}:snapshot:mydb-1"
    parsed = parse_event(load_event("db_snapshot_manual_created", arn), ALL)
    assert isinstance(parsed, SnapshotRef)
    assert parsed.partition == partition


@pytest.mark.parametrize("body", ["not json", "", None, "{", b"\xff"])
def test_body_that_is_not_json_is_malformed(body: object) -> None:
    with pytest.raises(MalformedEventError, match="JSON"):
        parse_body(body)  # type: ignore[arg-type]


# ---- through the handler (bare EventBridge event) ----


@pytest.mark.parametrize("name", IGNORED_EVENTS)
def test_handler_ignores_other_events_and_logs_why(
    name: str, function_env: dict, destination_rds, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = invoke(load_event(name))
    assert result["status"] == "ignored"
    assert result["reason"]
    assert any(r.getMessage() == result["reason"] for r in caplog.records)
    assert our_copies(destination_rds) == []


def test_handler_ignores_a_disabled_event_id(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("ENABLED_EVENT_IDS", "RDS-EVENT-0091,RDS-EVENT-0169")
    snapshot = sources.db_snapshot("manual-one")
    result = invoke(db_event(snapshot))
    assert result["status"] == "ignored"
    assert "RDS-EVENT-0042" in result["reason"]
    assert any("not enabled" in r.getMessage() for r in caplog.records)
    assert our_copies(destination_rds) == []


@pytest.mark.parametrize(("name", "named"), sorted(MALFORMED_EVENTS.items()))
def test_handler_raises_for_malformed_bare_events(name: str, named: str, function_env: dict, destination_rds) -> None:
    with pytest.raises(MalformedEventError, match=named):
        invoke(load_event(name))
    assert our_copies(destination_rds) == []
