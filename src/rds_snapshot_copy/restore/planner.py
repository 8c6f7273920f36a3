"""The planner: every setting of the restored database resolved (the flag, else the source's where the same
thing exists in the destination, else the snapshot's), with where each came from, and every check made
before anything is changed (checks.py); what is missing is named with the flag that gives it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from rds_snapshot_copy.restore.aws import Clients, RefusedError, error_code
from rds_snapshot_copy.restore.checks import check_class_offered, check_keys, check_target_free
from rds_snapshot_copy.restore.copies import Located
from rds_snapshot_copy.restore.plan import (
    MAX_DATABASE_IDENTIFIER_LENGTH,
    Overrides,
    Plan,
    Step,
    restore_tags,
    valid_database_identifier,
    writer_name,
)
from rds_snapshot_copy.restore.source import SourceSettings


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
        if self.source.account:
            return f"the source is in account {self.source.account} (backup-account mode): not read"
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
