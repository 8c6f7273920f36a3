"""`rds-snapshot-copy restore`: restore the newest available copy of a source database in the destination.

Written for 3 a.m.: the source region may be down, so every call there is best effort (one try, short
timeouts) and the command works without it; every input that is still missing is named at once, with the
flag that gives it; and nothing is changed until every check has passed and `--apply` is given. Without
`--apply` it prints the API calls it would make and the equivalent `aws rds ...` commands.

DB instances: RestoreDBInstanceFromDBSnapshot. Aurora: RestoreDBClusterFromSnapshot, then CreateDBInstance
(the writer) in the restored cluster, requested at once (RDS accepts it while the cluster is creating).
The copy to restore is the newest *available* copy that is this deployment's (snapshot_copy.ownership:
its deployment tag, source region tag and identifier, never a tag alone: an operator's CopyTags copy or
another deployment's copy is never restored as ours), newest by the time its data was taken
(snapshot_time.data_time, never when it was copied), which is also the recovery point it reports: both are
snapshot_copy.recovery's, as for the reconciler and `status`. The
deployment's identity comes from `--function` or from the flags (deployment.identity). The drill (drill.py)
reuses the finding, the planning, the checks and the waiting here.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from rds_snapshot_copy import deployment
from snapshot_copy.config import MAX_HOURS
from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import describe_one, pages
from snapshot_copy.ownership import FOREIGN, LEGACY, OURS, Owner, classify
from snapshot_copy.recovery import newest_copies, recovery_point
from snapshot_copy.tagging import (
    MAX_TAGS,
    RESERVED_PREFIX,
    TAG_DEPLOYMENT,
    TAG_SOURCE_REGION,
    TAG_SOURCE_SNAPSHOT_ARN,
    TAG_SOURCE_SNAPSHOT_TIME,
    tag_value,
)

HELP = (
    "Restore the newest available copy of a source DB instance or Aurora cluster (or a named copy) in the "
    "destination region. Only the deployment's own copies count (its deployment tag, source region tag and "
    "identifier; the deployment from --function, or --deployment and the regions), newest by when their data "
    "was taken, which is the recovery point it reports. Prints the plan (API calls and AWS CLI commands); runs "
    "it only with --apply."
)

# Every AWS action `restore` calls (drill.py adds its own); the policy an operator needs is built from these.
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

# Tags on what a restore creates: where it came from. (Never the copy tags: a snapshot of the restored
# database that carried them would look like one of the copier's copies to the pruner.)
TAG_RESTORED_BY = "restored_by"
TAG_RESTORED_FROM_REGION = "restored_from_region"
TAG_RESTORED_FROM_SOURCE = "restored_from_source"
TAG_RESTORED_FROM_SNAPSHOT = "restored_from_snapshot"
TAG_RECOVERY_POINT = "recovery_point"
RESTORED_BY = "rds-snapshot-copy"
RESTORE_TAG_KEYS = (
    TAG_RESTORED_BY,
    TAG_RESTORED_FROM_REGION,
    TAG_RESTORED_FROM_SOURCE,
    TAG_RESTORED_FROM_SNAPSHOT,
    TAG_RECOVERY_POINT,
)
# The copier's tags: never on what a restore creates (a snapshot of the restored database must not look like
# a copy), never given by --tag.
_COPY_TAG_KEYS = frozenset({TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN, TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_TIME})

# RDS's rules for DB instance and DB cluster identifiers.
MAX_DATABASE_IDENTIFIER_LENGTH = 63
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9-]*")

# Bounds of the numeric flags: past them a sleep or a deadline overflows.
MAX_POLL_SECONDS = 3600.0
MAX_TIMEOUT_SECONDS = MAX_HOURS * 3600.0
MAX_PORT = 65535

# The source region may be the reason for the restore: one try, and a short wait, then go on without it.
SOURCE_REGION_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=5)
DESTINATION_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)

# Statuses from which a restore does not become available by waiting.
FAILED_STATUSES = frozenset(
    {
        "failed",
        "incompatible-restore",
        "incompatible-parameters",
        "incompatible-network",
        "incompatible-option-group",
        "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable",
        "restore-error",
        "storage-full",
        "deleting",
    }
)
USABLE_KEY_STATE = "Enabled"
# Statuses in which a restored database accepts connections. RDS may keep a restored instance `backing-up`
# (its first automated backup) long after that (hashicorp/terraform-provider-aws#44104), so the time it
# first reaches one of these is recorded apart from the time it is `available`.
USABLE_STATUSES = frozenset({"available", "backing-up"})
# A create answered with these made nothing: the name was taken, by someone else or (botocore retrying after
# a lost answer) by this very request. Only a create that succeeded registers what it made (Created).
_ALREADY_EXISTS = frozenset({"DBInstanceAlreadyExists", "DBClusterAlreadyExistsFault"})

# What an AWS error from the restore call means for the operator, by error code.
ERROR_ADVICE = {
    "StorageQuotaExceeded": "the account's total RDS storage quota in {region} is used up: free storage or ask "
    "for more (Service Quotas, 'Total storage for all DB instances')",
    "InstanceQuotaExceeded": "the account's DB instance quota in {region} is used up: delete an instance or ask "
    "for more (Service Quotas, 'DB instances')",
    "DBClusterQuotaExceededFault": "the account's DB cluster quota in {region} is used up",
    "InsufficientDBInstanceCapacity": "{region} has no capacity for {instance_class} right now: try another "
    "class (--instance-class) or again in a few minutes",
    "InsufficientDBClusterCapacityFault": "{region} has no capacity for the cluster right now: try again in a "
    "few minutes",
    "InsufficientStorageClusterCapacity": "{region} has no storage capacity for the cluster right now",
    "KMSKeyNotAccessibleFault": "RDS cannot use the KMS key: check the key's policy and grants",
    "InvalidVPCNetworkStateFault": "the DB subnet group's subnets cannot take the database (not enough "
    "availability zones or free addresses)",
    "InvalidSubnet": "a subnet of the DB subnet group is not usable",
    "StorageTypeNotSupported": "the snapshot's storage type is not offered in {region}",
}


class RefusedError(Exception):
    """Bad input: the command refused and changed nothing (exit 2). `problems` lists every reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class AwsFailure(Exception):
    """AWS refused or failed a call, or a restore failed while being waited for (exit 1)."""


