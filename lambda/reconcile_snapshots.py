"""Lambda entry point: enqueue the source snapshots whose RDS event never reached the copier, and measure
each source's recovery point.

Runs on a schedule. Contract: `lambda_handler(event, context)`; environment SOURCE_REGION,
DESTINATION_REGION, COPY_QUEUE_URL (the copier's queue), RETENTION_DAYS (default 35: only source snapshots
whose data is younger than this are enqueued), RPO_HOURS (default 26); with defaults DEPLOYMENT_NAME (whose
copies count: the module's name, default "rds-snapshot-copy"), ENABLED_EVENT_IDS, SOURCE_FILTER,
REQUESTS_TABLE, GRACE_MINUTES, REREQUEST_AFTER_HOURS, PER_SOURCE_METRICS, METRIC_NAMESPACE, and optional
DRILL_MAX_AGE_DAYS, SOURCE_ACCOUNT_IDS and SOURCE_ORGANIZATION_ID (backup-account mode: the snapshots other
accounts share with this one, per account; snapshot_copy/reconcile_config.py, accounts.py). Returns a dict
with `enqueued` (the source snapshot ARNs put on the queue) and `sources` (one entry per selected database
or cluster: source, kind, recovery_point, recovery_point_age_hours, within_rpo, and more; in backup-account
mode also account); see snapshot_copy/reconcile.py and
snapshot_copy/survey.py, which do the work and state the rules: only this deployment's available copies
count, and time is the data's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3

from snapshot_copy.accounts import caller_account
from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.reconcile import FUNCTION_NAME, Clients, reconcile
from snapshot_copy.reconcile_config import ReconcileConfig
from snapshot_copy.runtime import Runtime


@lru_cache(maxsize=4)
def clients_for(
    source_region: str, destination_region: str, with_dynamodb: bool, with_cloudwatch: bool = False
) -> Clients:
    session = boto3.session.Session()
    return Clients(
        source_rds=session.client("rds", region_name=source_region, config=BOTO_CONFIG),
        destination_rds=session.client("rds", region_name=destination_region, config=BOTO_CONFIG),
        sqs=session.client("sqs", region_name=source_region, config=BOTO_CONFIG),
        dynamodb=session.client("dynamodb", region_name=source_region, config=BOTO_CONFIG) if with_dynamodb else None,
        # The drills publish their metric where they restore: the destination region.
        cloudwatch=(
            session.client("cloudwatch", region_name=destination_region, config=BOTO_CONFIG)
            if with_cloudwatch
            else None
        ),
    )


@lru_cache(maxsize=1)
def own_account(region: str) -> str | None:
    """This function's account when its context does not name it: one sts:GetCallerIdentity per container."""
    return caller_account(boto3.session.Session().client("sts", region_name=region, config=BOTO_CONFIG))


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    config = ReconcileConfig.from_env()
    clients = clients_for(
        config.source_region,
        config.destination_region,
        config.requests_table is not None,
        config.drill_max_age_days is not None,
    )
    runtime = Runtime.from_context(context, FUNCTION_NAME)
    if runtime.account_id is None and config.accounts.backup_mode:  # single-account mode needs no account
        runtime = replace(runtime, account_id=own_account(config.source_region))
    return reconcile(config, clients, datetime.now(UTC), runtime=runtime)
