"""Fixtures for the function's unit tests: fake AWS (moto), source snapshots, the destination key, the
function's environment, a real (moto) SQS queue and dead-letter queue. Helpers (record builder, event
loader, moto-gap workarounds) are in tests/unit/harness.py. The autouse isolation (fake credentials, no
cached clients) is switched on for tests/unit by tests/unit/conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import copy_snapshot
from rds_snapshot_copy.demo.emulator import Emulator
from rds_snapshot_copy.demo.stack import Clients, DeployedPolicies, Stack, Workspace, remove_keeping_key
from tests.e2e.backup_fixture import backup_deployment as backup_deployment  # a fixture: examples/backup-account
from tests.iam import recording
from tests.unit.harness import (
    DESTINATION_REGION,
    FUNCTION_ENV_VARS,
    SOURCE_REGION,
    CallRecorder,
    Queues,
    SourceFactory,
    handler_clients,
    load_event,
)


@pytest.fixture(scope="session", autouse=True)
def _record_aws_calls() -> Iterator[None]:
    """Every AWS call a function makes during the tests, for the IAM simulation (tests/iam, run last)."""
    with recording.installed():
        yield


@pytest.fixture(autouse=True)
def _name_recorded_calls(request: pytest.FixtureRequest) -> Iterator[None]:
    with recording.in_test(request.node.nodeid):
        yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The IAM simulation evaluates the calls every other test recorded, so it runs last.
    items.sort(key=lambda item: item.get_closest_marker("iam_simulation") is not None)


class Deployment:
    """examples/complete in the local emulator, shared by the end-to-end test (which applies it and
    removes it) and the IAM simulation (which reads what the end-to-end test found out)."""

    def __init__(self, emulator: Emulator, workspace: Workspace, stack: Stack) -> None:
        self.emulator = emulator
        self.workspace = workspace
        self.stack = stack
        self.clients = Clients(emulator)
        self.outputs: dict = {}
        self.policies: DeployedPolicies | None = None
        # The deployed package's handlers write every AWS call they make here.
        self.recorded_calls_file = workspace.root / "recorded-calls.jsonl"
        self.recorded_pruner_calls_file = workspace.root / "recorded-pruner-calls.jsonl"
        self.recorded_reconciler_calls_file = workspace.root / "recorded-reconciler-calls.jsonl"


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    emulator = Emulator().start()
    workspace = Workspace.create(emulator.endpoint)
    stack = Stack(workspace)
    try:
        yield Deployment(emulator, workspace, stack)
    finally:
        try:
            if stack.applied:
                remove_keeping_key(stack)
        finally:
            emulator.stop()
            workspace.remove()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, no profile, and none of the function's settings leaking in from the shell."""
    for name in (*FUNCTION_ENV_VARS, "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", SOURCE_REGION)
    # RDS instances touch moto's EC2 backend, which otherwise loads every default AMI per region (slow).
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.fixture
def fresh_clients() -> Iterator[None]:
    """The handler caches clients (with the queue URLs and copy listing) per container; never reuse them
    across mocks."""
    copy_snapshot.clients_for.cache_clear()
    yield
    copy_snapshot.clients_for.cache_clear()


@pytest.fixture
def aws(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def kms_key_arn(aws: None) -> str:
    """A KMS key in the destination region (the one copies are encrypted with)."""
    kms = boto3.client("kms", region_name=DESTINATION_REGION)
    return kms.create_key(Description="snapshot copies")["KeyMetadata"]["Arn"]


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, kms_key_arn: str) -> dict[str, str]:
    env = {
        "SOURCE_REGION": SOURCE_REGION,
        "DESTINATION_REGION": DESTINATION_REGION,
        "DESTINATION_REGION_KMS_KEY_ID": kms_key_arn,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def source_rds(aws: None) -> Any:
    return boto3.client("rds", region_name=SOURCE_REGION)


@pytest.fixture
def destination_rds(aws: None) -> Any:
    return boto3.client("rds", region_name=DESTINATION_REGION)


@pytest.fixture
def destination_calls(function_env: dict[str, str]) -> CallRecorder:
    return CallRecorder(handler_clients().destination_rds)


@pytest.fixture
def sources(source_rds: Any) -> SourceFactory:
    return SourceFactory(source_rds)


@pytest.fixture
def event_loader() -> Callable[..., dict[str, Any]]:
    return load_event


@pytest.fixture
def queues(aws: None) -> Queues:
    sqs = boto3.client("sqs", region_name=SOURCE_REGION)
    dlq_url = sqs.create_queue(QueueName="rds-snapshot-copy-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="rds-snapshot-copy",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1000"})},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queues(sqs=sqs, url=url, arn=arn, dlq_url=dlq_url, dlq_arn=dlq_arn)


@pytest.fixture
def with_dlq(function_env: dict[str, str], queues: Queues, monkeypatch: pytest.MonkeyPatch) -> Queues:
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queues.dlq_url)
    return queues