# --------------------------------------------------------------------------------------------- clients


@dataclass
class Clients:
    rds: Any  # destination
    kms: Any
    ec2: Any
    source_rds: Any | None = None  # best effort: the source region may be down
    source_ec2: Any | None = None
    cloudwatch: Any | None = None


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
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# ------------------------------------------------------------------------------------ the copy to restore


@dataclass(frozen=True)
class Located:
    kind: str
    source: str  # the source DB instance or cluster identifier
    copy: Mapping[str, Any]
    recovery_point: datetime | None

    @property
    def snapshot_arn(self) -> str:
        return str(self.copy[KINDS[self.kind].arn_key])

    @property
    def snapshot_identifier(self) -> str:
        return str(self.copy[KINDS[self.kind].identifier_key])


def copies_of(rds: Any, kind: str, source: str) -> list[dict[str, Any]]:
    """Every manual snapshot of `kind` in the destination whose data came from `source` (by name)."""
    return list(pages(rds, kind, SnapshotType="manual", **{KINDS[kind].source_identifier_key: source}))


def located(kind: str, source: str, copy: Mapping[str, Any]) -> Located:
    """A copy to restore, with its recovery point: when its data was taken (recovery.recovery_point)."""
    return Located(kind, source, copy, recovery_point(copy, kind))


def locate(
    clients: Clients,
    source: str,
    owner: Owner,
    kind: str | None = None,
    source_exists: Callable[[str], str | None] | None = None,
) -> Located:
    """The newest available copy of `source` that is `owner`'s; RefusedError saying why there is none."""
    found: dict[str, Mapping[str, Any]] = {}
    waiting: list[str] = []
    legacy: list[str] = []
    others: set[str] = set()  # other deployments whose copies of `source` are here
    for name in [kind] if kind else list(KINDS):
        snapshots = copies_of(clients.rds, name, source)
        newest = newest_copies(snapshots, name, owner).get(source)
        if newest is not None:
            found[name] = newest
        for snapshot in snapshots:
            identifier = snapshot[KINDS[name].identifier_key]
            verdict = classify(snapshot, name, owner)
            if verdict == OURS and snapshot.get("Status") != "available":
                waiting.append(f"{identifier} ({snapshot.get('Status')})")
            elif verdict == LEGACY:
                legacy.append(identifier)
            elif verdict == FOREIGN and (other := tag_value(snapshot.get("TagList"), TAG_DEPLOYMENT)):
                others.add(other)
    if len(found) > 1:
        raise RefusedError(
            [f"{source} names both a DB instance and an Aurora cluster with copies: say which with --kind db|cluster"]
        )
    if found:
        ((name, copy),) = found.items()
        return located(name, source, copy)
    whose = f"{source} from {owner.source_region} by deployment {owner.deployment}"
    hints = []
    if legacy:
        hints.append(
            f"{len(legacy)} copy(ies) of it made by 0.4.x carry no deployment tag ({', '.join(sorted(legacy))}): "
            "`rds-snapshot-copy adopt` makes them this deployment's, or restore one by name with --snapshot"
        )
    if others:
        hints.append(
            f"copies of it by deployment(s) {', '.join(sorted(others))} are there: is --deployment (or --function) "
            "the right deployment?"
        )
    if waiting:
        problem = f"no available copy of {whose}: none of its copies is available yet: " + ", ".join(waiting)
    elif (live := source_exists(source) if source_exists else None) is not None:
        problem = (
            f"no available copy of {whose}: the {live} exists in {owner.source_region} but has no copy in the "
            "destination yet (is it covered by the module's filters?)"
        )
    elif legacy or others:
        problem = f"no available copy of {whose}"
    else:
        problem = (
            f"unknown database {source}: no copy of it from {owner.source_region} in the destination, and "
            f"{owner.source_region} has no DB instance or Aurora cluster of that name (or did not answer)"
        )
    raise RefusedError([problem, *hints])


def locate_snapshot(clients: Clients, snapshot: str, kind: str | None = None) -> Located:
    """A named copy (identifier or ARN) in the destination, of either kind."""
    for name in [kind] if kind else list(KINDS):
        try:
            found = describe_one(clients.rds, name, snapshot)
        except ClientError as exc:
            if error_code(exc) in {"DBSnapshotNotFound", "DBClusterSnapshotNotFoundFault"}:
                continue
            raise
        if found is None:
            continue
        if found.get("Status") != "available":
            raise RefusedError(
                [f"snapshot {snapshot} is {found.get('Status')}, not available: it cannot be restored yet"]
            )
        source = found.get(KINDS[name].source_identifier_key) or snapshot
        return located(name, source, found)
    raise RefusedError([f"no DB snapshot or DB cluster snapshot named {snapshot} in the destination region"])


# ------------------------------------------------------------------------ the source's settings (best effort)


@dataclass
class SourceSettings:
    """What the source database looks like, when the source region answers."""

    answered: bool = False
    note: str = ""
    kind_found: str | None = None  # "DB instance" / "Aurora cluster" when it exists
    subnet_group: str | None = None
    security_group_names: list[str] = field(default_factory=list)
    instance_class: str | None = None
    option_group: str | None = None
    parameter_group: str | None = None  # the DB parameter group, or (Aurora) the cluster parameter group
    instance_parameter_group: str | None = None  # Aurora: the writer's DB parameter group
    port: int | None = None
    deletion_protection: bool | None = None


