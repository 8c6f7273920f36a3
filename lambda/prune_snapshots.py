"""Lambda entry point: delete this deployment's expired copies in the destination region, and measure
the destination's manual snapshot quota.

Runs on a schedule. Contract: `lambda_handler(event, context)`; environment SOURCE_REGION,
DESTINATION_REGION, RETENTION_DAYS (absent: no pruning, the quota is still measured), KEEP_LAST,
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, KEEP_YEARLY (calendar tiers) and MIN_RETENTION_DAYS (the lock), each
absent or empty when not set, DRY_RUN (true/false), METRIC_NAMESPACE, DEPLOYMENT_NAME (absent:
"rds-snapshot-copy", the module's default name); returns a dict whose `deleted` lists the identifiers deleted
(or, in a dry run, that would be).
Only this deployment's copies (identity tag AND identifier) are ever deleted, judged by their data's time:
snapshot_copy/pruner.py does the work and states the rules; this file builds the clients and calls it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3

from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.prune_config import PruneConfig
from snapshot_copy.pruner import Clients, PruneFailedError, prune
from snapshot_copy.runtime import Runtime

# The pruner's, re-exported: the benchmark and tests import them from here.
__all__ = ["Clients", "PruneFailedError", "clients_for", "lambda_handler", "prune"]


@lru_cache(maxsize=4)
def clients_for(destination_region: str) -> Clients:
    session = boto3.session.Session()
    return Clients(
        rds=session.client("rds", region_name=destination_region, config=BOTO_CONFIG),
        service_quotas=session.client("service-quotas", region_name=destination_region, config=BOTO_CONFIG),
    )


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    config = PruneConfig.from_env()
    return prune(
        config,
        clients_for(config.destination_region),
        datetime.now(UTC),
        Runtime.from_context(context, "prune_snapshots"),
    )
