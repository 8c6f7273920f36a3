"""Reading RDS snapshot events as EventBridge delivers them.

The event IDs, their detail-types and snapshot kinds live in the kinds table (kinds.py, over
snapshot_kinds.json, which the Terraform module reads too), so the rule's pattern and the function never
disagree.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from .errors import ConfigurationError, MalformedEventError
from .kinds import CREATED_EVENTS, KINDS

# RDS event ID -> what the catalogue says of it, with its kind's detail-type (a read-only view of kinds.py).
KNOWN_EVENTS: dict[str, dict[str, str]] = {
    event_id: {**event, "detail_type": kind.detail_type, "snapshot_kind": kind.name}
    for event_id, (kind, event) in CREATED_EVENTS.items()
}

RDS_EVENT_SOURCE = "aws.rds"
# The catalogue's created-event ID of each (kind, snapshot type): what RDS would have sent for such a snapshot.
CREATED_EVENT_IDS: dict[tuple[str, str], str] = {
    (event["snapshot_kind"], event["snapshot_type"]): event_id for event_id, event in KNOWN_EVENTS.items()
}

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
    # The data time the sender claims for the snapshot (detail.SourceSnapshotTime: the source side of the
    # backup-account mode sends the ORIGINAL snapshot's, which RDS cannot tell of a cluster share copy); the
    # copier takes the earliest of it and the snapshot's own times. None: RDS's own event, which has none.
    claimed_time: datetime | None = None


# What the source side adds to RDS's event: the original snapshot's data time (ISO 8601, UTC).
SOURCE_SNAPSHOT_TIME = "SourceSnapshotTime"


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
    ref = parse_snapshot_arn(arn, kind=known["snapshot_kind"], event_id=event_id)
    account = event.get("account")
    if account is not None and account != ref.account:
        # RDS's event names the account the snapshot is in; a sender naming another is not to be trusted.
        raise MalformedEventError(
            f"{event_id} event's account {account!r} is not the account of its snapshot {arn} ({ref.account})"
        )
    claimed = detail.get(SOURCE_SNAPSHOT_TIME)
    if claimed is None:
        return ref
    return replace(ref, claimed_time=_claimed_time(claimed, event_id))


def _claimed_time(value: Any, event_id: str) -> datetime:
    parsed = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise MalformedEventError(f"{event_id} event's detail.{SOURCE_SNAPSHOT_TIME} {value!r} is not an ISO 8601 time")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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


def event_ids_from(raw: str, name: str = "ENABLED_EVENT_IDS") -> frozenset[str]:
    """The enabled event IDs from a comma-separated list; empty means every known one."""
    ids = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if not ids:
        return frozenset(KNOWN_EVENTS)
    unknown = sorted(ids - set(KNOWN_EVENTS))
    if unknown:
        raise ConfigurationError(f"{name} has unknown event IDs {unknown}; known: {sorted(KNOWN_EVENTS)}")
    return ids


def enabled_snapshot_types(enabled_event_ids: frozenset[str]) -> dict[str, set[str]]:
    """{kind: the snapshot types whose created-event is enabled} (the reconciler enqueues only those)."""
    types: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for (kind, snapshot_type), event_id in CREATED_EVENT_IDS.items():
        if event_id in enabled_event_ids:
            types[kind].add(snapshot_type)
    return types


def created_event_id(kind: str, snapshot_type: str) -> str | None:
    """The RDS event ID announcing a new snapshot of this kind and type (None: RDS announces none we know)."""
    return CREATED_EVENT_IDS.get((kind, snapshot_type))


def snapshot_created_event(
    arn: str,
    kind: str,
    snapshot_type: str,
    created: datetime | None,
    now: datetime,
    source_snapshot_time: datetime | None = None,
) -> dict[str, Any]:
    """The EventBridge event RDS would have delivered for this snapshot (for one it did not deliver).

    Shaped like RDS's own (tests/events), so `parse_event` reads it as it reads theirs: detail-type of the
    kind, detail.EventID the catalogue's created-event of the snapshot type, `account` the snapshot's (its ARN's).
    `Date` is the snapshot's creation time where known; `time` is when this event was made;
    `source_snapshot_time` given, detail.SourceSnapshotTime carries it (the backup-account mode's one extra
    field). Raises ValueError for a type without such an event.
    """
    event_id = created_event_id(kind, snapshot_type)
    if event_id is None:
        raise ValueError(f"no snapshot-created event is known for a {snapshot_type!r} {KINDS[kind].description}")
    ref = parse_snapshot_arn(arn, kind=kind, event_id=event_id)
    event: dict[str, Any] = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": KINDS[kind].detail_type,
        "source": RDS_EVENT_SOURCE,
        "account": ref.account,
        "time": _iso(now),
        "region": ref.region,
        "resources": [arn],
        "detail": {
            "EventCategories": ["creation"],
            "SourceType": "CLUSTER_SNAPSHOT" if kind == "cluster" else "SNAPSHOT",
            "SourceArn": arn,
            "Date": _iso(created or now, milliseconds=True),
            "SourceIdentifier": ref.identifier,
            "Message": KNOWN_EVENTS[event_id]["description"],
            "EventID": event_id,
        },
    }
    if source_snapshot_time is not None:
        event["detail"][SOURCE_SNAPSHOT_TIME] = _iso(source_snapshot_time)
    return event


def snapshot_arn_of(body: Any) -> str | None:
    """The snapshot ARN an SQS message body (an EventBridge event as JSON) names, or None."""
    try:
        event = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return None
    return source_arn_of(event)


def source_arn_of(event: Any) -> str | None:
    """The ARN a parsed event's detail.SourceArn names, or None; read even from an event `parse_event` refuses,
    so that the copy requests table can name the snapshot of a message the copier dead-letters."""
    detail = event.get("detail") if isinstance(event, dict) else None
    arn = detail.get("SourceArn") if isinstance(detail, dict) else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def _iso(when: datetime, milliseconds: bool = False) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if milliseconds:
        text += f".{when.microsecond // 1000:03d}"
    return text + "Z"