class SourceRegion:
    """Calls to the source region that never fail the command: the first time it does not answer, it is
    taken as down and not asked again."""

    def __init__(self, clients: Clients, region: str | None) -> None:
        self.clients = clients
        self.region = region
        self.down: str | None = None if clients.source_rds is not None else "not asked"

    def call(self, client: Any, operation: str, not_found: set[str], **params: Any) -> dict[str, Any] | None:
        if self.down or client is None:
            return None
        try:
            return getattr(client, operation)(**params)
        except ClientError as exc:
            if error_code(exc) in not_found:
                return {}
            self.down = f"{error_code(exc)}: {exc}"
        except BotoCoreError as exc:
            self.down = f"{type(exc).__name__}: {exc}"
        return None

    def exists(self, source: str) -> str | None:
        """'DB instance' or 'Aurora cluster' when the source is there; None when not or unknown."""
        rds = self.clients.source_rds
        found = self.call(rds, "describe_db_instances", {"DBInstanceNotFound"}, DBInstanceIdentifier=source)
        if found and found.get("DBInstances"):
            return "DB instance"
        found = self.call(rds, "describe_db_clusters", {"DBClusterNotFoundFault"}, DBClusterIdentifier=source)
        if found and found.get("DBClusters"):
            return "Aurora cluster"
        return None

    def settings(self, kind: str, source: str) -> SourceSettings:
        settings = SourceSettings()
        rds = self.clients.source_rds
        if kind == "db":
            answer = self.call(rds, "describe_db_instances", {"DBInstanceNotFound"}, DBInstanceIdentifier=source)
            instance = (answer or {}).get("DBInstances", [None])[0]
            if instance:
                settings.kind_found = "DB instance"
                settings.instance_class = instance.get("DBInstanceClass")
                settings.subnet_group = (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
                settings.option_group = next(
                    (g["OptionGroupName"] for g in instance.get("OptionGroupMemberships", [])), None
                )
                settings.parameter_group = next(
                    (g["DBParameterGroupName"] for g in instance.get("DBParameterGroups", [])), None
                )
                settings.port = (instance.get("Endpoint") or {}).get("Port") or instance.get("DbInstancePort")
                settings.deletion_protection = instance.get("DeletionProtection")
                group_ids = [g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", [])]
                settings.security_group_names = self.group_names(group_ids)
        else:
            answer = self.call(rds, "describe_db_clusters", {"DBClusterNotFoundFault"}, DBClusterIdentifier=source)
            cluster = (answer or {}).get("DBClusters", [None])[0]
            if cluster:
                settings.kind_found = "Aurora cluster"
                settings.subnet_group = cluster.get("DBSubnetGroup")
                settings.parameter_group = cluster.get("DBClusterParameterGroup")
                settings.port = cluster.get("Port")
                settings.deletion_protection = cluster.get("DeletionProtection")
                group_ids = [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])]
                settings.security_group_names = self.group_names(group_ids)
                writer = next(
                    (
                        m["DBInstanceIdentifier"]
                        for m in cluster.get("DBClusterMembers", [])
                        if m.get("IsClusterWriter")
                    ),
                    None,
                )
                if writer:
                    answer = self.call(
                        rds, "describe_db_instances", {"DBInstanceNotFound"}, DBInstanceIdentifier=writer
                    )
                    instance = (answer or {}).get("DBInstances", [None])[0]
                    if instance:
                        settings.instance_class = instance.get("DBInstanceClass")
                        settings.instance_parameter_group = next(
                            (g["DBParameterGroupName"] for g in instance.get("DBParameterGroups", [])), None
                        )
        settings.answered = self.down is None
        if self.down:
            settings.note = f"{self.region} did not answer ({self.down}): no defaults from the source"
        elif not settings.kind_found:
            settings.note = f"{source} no longer exists in {self.region}: no defaults from the source"
        return settings

    def group_names(self, group_ids: list[str]) -> list[str]:
        if not group_ids:
            return []
        answer = self.call(self.clients.source_ec2, "describe_security_groups", set(), GroupIds=group_ids)
        return [g["GroupName"] for g in (answer or {}).get("SecurityGroups", [])]


# ----------------------------------------------------------------------------------------------- planning


@dataclass
class Overrides:
    """What the operator gave on the command line (None: not given)."""

    db_subnet_group: str | None = None
    security_group_ids: list[str] | None = None
    instance_class: str | None = None
    kms_key_id: str | None = None
    option_group: str | None = None
    parameter_group: str | None = None
    instance_parameter_group: str | None = None
    port: int | None = None
    deletion_protection: bool | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Step:
    """One API call of the plan: the same parameters are shown, turned into a CLI command, and sent."""

    operation: str  # the API's name, e.g. RestoreDBInstanceFromDBSnapshot
    params: dict[str, Any]

    def cli(self, region: str) -> str:
        return cli_command(self.operation, self.params, region)


@dataclass
class Plan:
    located: Located
    source_region: str
    region: str
    target: str  # the DB instance, or the Aurora cluster
    writer: str | None  # Aurora: the writer instance
    engine: str
    engine_version: str | None
    instance_class: str | None
    steps: list[Step]
    origins: dict[str, str]  # setting -> where its value came from
    notes: list[str]

    @property
    def kind(self) -> str:
        return self.located.kind

    def as_json(self) -> dict[str, Any]:
        rp = self.located.recovery_point
        return {
            "kind": self.kind,
            "source": self.located.source,
            "source_region": self.source_region,
            "region": self.region,
            "snapshot": self.located.snapshot_arn,
            "recovery_point": rp.isoformat() if rp else None,
            "target": self.target,
            "writer": self.writer,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "instance_class": self.instance_class,
            "operations": [{"operation": s.operation, "parameters": s.params} for s in self.steps],
            "cli": [s.cli(self.region) for s in self.steps],
            "origins": self.origins,
            "notes": self.notes,
        }


def cli_command(operation: str, params: Mapping[str, Any], region: str) -> str:
    """The `aws rds ...` command that makes the same call, quoted for a POSIX shell."""
    words = ["aws", "rds", xform_name(operation, "-"), "--region", region]
    for name, value in params.items():
        option = xform_name(name, "-")
        if isinstance(value, bool):
            words.append(f"--{option}" if value else f"--no-{option}")
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            words += [f"--{option}", *value]
        elif isinstance(value, list | dict):
            words += [f"--{option}", json.dumps(value, separators=(",", ":"))]
        else:
            words += [f"--{option}", str(value)]
    return shlex.join(words)


def valid_database_identifier(identifier: str) -> bool:
    return (
        len(identifier) <= MAX_DATABASE_IDENTIFIER_LENGTH
        and _IDENTIFIER.fullmatch(identifier) is not None
        and "--" not in identifier
        and not identifier.endswith("-")
    )


def writer_name(target: str) -> str:
    return f"{target[: MAX_DATABASE_IDENTIFIER_LENGTH - len('-writer')].rstrip('-')}-writer"


