"""The restore's AWS side: the actions it calls, its clients (the source region's best effort), and its errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Every AWS action `restore` calls (drill/ adds its own); the policy an operator needs is built from these.
# Not listed: sts:GetCallerIdentity (caller_account), which needs no permission and no policy can deny.
RESTORE_ACTIONS: tuple[str, ...] = (
    "lambda:GetFunctionConfiguration",  # --function: the deployment's identity, in the source region
    "rds:DescribeDBSnapshots",
    "rds:DescribeDBClusterSnapshots",
    "rds:DescribeDBInstances",
    "rds:DescribeDBClusters",
    "rds:DescribeDBSubnetGroups",
    "rds:DescribeOptionGroups",
    "rds:DescribeDBParameterGroups",
    "rds:DescribeDBClusterParameterGroups",
    "rds:DescribeOrderableDBInstanceOptions",
    "rds:RestoreDBInstanceFromDBSnapshot",
    "rds:RestoreDBClusterFromSnapshot",
    "rds:CreateDBInstance",
    "rds:AddTagsToResource",  # tags on create need it
    "ec2:DescribeSecurityGroups",
    "kms:DescribeKey",
    "kms:CreateGrant",  # RDS creates a grant on the copy's key, as the caller, to restore an encrypted copy
)

# The source region may be the reason for the restore: one try, and a short wait, then go on without it.
SOURCE_REGION_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=5)
DESTINATION_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


class RefusedError(Exception):
    """Bad input: the command refused and changed nothing (exit 2). `problems` lists every reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class AwsFailure(Exception):
    """AWS refused or failed a call, or a restore failed while being waited for (exit 2, exit_codes.ERROR)."""


@dataclass
class Clients:
    rds: Any  # destination
    kms: Any
    ec2: Any
    source_rds: Any | None = None  # best effort: the source region may be down
    source_ec2: Any | None = None
    cloudwatch: Any | None = None
    sts: Any | None = None  # the caller's own account (caller_account)
    account: str | None = None  # caller_account's answer, asked once


def caller_account(clients: Clients) -> str | None:
    """The caller's own account (sts:GetCallerIdentity, asked once); None when STS is not there or does not
    answer. A copy whose source is in another account (a vault, backup-account mode) has no source database
    that these credentials could read."""
    if clients.account is None and clients.sts is not None:
        try:
            clients.account = str(clients.sts.get_caller_identity()["Account"])
        except (ClientError, BotoCoreError, KeyError):
            clients.sts = None  # not asked again
    return clients.account


def make_clients(region: str, source_region: str | None, session: Any = None) -> Clients:
    session = session or boto3.session.Session()
    return Clients(
        rds=session.client("rds", region_name=region, config=DESTINATION_CONFIG),
        kms=session.client("kms", region_name=region, config=DESTINATION_CONFIG),
        ec2=session.client("ec2", region_name=region, config=DESTINATION_CONFIG),
        source_rds=session.client("rds", region_name=source_region, config=SOURCE_REGION_CONFIG)
        if source_region
        else None,
        source_ec2=session.client("ec2", region_name=source_region, config=SOURCE_REGION_CONFIG)
        if source_region
        else None,
        cloudwatch=session.client("cloudwatch", region_name=region, config=DESTINATION_CONFIG),
        sts=session.client("sts", region_name=region, config=DESTINATION_CONFIG),
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
