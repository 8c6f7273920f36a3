"""Reading RDS snapshot events as EventBridge delivers them.

The event IDs, their detail-types and snapshot kinds live in the kinds table (kinds.py, over
snapshot_kinds.json, which the Terraform module reads too), so the rule's pattern and the function never
disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import MalformedEventError
from .kinds import CREATED_EVENTS, KINDS

# RDS event ID -> what the catalogue says of it, with its kind's detail-type (a read-only view of kinds.py).
KNOWN_EVENTS: dict[str, dict[str, str]] = {
    event_id: {**event, "detail_type": kind.detail_type, "snapshot_kind": kind.name}
    for event_id, (kind, event) in CREATED_EVENTS.items()
}

RDS_EVENT_SOURCE = "aws.rds"

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):rds:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<resource_type>snapshot|cluster-snapshot):(?P<identifier>.+)$"
)


@dataclass(frozen=True)
class SnapshotRef:
    """One source snapshot to copy, as its event named it."""

    arn: str
    identifier: str
    kind: str  # "db" or "cluster"
    region: str
    account: str
    partition: str
    event_id: str


@dataclass(frozen=True)
class Ignored:
    """An event that is not ours to copy, with the reason (logged, never an error)."""

    reason: str


def parse_body(body: str) -> Any:
    try:
        return json.loads(body)
    except (TypeError, ValueError) as exc:
        raise MalformedEventError(f"message body is not JSON: {exc}") from None


def parse_event(event: Any, enabled_event_ids: frozenset[str]) -> SnapshotRef | Ignored:
    """Classify one EventBridge event: a snapshot to copy, or an event to ignore (and why)."""
    if not isinstance(event, dict):
        raise MalformedEventError(f"event is a JSON {type(event).__name__}, not an object")
    source = event.get("source")
    if source != RDS_EVENT_SOURCE:
        return Ignored(f"event source is {source!r}, not {RDS_EVENT_SOURCE!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return Ignored("RDS event has no detail object")
    event_id = detail.get("EventID")
    known = KNOWN_EVENTS.get(event_id) if isinstance(event_id, str) else None
    if known is None:
        return Ignored(f"{event_id!r} is not a snapshot-created event ({detail.get('Message', 'no message')})")
    if event_id not in enabled_event_ids:
        return Ignored(f"{event_id} ({known['description']}) is not enabled")

    detail_type = event.get("detail-type")
    if detail_type != known["detail_type"]:
        raise MalformedEventError(
            f"{event_id} must come with detail-type {known['detail_type']!r}, got {detail_type!r}"
        )
    arn = detail.get("SourceArn")
    if not arn:
        raise MalformedEventError(f"{event_id} event has no detail.SourceArn (the snapshot ARN)")
    return parse_snapshot_arn(arn, kind=known["snapshot_kind"], event_id=event_id)


def parse_snapshot_arn(arn: Any, kind: str, event_id: str) -> SnapshotRef:
    match = _ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise MalformedEventError(f"{event_id} event's SourceArn {arn!r} is not an RDS snapshot ARN")
    expected = KINDS[kind].arn_resource_type
    if match["resource_type"] != expected:
        raise MalformedEventError(
            f"{event_id} event's SourceArn {arn!r} names a {match['resource_type']}, expected a {expected}"
        )
    return SnapshotRef(
        arn=arn,
        identifier=match["identifier"],
        kind=kind,
        region=match["region"],
        account=match["account"],
        partition=match["partition"],
        event_id=event_id,
    )
