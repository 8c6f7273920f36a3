"""Lambda entry point: copy each new RDS / Aurora snapshot to the destination region.

Accepts an SQS batch whose bodies are EventBridge events (the deployed path; returns partial batch
failures) or a bare EventBridge event (direct invoke). Anything else is refused by name. Contract:
`lambda_handler(event, context)`; environment in snapshot_copy/copy_config.py. This file only gathers what
the runtime gives (environment, clients, clock, randomness) and calls `handle` (snapshot_copy/copy_handler.py),
which the benchmark drives with a simulated clock and fake clients.
"""

from __future__ import annotations

import random
from dataclasses import replace
from functools import lru_cache
from typing import Any

import boto3

from snapshot_copy.accounts import caller_account
from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.copy_config import CopyConfig
from snapshot_copy.copy_handler import Clients, handle
from snapshot_copy.runtime import Runtime

# Clients and handle are the package's, re-exported: the benchmark and tests import them from here.
__all__ = ["Clients", "clients_for", "handle", "lambda_handler"]


@lru_cache(maxsize=8)
def clients_for(source_region: str, destination_region: str, with_dynamodb: bool = False) -> Clients:
    """Created once per container (and per region pair), reused by every invocation."""
    session = boto3.session.Session()
    return Clients(
        source_rds=session.client("rds", region_name=source_region, config=BOTO_CONFIG),
        destination_rds=session.client("rds", region_name=destination_region, config=BOTO_CONFIG),
        sqs=session.client("sqs", region_name=source_region, config=BOTO_CONFIG),
        dynamodb=session.client("dynamodb", region_name=source_region, config=BOTO_CONFIG) if with_dynamodb else None,
    )


@lru_cache(maxsize=1)
def own_account(region: str) -> str | None:
    """This function's account when its context does not name it: one sts:GetCallerIdentity per container."""
    return caller_account(boto3.session.Session().client("sts", region_name=region, config=BOTO_CONFIG))


# One generator per container: the jitter of the postponed messages' delays (not a secret).
_RNG = random.Random()  # noqa: S311


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    config = CopyConfig.from_env()
    regions = (config.source_region, config.destination_region)
    clients = clients_for(*regions, True) if config.requests_table else clients_for(*regions)
    runtime = Runtime.from_context(context, "copy_snapshot")
    if runtime.account_id is None:
        runtime = replace(runtime, account_id=own_account(config.source_region))
    return handle(event, config, clients, runtime, _RNG)
