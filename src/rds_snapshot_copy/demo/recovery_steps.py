"""The demo's recovery half: missed events caught by the deployed reconciler, a stale source, the
operations command's `status` and `drill` run against the emulator as an operator would run them.

Missed events need no staging: moto, like RDS, takes an automated snapshot of every database and cluster
it creates, and the demo never puts those snapshots' events on the bus. The stale source is a third
database whose newest copy (this deployment's own: tagged and named as the copier tags and names its copies,
backdated by the emulator) is STALE_HOURS old: its copies stopped, as in an outage of the copy path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from rds_snapshot_copy.demo.aws import (
    DESTINATION_REGION,
    SOURCE_REGION,
    Clients,
    SourceSnapshot,
    create_database,
    taken_at,
)
from rds_snapshot_copy.demo.emulator import ACCESS_KEY, AGE_TAG, SECRET_KEY, Emulator
from rds_snapshot_copy.demo.retention_steps import copy_snapshot, our_copy_tags
from snapshot_copy.naming import target_identifier

STALE_SOURCE = "billing-db"
STALE_HOURS = 30


def automated_snapshots(clients: Clients) -> list[str]:
    """The ARNs of the source region's automated snapshots (DB and cluster): no event was put for any."""
    rds = clients("rds", SOURCE_REGION)
    found = [s["DBSnapshotArn"] for s in rds.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"]]
    found += [
        s["DBClusterSnapshotArn"]
        for s in rds.describe_db_cluster_snapshots(SnapshotType="automated")["DBClusterSnapshots"]
    ]
    return sorted(found)


def as_source_snapshot(arn: str) -> SourceSnapshot:
    """A source snapshot named by its ARN (arn:aws:rds:<region>:<account>:<snapshot|cluster-snapshot>:<id>)."""
    resource_type, identifier = arn.split(":", 6)[5:]
    return SourceSnapshot("cluster" if resource_type == "cluster-snapshot" else "db", identifier, arn, {})


@dataclass(frozen=True)
class StaleSource:
    identifier: str
    snapshot_arn: str  # the backdated source snapshot behind its newest copy
    copy_identifier: str


def create_stale_source(clients: Clients, deployment: str) -> StaleSource:
    """A database whose newest copy, `deployment`'s own, is STALE_HOURS old; the snapshot RDS took since (at
    its creation) has none."""
    rds = clients("rds", SOURCE_REGION)
    create_database(rds, STALE_SOURCE)
    days = STALE_HOURS / 24
    identifier = f"{STALE_SOURCE}-before-outage"
    snapshot = rds.create_db_snapshot(
        DBSnapshotIdentifier=identifier, DBInstanceIdentifier=STALE_SOURCE, Tags=[{"Key": AGE_TAG, "Value": str(days)}]
    )["DBSnapshot"]
    arn = snapshot["DBSnapshotArn"]
    when = taken_at(snapshot)
    assert when is not None, f"{arn}: RDS gave no time"
    copy_identifier = target_identifier(identifier, arn, "db")
    copy_snapshot(
        clients("rds", DESTINATION_REGION),
        "db",
        arn,
        copy_identifier,
        SourceRegion=SOURCE_REGION,
        Tags=our_copy_tags(arn, when, deployment, days),
    )
    return StaleSource(STALE_SOURCE, arn, copy_identifier)


# The demo's drill, as the demo and the end-to-end test run it: its DB instance and its Aurora cluster.
DRILL_ARGS = (
    "drill",
    "orders-db",
    "ledger-aurora",
    "--source-region",
    SOURCE_REGION,
    "--destination-region",
    DESTINATION_REGION,
)


@dataclass(frozen=True)
class CommandRun:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_command(emulator: Emulator, *argv: str, columns: int = 118) -> CommandRun:
    """`rds-snapshot-copy ARGV` in a fresh interpreter, as an operator runs it, pointed at the emulator the
    way any AWS SDK is: AWS_ENDPOINT_URL and credentials in the environment."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": SOURCE_REGION,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "COLUMNS": str(columns),
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    command = [sys.executable, "-m", "rds_snapshot_copy.cli", *argv]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    return CommandRun(["rds-snapshot-copy", *argv], result.returncode, result.stdout, result.stderr)
