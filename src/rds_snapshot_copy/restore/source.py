"""What the source database looks like, read from the source region, best effort: that region may be the
reason for the restore, so every call there is one try with short timeouts (aws.SOURCE_REGION_CONFIG), and
the first that does not answer marks the region down: the command goes on without its defaults.

A copy whose source is in another account (a vault, backup-account mode: sources.source_account of the copy
is not the caller's account) is not looked up at all: the caller's credentials would read the caller's own
account in the source region, where a database of the same name is at best someone else's (settings_for)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rds_snapshot_copy.restore.aws import Clients, caller_account, error_code
from rds_snapshot_copy.restore.copies import Located
from rds_snapshot_copy.restore.plan import Overrides
from snapshot_copy.tagging import arn_account

# The settings that have no default but the source's, and the flags that give them.
NO_DEFAULT_FLAGS = (
    ("db_subnet_group", "--db-subnet-group"),
    ("security_group_ids", "--security-group-ids"),
    ("instance_class", "--instance-class"),
)


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
    account: str | None = None  # the source's account when it is not the caller's: nothing was read from it


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


def in_another_account(clients: Clients, account: str | None, copy_arn: str | None = None) -> bool:
    """Whether `account` (a source's) is not the caller's (backup-account mode). The caller's account is STS's
    answer, else the account of `copy_arn` (a copy in the destination: the caller listed it); unknown: False."""
    own = caller_account(clients) or arn_account(copy_arn)
    return bool(account and own and account != own)


def source_elsewhere(clients: Clients, chosen: Located) -> str | None:
    """The source's account of `chosen` when it is not the caller's (backup-account mode), else None."""
    return chosen.account if in_another_account(clients, chosen.account, chosen.snapshot_arn) else None


def settings_for(clients: Clients, region: SourceRegion, chosen: Located, given: Overrides) -> SourceSettings:
    """The source's settings for the restore of `chosen`: read from the source region, or (the source is in
    another account) none, with a note naming the flags still to give."""
    account = source_elsewhere(clients, chosen)
    if account is None:
        return region.settings(chosen.kind, chosen.source)
    note = f"the source is in account {account} (backup-account mode): no defaults from it"
    missing = [flag for setting, flag in NO_DEFAULT_FLAGS if not getattr(given, setting)]
    if missing:
        note += f"; give {', '.join(missing)}"
    return SourceSettings(note=note, account=account)
