"""Every unit test runs with fake credentials, none of the function's settings from the shell, and no
clients or queue URLs cached by an earlier test (the fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

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
def _unit_isolation(aws_env: None, fresh_clients: None) -> None:
    return None