def restore_tags(located: Located, source_region: str, extra: Mapping[str, str]) -> list[dict[str, str]]:
    """The copy's own tags (the source's, carried by the copier) without the copy tags, the operator's
    --tag values over them, and the restore's provenance over everything."""
    rp = located.recovery_point
    provenance = {
        TAG_RESTORED_BY: RESTORED_BY,
        TAG_RESTORED_FROM_REGION: source_region,
        TAG_RESTORED_FROM_SOURCE: located.source,
        TAG_RESTORED_FROM_SNAPSHOT: located.snapshot_arn[:256],
        TAG_RECOVERY_POINT: rp.astimezone(UTC).isoformat(timespec="seconds") if rp else "unknown",
    }
    carried = {
        t["Key"]: t.get("Value", "")
        for t in located.copy.get("TagList", [])
        if t["Key"] not in _COPY_TAG_KEYS and not t["Key"].lower().startswith(RESERVED_PREFIX)
    }
    merged = carried | dict(extra)
    for key in provenance:
        merged.pop(key, None)
    room = MAX_TAGS - len(provenance)
    merged = dict(list(merged.items())[:room]) | provenance
    return [{"Key": k, "Value": v} for k, v in merged.items()]


class _Planner:
    """Resolves every setting: the flag, else the source's (where the same thing exists in the destination),
    else the snapshot's; records where each came from and what is missing."""

    def __init__(self, clients: Clients, located: Located, source: SourceSettings, given: Overrides) -> None:
        self.clients = clients
        self.located = located
        self.source = source
        self.given = given
        self.origins: dict[str, str] = {}
        self.missing: list[str] = []
        self.problems: list[str] = []
        self.notes: list[str] = [source.note] if source.note else []
        self.vpc_id: str | None = None

    def _source_why(self, what: str, name: str | None) -> str:
        if not self.source.answered:
            return "the source region did not answer"
        if not self.source.kind_found:
            return "the source no longer exists"
        if name is None:
            return f"the source has no {what}"
        return f"the source's {what} {name!r} does not exist in the destination"

    def subnet_group(self) -> str | None:
        if self.given.db_subnet_group:
            group = self._describe_subnet_group(self.given.db_subnet_group)
            if group is None:
                self.problems.append(
                    f"DB subnet group {self.given.db_subnet_group!r} does not exist in the destination"
                )
                return None
            self.origins["DB subnet group"] = "--db-subnet-group"
            self.vpc_id = group.get("VpcId")
            return self.given.db_subnet_group
        name = self.source.subnet_group
        group = self._describe_subnet_group(name) if name else None
        if group is not None:
            self.origins["DB subnet group"] = "source (same name in the destination)"
            self.vpc_id = group.get("VpcId")
            return name
        self.missing.append(
            f"DB subnet group: --db-subnet-group NAME ({self._source_why('DB subnet group', name)}; "
            "'default' is the default VPC's)"
        )
        return None

    def _describe_subnet_group(self, name: str) -> dict[str, Any] | None:
        try:
            groups = self.clients.rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"]
        except ClientError as exc:
            if error_code(exc) == "DBSubnetGroupNotFoundFault":
                return None
            raise
        return groups[0] if groups else None

    def security_groups(self) -> list[str] | None:
        if self.given.security_group_ids:
            self.origins["VPC security groups"] = "--security-group-ids"
            return self.given.security_group_ids
        names = self.source.security_group_names
        if names and self.vpc_id:
            answer = self.clients.ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}, {"Name": "group-name", "Values": names}]
            )["SecurityGroups"]
            by_name = {g["GroupName"]: g["GroupId"] for g in answer}
            absent = [n for n in names if n not in by_name]
            if not absent:
                self.origins["VPC security groups"] = f"source (same names in {self.vpc_id})"
                return [by_name[n] for n in names]
            why = f"the source's security groups {', '.join(absent)} do not exist in {self.vpc_id}"
        elif names:
            why = "their VPC is unknown until the DB subnet group is"
        else:
            why = self._source_why("security groups", None)
        self.missing.append(f"VPC security groups: --security-group-ids sg-... [sg-...] ({why})")
        return None

    def instance_class(self) -> str | None:
        if self.given.instance_class:
            self.origins["instance class"] = "--instance-class"
            return self.given.instance_class
        if self.source.instance_class:
            self.origins["instance class"] = "source"
            return self.source.instance_class
        what = "writer instance" if self.located.kind == "cluster" else "instance"
        self.missing.append(f"instance class: --instance-class db.CLASS ({self._source_why(what, None)})")
        return None

    def option_group(self) -> str | None:
        if self.given.option_group:
            if not self._exists("describe_option_groups", "OptionGroupName", self.given.option_group):
                self.problems.append(f"option group {self.given.option_group!r} does not exist in the destination")
            self.origins["option group"] = "--option-group"
            return self.given.option_group
        # The copier copies a DB snapshot with the destination's option group where one is configured, so
        # the copy names the group it needs there; the source's is the second choice.
        for origin, name in (
            ("snapshot", self.located.copy.get("OptionGroupName")),
            ("source", self.source.option_group),
        ):
            if name and not name.startswith("default:"):
                if self._exists("describe_option_groups", "OptionGroupName", name):
                    self.origins["option group"] = f"{origin} (same name in the destination)"
                    return name
                self.missing.append(
                    f"option group: --option-group NAME (the {origin}'s option group {name!r} does not exist in "
                    "the destination)"
                )
                return None
        self.origins["option group"] = "RDS default for the engine"
        return None

    def parameter_group(self, cluster_level: bool, given: str | None, source_name: str | None, flag: str) -> str | None:
        operation, param = (
            ("describe_db_cluster_parameter_groups", "DBClusterParameterGroupName")
            if cluster_level
            else ("describe_db_parameter_groups", "DBParameterGroupName")
        )
        label = "DB cluster parameter group" if cluster_level else "DB parameter group"
        if given:
            if not self._exists(operation, param, given):
                self.problems.append(f"{label} {given!r} does not exist in the destination")
            self.origins[label] = flag
            return given
        if source_name and not source_name.startswith("default."):
            if self._exists(operation, param, source_name):
                self.origins[label] = "source (same name in the destination)"
                return source_name
            self.missing.append(
                f"{label}: {flag} NAME (the source's {source_name!r} does not exist in the destination)"
            )
            return None
        self.origins[label] = "RDS default for the engine version"
        return None

    def _exists(self, operation: str, param: str, name: str) -> bool:
        try:
            answer = getattr(self.clients.rds, operation)(**{param: name})
        except ClientError as exc:
            if "NotFound" in error_code(exc):
                return False
            raise
        return any(v for k, v in answer.items() if k != "ResponseMetadata" and isinstance(v, list))

    def port(self) -> int | None:
        if self.given.port is not None:
            self.origins["port"] = "--port"
            return self.given.port
        if self.source.port:
            self.origins["port"] = "source"
            return int(self.source.port)
        if self.located.copy.get("Port"):
            self.origins["port"] = "snapshot"
            return int(self.located.copy["Port"])
        return None

    def deletion_protection(self) -> bool:
        if self.given.deletion_protection is not None:
            self.origins["deletion protection"] = (
                "--deletion-protection" if self.given.deletion_protection else ("--no-deletion-protection")
            )
            return self.given.deletion_protection
        self.origins["deletion protection"] = "on: a restored database is the production one now"
        return True


