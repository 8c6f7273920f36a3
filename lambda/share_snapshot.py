"""Lambda entry point of the source side (backup-account mode, modules/source-account): make each new RDS /
Aurora snapshot shareable with the vault accounts, share it and tell each vault; hourly, take the shares back.

Takes an RDS snapshot-created event (bare from the EventBridge rule, or SQS records: partial batch failures) or
the scheduled clean-up event. Contract: `lambda_handler(event, context)`; environment in
snapshot_copy/sharing/config.py. This file only gathers what the runtime gives (environment, clients, the
vaults' reader roles) and calls `handle` (snapshot_copy/sharing/handler.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3

from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.runtime import Runtime
from snapshot_copy.sharing.config import ShareConfig, Vault
from snapshot_copy.sharing.handler import Clients, handle

__all__ = ["Clients", "VaultReaders", "handle", "lambda_handler"]


@lru_cache(maxsize=4)
def source_clients(region: str) -> tuple[Any, Any, Any]:
    """RDS, SQS and STS in the source region, created once per container."""
    session = boto3.session.Session()
    return tuple(session.client(name, region_name=region, config=BOTO_CONFIG) for name in ("rds", "sqs", "sts"))


class VaultReaders:
    """Each vault's RDS client in its destination region, as its reader role (one AssumeRole per role and
    invocation: the credentials last an hour, a container longer)."""

    def __init__(self, sts: Any, session_name: str) -> None:
        self._sts = sts
        self._session_name = session_name[:64]
        self._clients: dict[tuple[str, str], Any] = {}

    def rds(self, vault: Vault) -> Any:
        key = (vault.reader_role_arn, vault.destination_region)
        if key not in self._clients:
            credentials = self._sts.assume_role(RoleArn=vault.reader_role_arn, RoleSessionName=self._session_name)[
                "Credentials"
            ]
            session = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
            self._clients[key] = session.client("rds", region_name=vault.destination_region, config=BOTO_CONFIG)
        return self._clients[key]


# The source filter's memory of the sources' tags, kept by the container (filters.SourceTags).
_SOURCE_TAGS: dict[str, Any] = {}


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    config = ShareConfig.from_env()
    rds, sqs, sts = source_clients(config.source_region)
    readers = VaultReaders(sts, f"{config.deployment_name}-cleanup")
    clients = Clients(rds=rds, sqs=sqs, vault_rds=readers.rds, source_tags=_SOURCE_TAGS)
    return handle(event, config, clients, Runtime.from_context(context, "share_snapshot"))
