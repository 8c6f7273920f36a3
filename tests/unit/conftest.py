"""Every unit test runs with fake credentials, none of the function's settings from the shell, and no
clients or queue URLs cached by an earlier test (the fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest


@pytest.fixture(scope="session", autouse=True)
def _shared_botocore_loader() -> Iterator[None]:
    """Speed only (no behaviour of moto or the function changes): each test creates fresh boto3 sessions
    (the handler's clients_for cache is cleared), and each would parse botocore's JSON models again."""
    import moto.kms.models

    shared = lru_cache(maxsize=None)(botocore.loaders.create_loader)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        # moto's KMS makes an RSA key pair for every key, even symmetric ones (~0.1-0.3 s); we never sign.
        patch.setattr(
            moto.kms.models, "generate_private_key", lru_cache(maxsize=None)(moto.kms.models.generate_private_key)
        )
        yield


@pytest.fixture(autouse=True)
def _unit_isolation(aws_env: None, fresh_clients: None) -> Iterator[None]:
    import reconcile_snapshots

    reconcile_snapshots.clients_for.cache_clear()
    yield
    reconcile_snapshots.clients_for.cache_clear()


@pytest.fixture
def requests_table(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The copy requests table (as the module creates it), named in REQUESTS_TABLE; a DynamoDB client."""
    from tests.unit.harness import REQUESTS_TABLE, SOURCE_REGION

    dynamodb = boto3.client("dynamodb", region_name=SOURCE_REGION)
    dynamodb.create_table(
        TableName=REQUESTS_TABLE,
        AttributeDefinitions=[{"AttributeName": "source_snapshot_arn", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "source_snapshot_arn", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("REQUESTS_TABLE", REQUESTS_TABLE)
    return dynamodb


@pytest.fixture
def share_world(aws: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """The source side's world (tests/unit/test_sharing_world.py), with its function's clients cached by no
    earlier test and kept for no later one."""
    import share_snapshot
    from tests.unit.test_sharing_world import make_world

    share_snapshot.source_clients.cache_clear()
    yield make_world(monkeypatch, capsys)
    share_snapshot.source_clients.cache_clear()