def build_plan(
    clients: Clients,
    located: Located,
    source_region: str,
    region: str,
    target: str,
    source: SourceSettings,
    given: Overrides,
    writer: str | None = None,
) -> Plan:
    """Every parameter resolved and every check made; raises RefusedError naming every problem."""
    planner = _Planner(clients, located, source, given)
    problems = planner.problems
    kind = located.kind
    copy = located.copy
    engine = str(copy.get("Engine") or "")
    engine_version = copy.get("EngineVersion")
    if not valid_database_identifier(target):
        problems.append(
            f"target name {target!r} is not a valid identifier: 1-{MAX_DATABASE_IDENTIFIER_LENGTH} letters, digits "
            "and hyphens, starting with a letter, no '--', no trailing hyphen"
        )
    if kind == "cluster":
        writer = writer or writer_name(target)
        if not valid_database_identifier(writer):
            problems.append(f"writer name {writer!r} is not a valid identifier")
        if given.option_group:
            problems.append("--option-group applies to DB instances only (Aurora clusters take none)")
    else:
        writer = None
        if given.kms_key_id:
            problems.append(
                "--kms-key-id applies to Aurora clusters only: a DB instance is restored with its snapshot's key"
            )
        if given.instance_parameter_group:
            problems.append("--instance-parameter-group applies to Aurora writers only (use --parameter-group)")

    subnet_group = planner.subnet_group()
    security_groups = planner.security_groups()
    instance_class = planner.instance_class()
    port = planner.port()
    deletion_protection = planner.deletion_protection()
    tags = restore_tags(located, source_region, given.tags)
    common: dict[str, Any] = {}
    if subnet_group:
        common["DBSubnetGroupName"] = subnet_group
    if security_groups:
        common["VpcSecurityGroupIds"] = security_groups
    if port:
        common["Port"] = port

    steps: list[Step] = []
    if kind == "db":
        option_group = planner.option_group()
        parameter_group = planner.parameter_group(
            False, given.parameter_group, source.parameter_group, "--parameter-group"
        )
        params: dict[str, Any] = {
            "DBInstanceIdentifier": target,
            "DBSnapshotIdentifier": located.snapshot_identifier,
            **({"DBInstanceClass": instance_class} if instance_class else {}),
            **common,
            **({"OptionGroupName": option_group} if option_group else {}),
            **({"DBParameterGroupName": parameter_group} if parameter_group else {}),
            "DeletionProtection": deletion_protection,
            "Tags": tags,
        }
        steps.append(Step("RestoreDBInstanceFromDBSnapshot", params))
        planner.origins["engine version"] = "snapshot (a DB instance restore keeps it)"
    else:
        cluster_group = planner.parameter_group(
            True, given.parameter_group, source.parameter_group, "--parameter-group"
        )
        writer_group = planner.parameter_group(
            False, given.instance_parameter_group, source.instance_parameter_group, "--instance-parameter-group"
        )
        kms_key = given.kms_key_id
        planner.origins["KMS key"] = "--kms-key-id" if kms_key else "the copy's key"
        cluster_params: dict[str, Any] = {
            "DBClusterIdentifier": target,
            # The identifier, not the ARN: the copy is in this region (and moto takes only identifiers here).
            "SnapshotIdentifier": located.snapshot_identifier,
            "Engine": engine,
            **({"EngineVersion": engine_version} if engine_version else {}),
            **common,
            **({"KmsKeyId": kms_key} if kms_key else {}),
            **({"DBClusterParameterGroupName": cluster_group} if cluster_group else {}),
            "DeletionProtection": deletion_protection,
            "Tags": tags,
        }
        writer_params: dict[str, Any] = {
            "DBInstanceIdentifier": writer,
            "DBClusterIdentifier": target,
            "Engine": engine,
            **({"DBInstanceClass": instance_class} if instance_class else {}),
            **({"DBParameterGroupName": writer_group} if writer_group else {}),
            "Tags": tags,
        }
        steps += [Step("RestoreDBClusterFromSnapshot", cluster_params), Step("CreateDBInstance", writer_params)]
        planner.origins["engine version"] = "snapshot"
    planner.origins["engine"] = "snapshot"

    if planner.missing:
        problems.append("missing inputs (give them with these flags):\n  - " + "\n  - ".join(planner.missing))
    if not problems:
        problems += check_target_free(clients.rds, kind, target, writer)
        problems += check_keys(clients.kms, located, given.kms_key_id)
        if instance_class:
            problems += check_class_offered(clients.rds, engine, engine_version, instance_class, region, planner.notes)
    if problems:
        raise RefusedError(problems)
    return Plan(
        located=located,
        source_region=source_region,
        region=region,
        target=target,
        writer=writer,
        engine=engine,
        engine_version=engine_version,
        instance_class=instance_class,
        steps=steps,
        origins=planner.origins,
        notes=planner.notes,
    )


