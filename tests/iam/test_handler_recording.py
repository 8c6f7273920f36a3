"""The recorder plug-in of the demo's handler runner (tests/iam/handler_recording.py): a handler run as the e2e
test runs the deployed package's has every AWS call recorded (a delete with the tags of what it deletes), the
handler sees none of it in its environment, and without the plug-in nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rds_snapshot_copy.demo.aws import Clients
from rds_snapshot_copy.demo.emulator import Emulator
from rds_snapshot_copy.demo.handler import DeployedPackage, run_handler
from rds_snapshot_copy.demo.readback import DeployedFunction
from tests.iam.handler_recording import RECORD_TO_VARIABLE, handler_env
from tests.iam.recording import load_jsonl

REGION = "eu-west-1"
HANDLER = """
import os

import boto3


def lambda_handler(event, context):
    rds = boto3.client("rds")
    rds.describe_db_snapshots()
    rds.delete_db_snapshot(DBSnapshotIdentifier=event["snapshot"])
    return {"function": context.function_name, "variables": sorted(os.environ)}
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def run(emulator: Emulator, tmp_path: Path, extra_env: dict[str, str] | None) -> dict:
    clients = Clients(emulator)
    rds = clients("rds", REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="db", Engine="postgres", DBInstanceClass="db.t4g.micro", AllocatedStorage=20
    )
    rds.create_db_snapshot(
        DBSnapshotIdentifier="old", DBInstanceIdentifier="db", Tags=[{"Key": "snapshot_copy_deployment", "Value": "x"}]
    )
    (tmp_path / "package").mkdir()
    (tmp_path / "package" / "fake_function.py").write_text(HANDLER)
    function = DeployedFunction("fake", "-", {"SOURCE_REGION": REGION}, "fake_function.lambda_handler", 0, "", [])
    try:
        answer, _ = run_handler(
            DeployedPackage(tmp_path / "package", "-"), function, emulator, {"snapshot": "old"}, extra_env
        )
    finally:
        rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    return answer


def test_every_call_of_the_handler_is_recorded(emulator: Emulator, tmp_path: Path) -> None:
    recorded = tmp_path / "calls.jsonl"
    answer = run(emulator, tmp_path, handler_env(recorded))
    assert answer["function"] == "fake"
    assert RECORD_TO_VARIABLE not in answer["variables"]
    assert not [v for v in answer["variables"] if v.startswith("RDS_SNAPSHOT_COPY_")], answer["variables"]
    calls = load_jsonl(recorded, "copier", "here")
    assert [(c.service, c.operation, c.region) for c in calls] == [
        ("rds", "DescribeDBSnapshots", REGION),
        ("rds", "DeleteDBSnapshot", REGION),
    ]
    assert calls[1].params == {"DBSnapshotIdentifier": "old"}
    assert calls[1].resource_tags == {"snapshot_copy_deployment": "x"}


def test_nothing_is_recorded_without_the_plug_in(emulator: Emulator, tmp_path: Path) -> None:
    run(emulator, tmp_path, None)
    assert not list(tmp_path.glob("**/*.jsonl"))
