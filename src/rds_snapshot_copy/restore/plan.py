"""A restore's plan: the API calls it makes (each also shown as an `aws rds ...` command), the names it may
give, and the tags on what it creates."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from botocore import xform_name

from rds_snapshot_copy.restore.copies import Located
from snapshot_copy.tagging import (
    MAX_TAGS,
    RESERVED_PREFIX,
    TAG_DEPLOYMENT,
    TAG_INCREMENTAL_BASE,
    TAG_SOURCE_ACCOUNT,
    TAG_SOURCE_REGION,
    TAG_SOURCE_SNAPSHOT_ARN,
    TAG_SOURCE_SNAPSHOT_TIME,
)

# Tags on what a restore creates: where it came from. (Never the copy tags: a snapshot of the restored
# database that carried them would look like one of the copier's copies to the pruner.)
TAG_RESTORED_BY = "restored_by"
TAG_RESTORED_FROM_REGION = "restored_from_region"
TAG_RESTORED_FROM_SOURCE = "restored_from_source"
TAG_RESTORED_FROM_ACCOUNT = "restored_from_account"  # the source's account (a vault holds several)
TAG_RESTORED_FROM_SNAPSHOT = "restored_from_snapshot"
TAG_RECOVERY_POINT = "recovery_point"
RESTORED_BY = "rds-snapshot-copy"
RESTORE_TAG_KEYS = (
    TAG_RESTORED_BY,
    TAG_RESTORED_FROM_REGION,
    TAG_RESTORED_FROM_SOURCE,
    TAG_RESTORED_FROM_ACCOUNT,
    TAG_RESTORED_FROM_SNAPSHOT,
    TAG_RECOVERY_POINT,
)
# The copier's tags: never on what a restore creates (a snapshot of the restored database must not look like
# a copy), never given by --tag.
_COPY_TAG_KEYS = frozenset(
    {
        TAG_SOURCE_REGION,
        TAG_SOURCE_SNAPSHOT_ARN,
        TAG_DEPLOYMENT,
        TAG_SOURCE_SNAPSHOT_TIME,
        TAG_SOURCE_ACCOUNT,
        TAG_INCREMENTAL_BASE,
    }
)

# RDS's rules for DB instance and DB cluster identifiers.
MAX_DATABASE_IDENTIFIER_LENGTH = 63
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


@dataclass
class Overrides:
    """What the operator gave on the command line (None: not given)."""

    db_subnet_group: str | None = None
    security_group_ids: list[str] | None = None
    instance_class: str | None = None
    kms_key_id: str | None = None
    option_group: str | None = None
    parameter_group: str | None = None
    instance_parameter_group: str | None = None
    port: int | None = None
    deletion_protection: bool | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Step:
    """One API call of the plan: the same parameters are shown, turned into a CLI command, and sent."""

    operation: str  # the API's name, e.g. RestoreDBInstanceFromDBSnapshot
    params: dict[str, Any]

    def cli(self, region: str) -> str:
        return cli_command(self.operation, self.params, region)


@dataclass
class Plan:
    located: Located
    source_region: str
    region: str
    target: str  # the DB instance, or the Aurora cluster
    writer: str | None  # Aurora: the writer instance
    engine: str
    engine_version: str | None
    instance_class: str | None
    steps: list[Step]
    origins: dict[str, str]  # setting -> where its value came from
    notes: list[str]

    @property
    def kind(self) -> str:
        return self.located.kind

    def as_json(self) -> dict[str, Any]:
        rp = self.located.recovery_point
        return {
            "kind": self.kind,
            "source": self.located.source,
            "source_account": self.located.account or None,
            "source_region": self.source_region,
            "region": self.region,
            "snapshot": self.located.snapshot_arn,
            "recovery_point": rp.isoformat() if rp else None,
            "target": self.target,
            "writer": self.writer,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "instance_class": self.instance_class,
            "operations": [{"operation": s.operation, "parameters": s.params} for s in self.steps],
            "cli": [s.cli(self.region) for s in self.steps],
            "origins": self.origins,
            "notes": self.notes,
        }


def cli_command(operation: str, params: Mapping[str, Any], region: str) -> str:
    """The `aws rds ...` command that makes the same call, quoted for a POSIX shell."""
    words = ["aws", "rds", xform_name(operation, "-"), "--region", region]
    for name, value in params.items():
        option = xform_name(name, "-")
        if isinstance(value, bool):
            words.append(f"--{option}" if value else f"--no-{option}")
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            words += [f"--{option}", *value]
        elif isinstance(value, list | dict):
            words += [f"--{option}", json.dumps(value, separators=(",", ":"))]
        else:
            words += [f"--{option}", str(value)]
    return shlex.join(words)


def valid_database_identifier(identifier: str) -> bool:
    return (
        len(identifier) <= MAX_DATABASE_IDENTIFIER_LENGTH
        and _IDENTIFIER.fullmatch(identifier) is not None
        and "--" not in identifier
        and not identifier.endswith("-")
    )


def writer_name(target: str) -> str:
    return f"{target[: MAX_DATABASE_IDENTIFIER_LENGTH - len('-writer')].rstrip('-')}-writer"


def restore_tags(located: Located, source_region: str, extra: Mapping[str, str]) -> list[dict[str, str]]:
    """The copy's own tags (the source's, carried by the copier) without the copy tags, the operator's
    --tag values over them, and the restore's provenance over everything."""
    rp = located.recovery_point
    provenance = {
        TAG_RESTORED_BY: RESTORED_BY,
        TAG_RESTORED_FROM_REGION: source_region,
        TAG_RESTORED_FROM_SOURCE: located.source,
        **({TAG_RESTORED_FROM_ACCOUNT: located.account} if located.account else {}),
        TAG_RESTORED_FROM_SNAPSHOT: located.snapshot_arn[:256],
        TAG_RECOVERY_POINT: rp.astimezone(UTC).isoformat(timespec="seconds") if rp else "unknown",
    }
    carried = {
        t["Key"]: t.get("Value", "")
        for t in located.copy.get("TagList", [])
        if t["Key"] not in _COPY_TAG_KEYS and not t["Key"].lower().startswith(RESERVED_PREFIX)
    }
    merged = carried | dict(extra)
    for key in provenance:
        merged.pop(key, None)
    room = MAX_TAGS - len(provenance)
    merged = dict(list(merged.items())[:room]) | provenance
    return [{"Key": k, "Value": v} for k, v in merged.items()]