def instance_exists(rds: Any, identifier: str) -> bool:
    try:
        return bool(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"])
    except ClientError as exc:
        if error_code(exc) == "DBInstanceNotFound":
            return False
        raise


def cluster_exists(rds: Any, identifier: str) -> bool:
    try:
        return bool(rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"])
    except ClientError as exc:
        if error_code(exc) == "DBClusterNotFoundFault":
            return False
        raise


def check_target_free(rds: Any, kind: str, target: str, writer: str | None) -> list[str]:
    taken = []
    if kind == "cluster" and cluster_exists(rds, target):
        taken.append(f"target name {target!r} is taken: a DB cluster of that name exists (choose another: --target)")
    if kind == "db" and instance_exists(rds, target):
        taken.append(f"target name {target!r} is taken: a DB instance of that name exists (choose another: --target)")
    if writer and instance_exists(rds, writer):
        taken.append(f"writer name {writer!r} is taken: a DB instance of that name exists (--writer)")
    return taken


def check_keys(kms: Any, located: Located, override: str | None) -> list[str]:
    """RDS would accept the restore and fail it minutes later on an unusable key: check first."""
    keys = [("the copy's KMS key", located.copy.get("KmsKeyId"))]
    if override:
        keys.append(("--kms-key-id", override))
    problems = []
    for what, key in keys:
        if not key:
            continue
        try:
            metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
        except ClientError as exc:
            if error_code(exc) == "NotFoundException":
                problems.append(f"{what} {key} does not exist in the destination region")
                continue
            raise
        state = metadata.get("KeyState")
        if state != USABLE_KEY_STATE:
            when = metadata.get("DeletionDate")
            problems.append(
                f"{what} {key} is {state}"
                + (f" (deleted on {when:%Y-%m-%d})" if isinstance(when, datetime) else "")
                + ": RDS cannot restore with it; re-enable it (or cancel its deletion) first"
            )
    return problems


def check_class_offered(
    rds: Any, engine: str, engine_version: str | None, instance_class: str, region: str, notes: list[str]
) -> list[str]:
    """Is `instance_class` orderable for this engine version in the destination? When the region lists no
    option at all for the engine version, it is not known here (a note; RDS will say)."""
    base = {"Engine": engine, **({"EngineVersion": engine_version} if engine_version else {})}
    if _orderable(rds, {**base, "DBInstanceClass": instance_class}, instance_class):
        return []
    if not _orderable(rds, base, None):
        notes.append(f"{region} lists no orderable options for {engine} {engine_version}: {instance_class} not checked")
        return []
    return [
        f"instance class {instance_class} is not offered for {engine} {engine_version} in {region}: "
        "choose another with --instance-class"
    ]


def _orderable(rds: Any, params: dict[str, Any], instance_class: str | None) -> bool:
    marker = None
    while True:
        page = rds.describe_orderable_db_instance_options(
            **params, MaxRecords=100, **({"Marker": marker} if marker else {})
        )
        for option in page.get("OrderableDBInstanceOptions", []):
            if instance_class is None or option.get("DBInstanceClass") == instance_class:
                return True
        marker = page.get("Marker")
        if not marker:
            return False


# ------------------------------------------------------------------------------------ running and waiting


@dataclass
class Created:
    """What a restore created, registered *before* the call that creates it (so an interruption between
    the request and its answer still leaves a record to clean up)."""

    resources: list[tuple[str, str]] = field(default_factory=list)  # ("instance" | "cluster", identifier)

    def add(self, kind: str, identifier: str) -> None:
        if (kind, identifier) not in self.resources:
            self.resources.append((kind, identifier))

    def remove(self, kind: str, identifier: str) -> None:
        if (kind, identifier) in self.resources:
            self.resources.remove((kind, identifier))


@dataclass
class Job:
    """One restore on its way to available: the plan's calls, then polling."""

    plan: Plan
    requested_at: float | None = None  # clock() just before the first call
    usable_at: float | None = None  # first seen in USABLE_STATUSES (every resource of the restore)
    available_at: float | None = None
    status: str = "planned"
    error: str | None = None
    final: dict[str, Any] = field(default_factory=dict)  # the last description of each resource

    @property
    def done(self) -> bool:
        return self.available_at is not None or self.error is not None

    @property
    def rto_seconds(self) -> float | None:
        if self.requested_at is None or self.available_at is None:
            return None
        return self.available_at - self.requested_at

    @property
    def usable_seconds(self) -> float | None:
        if self.requested_at is None or self.usable_at is None:
            return None
        return self.usable_at - self.requested_at

    def start(self, rds: Any, created: Created, clock: Callable[[], float]) -> None:
        self.requested_at = clock()
        for step in self.plan.steps:
            kind = "cluster" if step.operation == "RestoreDBClusterFromSnapshot" else "instance"
            identifier = step.params["DBClusterIdentifier" if kind == "cluster" else "DBInstanceIdentifier"]
            created.add(kind, identifier)
            try:
                getattr(rds, xform_name(step.operation))(**step.params)
            except ClientError as exc:
                # AWS answered with an error: this call created nothing, so there is nothing of ours to
                # delete. A name taken is someone else's (another drill started in the same second, say)
                # unless proven otherwise, and it is never deleted on a guess.
                created.remove(kind, identifier)
                self.error = explain(exc, step, self.plan)
                if error_code(exc) in _ALREADY_EXISTS and carries_tags(rds, kind, identifier, step.params):
                    noun = "db-cluster" if kind == "cluster" else "db-instance"
                    self.error += (
                        f" ({identifier} carries every tag of this request: if botocore's retry of this very call "
                        f"made it, delete it with: aws rds delete-{noun} --region {self.plan.region} "
                        f"--{noun}-identifier {identifier} --skip-final-snapshot)"
                    )
                self.status = "failed"
                return
        self.status = "requested"

    def poll(self, rds: Any, clock: Callable[[], float]) -> None:
        if self.done:
            return
        statuses = []
        if self.plan.kind == "cluster":
            cluster = rds.describe_db_clusters(DBClusterIdentifier=self.plan.target)["DBClusters"][0]
            self.final["cluster"] = cluster
            statuses.append(("cluster", cluster.get("Status", "?")))
        instance_id = self.plan.writer or self.plan.target
        instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
        self.final["instance"] = instance
        statuses.append(("writer" if self.plan.writer else "instance", instance.get("DBInstanceStatus", "?")))
        self.status = (
            ", ".join(f"{what} {status}" for what, status in statuses) if len(statuses) > 1 else statuses[0][1]
        )
        bad = [f"{what} is {status}" for what, status in statuses if status in FAILED_STATUSES]
        if self.usable_at is None and not bad and all(status in USABLE_STATUSES for _, status in statuses):
            self.usable_at = clock()
        if bad:
            self.error = f"restore failed: {', '.join(bad)} (see the RDS events of {self.plan.target})"
        elif all(status == "available" for _, status in statuses):
            self.available_at = clock()
            self.status = "available"

    def endpoint(self) -> dict[str, Any]:
        instance = self.final.get("instance", {})
        cluster = self.final.get("cluster")
        if cluster:
            return {
                "writer_endpoint": cluster.get("Endpoint"),
                "reader_endpoint": cluster.get("ReaderEndpoint"),
                "port": cluster.get("Port"),
            }
        address = instance.get("Endpoint") or {}
        return {"endpoint": address.get("Address"), "port": address.get("Port")}


def carries_tags(rds: Any, kind: str, identifier: str, params: Mapping[str, Any]) -> bool:
    """Does the database of that name exist with every tag the create asked for?"""
    try:
        if kind == "cluster":
            found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        else:
            found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except (ClientError, BotoCoreError):
        return False
    have = {t["Key"]: t.get("Value") for t in (found[0].get("TagList") or [])} if found else {}
    return bool(found) and all(have.get(t["Key"]) == t["Value"] for t in params.get("Tags", []))


def explain(exc: ClientError, step: Step, plan: Plan) -> str:
    code = error_code(exc)
    advice = ERROR_ADVICE.get(code)
    message = f"{step.operation} failed: {code}: {exc.response.get('Error', {}).get('Message', '')}".rstrip(": ")
    if advice:
        message += " — " + advice.format(region=plan.region, instance_class=plan.instance_class or "the class")
    if step.operation == "CreateDBInstance":
        message += f" (the cluster {plan.target} was restored; create its writer with: {step.cli(plan.region)})"
    return message


def wait(
    jobs: list[Job],
    rds: Any,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float,
    timeout_seconds: float,
    console: Console,
) -> None:
    """Poll every job until it is available or failed, with one progress line each; raises TimeoutError."""
    started = clock()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {id(job): progress.add_task(job.plan.target, total=1, status=job.status) for job in jobs}
        while True:
            for job in jobs:
                job.poll(rds, clock)
                progress.update(tasks[id(job)], status=job.error or job.status, completed=1 if job.done else 0)
            if all(job.done for job in jobs):
                return
            if clock() - started > timeout_seconds:
                raise TimeoutError(
                    f"not available after {timeout_seconds:.0f} s: "
                    + ", ".join(f"{j.plan.target} ({j.status})" for j in jobs if not j.done)
                )
            sleep(poll_seconds)


# ---------------------------------------------------------------------------------------------- the command


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments restore and drill share: whose copies, and the overrides of the restored database's
    settings."""
    deployment.add_identity_arguments(parser)
    parser.add_argument("--kind", choices=sorted(KINDS), help="db or cluster, when a name is both")
    parser.add_argument("--db-subnet-group", help="DB subnet group (default: the source's, if it exists here)")
    parser.add_argument(
        "--security-group-ids",
        nargs="+",
        metavar="SG",
        help="VPC security group IDs (default: the source's groups by name, in the subnet group's VPC)",
    )
    parser.add_argument("--instance-class", help="instance class (default: the source's; Aurora: its writer's)")
    parser.add_argument("--kms-key-id", help="Aurora only: the key for the restored cluster (default: the copy's)")
    parser.add_argument("--option-group", help="DB instances only: option group (default: the copy's/source's)")
    parser.add_argument(
        "--parameter-group",
        help="DB parameter group, or for Aurora the DB cluster parameter group (default: the source's)",
    )
    parser.add_argument("--instance-parameter-group", help="Aurora only: the writer's DB parameter group")
    parser.add_argument(
        "--port",
        type=deployment.number_type("a port number", MAX_PORT, whole=True),
        metavar="PORT",
        help="port (default: the source's, else the snapshot's)",
    )
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="extra tag (repeatable)")
    parser.add_argument(
        "--poll-seconds",
        type=deployment.number_type("a number of seconds", MAX_POLL_SECONDS),
        metavar="SECONDS",
        default=30.0,
        help=f"seconds between status checks (%(default)s; at most {MAX_POLL_SECONDS:g})",
    )
    parser.add_argument(
        "--timeout-seconds",
        type=deployment.number_type("a number of seconds", MAX_TIMEOUT_SECONDS),
        metavar="SECONDS",
        default=6 * 3600.0,
        help="give up waiting after this long (%(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (progress goes to stderr)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", help="the source DB instance or Aurora cluster identifier")
    parser.add_argument("--snapshot", help="restore this copy (identifier or ARN) instead of the newest")
    parser.add_argument("--target", help="the restored database's identifier (default: the source's)")
    parser.add_argument("--writer", help="Aurora: the writer instance's identifier (default: TARGET-writer)")
    add_common_arguments(parser)
    protection = parser.add_mutually_exclusive_group()
    protection.add_argument("--deletion-protection", dest="deletion_protection", action="store_true", default=None)
    protection.add_argument(
        "--no-deletion-protection",
        dest="deletion_protection",
        action="store_false",
        help="deletion protection of the restored database (default: on)",
    )
    parser.add_argument("--apply", action="store_true", help="restore (without it: print the plan only)")


def parse_tags(values: Iterable[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise RefusedError([f"--tag {value!r}: expected KEY=VALUE"])
        if key.lower().startswith(RESERVED_PREFIX):
            raise RefusedError([f"--tag {value!r}: keys starting with {RESERVED_PREFIX!r} are AWS's"])
        if key in RESTORE_TAG_KEYS or key in _COPY_TAG_KEYS:
            raise RefusedError([f"--tag {value!r}: {key} is set by the restore itself"])
        tags[key] = text
    return tags


def overrides_from(args: argparse.Namespace) -> Overrides:
    return Overrides(
        db_subnet_group=args.db_subnet_group,
        security_group_ids=args.security_group_ids,
        instance_class=args.instance_class,
        kms_key_id=args.kms_key_id,
        option_group=args.option_group,
        parameter_group=args.parameter_group,
        instance_parameter_group=args.instance_parameter_group,
        port=args.port,
        deletion_protection=getattr(args, "deletion_protection", None),
        tags=parse_tags(args.tag),
    )


def resolve(args: argparse.Namespace, session: Any = None) -> deployment.Identity:
    """The deployment's identity (--function or the flags); its regions are set on `args` (source_region and
    region, the destination). Raises RefusedError naming what is missing or contradictory."""
    try:
        found = deployment.identity(
            getattr(args, "function", None), args.source_region, args.region, getattr(args, "deployment", None), session
        )
    except deployment.DeploymentError as exc:
        raise RefusedError([str(exc)]) from None
    args.source_region, args.region = found.source_region, found.destination_region
    return found


def plan_restore(args: argparse.Namespace, clients: Clients, owner: Owner) -> Plan:
    if not args.source and not args.snapshot:
        raise RefusedError(["name the source database (positional) or a copy (--snapshot)"])
    given = overrides_from(args)
    source_region = SourceRegion(clients, args.source_region)
    if args.snapshot:
        chosen = locate_snapshot(clients, args.snapshot, args.kind)
        if args.source and args.source != chosen.source:
            raise RefusedError([f"--snapshot {args.snapshot} is a copy of {chosen.source}, not of {args.source}"])
    else:
        chosen = locate(clients, args.source, owner, args.kind, source_region.exists)
    settings = source_region.settings(chosen.kind, chosen.source)
    plan = build_plan(
        clients,
        chosen,
        args.source_region,
        args.region,
        args.target or chosen.source,
        settings,
        given,
        writer=args.writer,
    )
    verdict = classify(chosen.copy, chosen.kind, owner)
    if verdict != OURS:
        # Named by the operator: restored as asked, and said plainly whose it is.
        whose = "a 0.4.x copy without a deployment tag" if verdict == LEGACY else "not a copy this deployment made"
        plan.notes.append(f"{chosen.snapshot_identifier} is {whose} (deployment {owner.deployment}); restored as named")
    return plan


def print_plan(plan: Plan, console: Console) -> None:
    rp = plan.located.recovery_point
    console.print(
        f"[bold]{'Aurora cluster' if plan.kind == 'cluster' else 'DB instance'} {plan.located.source}[/bold] "
        f"({plan.source_region}) -> [bold]{plan.target}[/bold] in {plan.region}"
    )
    console.print(f"  copy:           {plan.located.snapshot_arn}")
    console.print(f"  recovery point: {rp.isoformat() if rp else 'unknown'}")
    console.print(f"  engine:         {plan.engine} {plan.engine_version or ''}")
    table = Table("setting", "from", box=None, pad_edge=False)
    for setting, origin in plan.origins.items():
        table.add_row(setting, origin)
    console.print(table)
    for note in plan.notes:
        console.print(f"  note: {note}")
    for step in plan.steps:
        console.print(f"\n[bold]{step.operation}[/bold]")
        console.print_json(json.dumps(step.params, default=str))
        console.print(step.cli(plan.region), soft_wrap=True, markup=False, highlight=False)


def refused(stderr: Console, exc: RefusedError, unchanged: str) -> int:
    """Every problem, one line each, then what was left alone: exit 2."""
    for problem in exc.problems:
        stderr.print(f"refused: {problem}", markup=False, highlight=False)
    stderr.print(unchanged, markup=False, highlight=False)
    return 2


def aws_failed(stderr: Console, exc: Exception, doing: str) -> int:
    stderr.print(f"AWS error while {doing}: {exc}", markup=False, highlight=False)
    return 1


def run(
    args: argparse.Namespace,
    clients: Clients | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    out: Any = None,
    err: Any = None,
) -> int:
    """0: planned or restored; 2: bad input or refused (nothing changed); 1: an AWS failure."""
    stdout = Console(file=out or sys.stdout, soft_wrap=True)
    stderr = Console(file=err or sys.stderr, soft_wrap=True)
    try:
        owner = resolve(args).owner
        clients = clients or make_clients(args.region, args.source_region)
        plan = plan_restore(args, clients, owner)
    except RefusedError as exc:
        return refused(stderr, exc, "nothing was changed")
    except (ClientError, BotoCoreError) as exc:
        return aws_failed(stderr, exc, "planning")
    if not args.apply:
        if args.json:
            print(
                json.dumps({"applied": False, "deployment": owner.deployment, **plan.as_json()}, default=str),
                file=stdout.file,
            )
        else:
            print_plan(plan, stdout)
            stdout.print("\n(dry run: nothing was changed; add --apply to restore)", markup=False, highlight=False)
        return 0
    if not args.json:
        print_plan(plan, stdout)
    job = Job(plan)
    try:
        job.start(clients.rds, Created(), clock)
        if not job.error:
            wait(
                [job],
                clients.rds,
                clock,
                sleep,
                args.poll_seconds,
                args.timeout_seconds,
                stderr if args.json else stdout,
            )
    except KeyboardInterrupt:
        noun = "db-cluster" if plan.kind == "cluster" else "db-instance"
        stderr.print(
            f"interrupted: the restore of {plan.target} continues in AWS; wait for it with: "
            f"aws rds wait {noun}-available --region {plan.region} --{noun}-identifier {plan.target}",
            markup=False,
            highlight=False,
        )
        return 1
    except TimeoutError as exc:
        stderr.print(f"{exc}; the restore continues in AWS", markup=False, highlight=False)
        return 1
    except (ClientError, BotoCoreError) as exc:
        stderr.print(f"AWS error while waiting: {exc}", markup=False, highlight=False)
        return 1
    result = {
        "applied": True,
        "deployment": owner.deployment,
        **plan.as_json(),
        "status": "available" if not job.error else "failed",
        "error": job.error,
        "elapsed_seconds": round(job.rto_seconds, 1) if job.rto_seconds is not None else None,
        "usable_seconds": round(job.usable_seconds, 1) if job.usable_seconds is not None else None,
        **job.endpoint(),
    }
    if args.json:
        print(json.dumps(result, default=str), file=stdout.file)
    elif job.error:
        stderr.print(job.error, markup=False, highlight=False)
    else:
        where = job.endpoint()
        address = where.get("writer_endpoint") or where.get("endpoint")
        stdout.print(
            f"\n{plan.target} is available at {address}:{where.get('port')} "
            f"after {result['elapsed_seconds']} s"
            + (f" (reader endpoint {where.get('reader_endpoint')})" if where.get("reader_endpoint") else ""),
            markup=False,
            highlight=False,
        )
    return 1 if job.error else 0
