"""What the source database looks like, read from the source region, best effort: that region may be the
reason for the restore, so every call there is one try with short timeouts (aws.SOURCE_REGION_CONFIG), and
the first that does not answer marks the region down: the command goes on without its defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rds_snapshot_copy.restore.aws import Clients, error_code


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
