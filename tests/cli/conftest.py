"""Fixtures for the restore, drill and adopt commands: a source region (us-east-1) with a DB instance and an
Aurora cluster in a VPC, and a destination (us-west-2) with a same-named DB subnet group and security group,
the copies' KMS key and copies made the way the copier makes them (its identifier, its tags with this
deployment's name and the source's data time, the destination key), or the way 0.4.x made them (no
deployment tag), or by someone else."""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from rds_snapshot_copy import adopt, drill, restore
from snapshot_copy.config import DEFAULT_DEPLOYMENT_NAME
from snapshot_copy.naming import target_identifier
from snapshot_copy.snapshot_time import data_time
from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_TIME, copy_tags
from tests.iam.recording import calls_of
from tests.unit.harness import ACCOUNT, DESTINATION_REGION, SOURCE_REGION, backdate_source

SUBNET_GROUP = "prod-db"
SECURITY_GROUP = "app-db"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused at once
DEPLOYMENT = DEFAULT_DEPLOYMENT_NAME  # whose copies the commands look for unless told otherwise
FUNCTION = f"{DEPLOYMENT}-reconcile"
LEGACY = None  # World.copy(deployment=LEGACY): a copy as 0.4.x made it


@dataclass
class Run:
    code: int
    out: str
    err: str


class Routed:
    """A client that sends the named operations to a Stubber-driven client and everything else to moto:
    the errors moto cannot produce, without stubbing every other call."""

    def __init__(self, moto_client: Any, stubbed: Any, operations: set[str]) -> None:
        self._moto = moto_client
        self._stubbed = stubbed
        self._operations = operations

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stubbed if name in self._operations else self._moto, name)


class Slow:
    """moto makes databases available at once; this reports DB instances in `status` (`creating`,
    `backing-up`, ...) until it is set to None."""

    def __init__(self, rds: Any) -> None:
        self._rds = rds
        self.status: str | None = "creating"

    @property
    def creating(self) -> bool:
        return self.status == "creating"

    @creating.setter
    def creating(self, value: bool) -> None:
        self.status = "creating" if value else None

    def describe_db_instances(self, **params: Any) -> dict[str, Any]:
        answer = self._rds.describe_db_instances(**params)
        if self.status:
            for instance in answer["DBInstances"]:
                instance["DBInstanceStatus"] = self.status
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rds, name)


# The delete operations the operator's policy conditions on a tag, and how to read a database's tags.
_DELETES = {
    "delete_db_instance": ("describe_db_instances", "DBInstanceIdentifier", "DBInstances"),
    "delete_db_cluster": ("describe_db_clusters", "DBClusterIdentifier", "DBClusters"),
}


class TagConditioned:
    """The operator policy's condition on deletes, which moto does not enforce: a delete of a database that
    does not carry `tag_key` goes to a Stubber that answers AccessDenied, as AWS would. A database that does
    not exist has no tags, so deleting it is denied too (not DBInstanceNotFound)."""

    def __init__(self, rds: Any, stubbed: dict[str, Any], tag_key: str) -> None:
        self._rds = rds
        self._stubbed = stubbed
        self._tag_key = tag_key
        self.denied: list[tuple[str, dict[str, Any]]] = []

    def _tagged(self, operation: str, params: dict[str, Any]) -> bool:
        describe, key, answer = _DELETES[operation]
        try:
            found = getattr(self._rds, describe)(**{key: params[key]})[answer]
        except ClientError:
            return False
        return any(t["Key"] == self._tag_key for t in (found[0].get("TagList") or [])) if found else False

    def __getattr__(self, name: str) -> Any:
        if name not in self._stubbed:
            return getattr(self._rds, name)

        def delete(**params: Any) -> Any:
            if self._tagged(name, params):
                return getattr(self._rds, name)(**params)
            self.denied.append((name, params))
            return getattr(self._stubbed[name], name)(**params)

        return delete


@dataclass
class World:
    source_rds: Any
    source_ec2: Any
    rds: Any
    ec2: Any
    kms: Any
    cloudwatch: Any
    key_arn: str
    source_vpc: str = ""
    vpc: str = ""
    security_group_id: str = ""
    stubbers: list[Stubber] = field(default_factory=list)

    # -- network
    def network(self) -> None:
        for ec2, rds, region, attr in (
            (self.source_ec2, self.source_rds, SOURCE_REGION, "source_vpc"),
            (self.ec2, self.rds, DESTINATION_REGION, "vpc"),
        ):
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnets = [
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"][
                    "SubnetId"
                ]
                for i, az in ((1, "a"), (2, "b"))
            ]
            rds.create_db_subnet_group(
                DBSubnetGroupName=SUBNET_GROUP, DBSubnetGroupDescription="databases", SubnetIds=subnets
            )
            group = ec2.create_security_group(GroupName=SECURITY_GROUP, Description="db", VpcId=vpc)["GroupId"]
            setattr(self, attr, vpc)
            if attr == "vpc":
                self.security_group_id = group
            else:
                self.source_security_group_id = group

    # -- sources
    def instance(self, name: str = "orders", instance_class: str = "db.t3.small", **extra: Any) -> None:
        self.source_rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass=instance_class,
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password",
            DBSubnetGroupName=SUBNET_GROUP,
            VpcSecurityGroupIds=[self.source_security_group_id],
            **extra,
        )

    def cluster(self, name: str = "ledger", writer_class: str = "db.r6g.large", **extra: Any) -> None:
        self.source_rds.create_db_cluster(
            DBClusterIdentifier=name,
            Engine="aurora-postgresql",
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password",
            DBSubnetGroupName=SUBNET_GROUP,
            VpcSecurityGroupIds=[self.source_security_group_id],
            **extra,
        )
        self.source_rds.create_db_instance(
            DBInstanceIdentifier=f"{name}-1",
            DBClusterIdentifier=name,
            DBInstanceClass=writer_class,
            Engine="aurora-postgresql",
        )

    # -- copies, as the copier makes them
    def copy(
        self,
        kind: str,
        source: str,
        snapshot: str,
        tags: dict[str, str] | None = None,
        deployment: str | None = DEPLOYMENT,
        identifier: str | None = None,
        hours_old: float | None = None,
    ) -> dict[str, Any]:
        """A source snapshot (taken `hours_old` ago, or now) and its copy in the destination, named and tagged
        as the copier of `deployment` does (LEGACY: as 0.4.x did, without the deployment and time tags);
        `identifier` names it otherwise."""
        source_tags = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
        if kind == "db":
            self.source_rds.create_db_snapshot(
                DBInstanceIdentifier=source, DBSnapshotIdentifier=snapshot, Tags=source_tags
            )
        else:
            self.source_rds.create_db_cluster_snapshot(
                DBClusterIdentifier=source, DBClusterSnapshotIdentifier=snapshot, Tags=source_tags
            )
        if hours_old is not None:
            backdate_source(snapshot, hours_old, kind)
        if kind == "db":
            made = self.source_rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"][0]
        else:
            made = self.source_rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=snapshot)[
                "DBClusterSnapshots"
            ][0]
        arn = made["DBSnapshotArn" if kind == "db" else "DBClusterSnapshotArn"]
        copied_tags = copy_tags(source_tags, SOURCE_REGION, arn, deployment or DEPLOYMENT, data_time(made, kind))
        if deployment is LEGACY:
            copied_tags = [t for t in copied_tags if t["Key"] not in (TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_TIME)]
        target = identifier or target_identifier(snapshot, arn, kind)
        if kind == "db":
            return self.rds.copy_db_snapshot(
                SourceDBSnapshotIdentifier=arn,
                TargetDBSnapshotIdentifier=target,
                KmsKeyId=self.key_arn,
                SourceRegion=SOURCE_REGION,
                Tags=copied_tags,
            )["DBSnapshot"]
        return self.rds.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=arn,
            TargetDBClusterSnapshotIdentifier=target,
            KmsKeyId=self.key_arn,
            SourceRegion=SOURCE_REGION,
            Tags=copied_tags,
        )["DBClusterSnapshot"]

    def _copy_model(self, identifier: str) -> Any:
        from moto.rds.models import rds_backends

        backend = rds_backends[ACCOUNT][DESTINATION_REGION]
        return backend.database_snapshots.get(identifier) or backend.cluster_snapshots[identifier]

    def set_copy_status(self, identifier: str, status: str) -> None:
        self._copy_model(identifier).status = status

    def set_copy_created(self, identifier: str, when: datetime) -> None:
        """MOTO GAP: copies are made now; when this one was copied (its SnapshotCreateTime)."""
        self._copy_model(identifier).created = when.astimezone(UTC).replace(tzinfo=None)

    # -- clients
    def clients(self, source_down: bool = False, rds: Any = None) -> restore.Clients:
        source_rds, source_ec2 = self.source_rds, self.source_ec2
        if source_down:
            config = restore.SOURCE_REGION_CONFIG
            source_rds = boto3.client("rds", region_name=SOURCE_REGION, endpoint_url=UNREACHABLE, config=config)
            source_ec2 = boto3.client("ec2", region_name=SOURCE_REGION, endpoint_url=UNREACHABLE, config=config)
        return restore.Clients(
            rds=rds or self.rds,
            kms=self.kms,
            ec2=self.ec2,
            source_rds=source_rds,
            source_ec2=source_ec2,
            cloudwatch=self.cloudwatch,
        )

    def stubbed_rds(self, operations: set[str]) -> tuple[Routed, Stubber]:
        client = boto3.client("rds", region_name=DESTINATION_REGION)
        stubber = Stubber(client)
        stubber.activate()
        self.stubbers.append(stubber)
        return Routed(self.rds, client, operations), stubber

    def tag_conditioned(self, rds: Any, tag_key: str) -> tuple[TagConditioned, list[Stubber]]:
        """`rds` with deletes refused unless the database carries `tag_key`; one AccessDenied is queued per
        delete operation (its Stubber still holds it when no delete was refused)."""
        stubbed, stubbers = {}, []
        for operation in _DELETES:
            client = boto3.client("rds", region_name=DESTINATION_REGION)
            stubber = Stubber(client)
            stubber.add_client_error(operation, "AccessDenied", f"not authorized to perform {operation}", 403)
            stubber.activate()
            self.stubbers.append(stubber)
            stubbers.append(stubber)
            stubbed[operation] = client
        return TagConditioned(rds, stubbed, tag_key), stubbers

    # -- what exists in the destination
    def instances(self) -> list[str]:
        return sorted(i["DBInstanceIdentifier"] for i in self.rds.describe_db_instances()["DBInstances"])

    def clusters(self) -> list[str]:
        return sorted(c["DBClusterIdentifier"] for c in self.rds.describe_db_clusters()["DBClusters"])


def deployment_function(env: dict[str, str], name: str = FUNCTION) -> str:
    """A function of a deployment in moto's source region, with `env` as its environment (created, never
    invoked: no Docker needed): its ARN."""
    role = boto3.client("iam", region_name=SOURCE_REGION).create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context):\n    return {}\n")
    return boto3.client("lambda", region_name=SOURCE_REGION).create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": package.getvalue()},
        Environment={"Variables": env},
    )["FunctionArn"]


@pytest.fixture(scope="session", autouse=True)
def _shared_botocore_loader() -> Iterator[None]:
    """Speed only, as in tests/unit: parse botocore's models once, and one RSA key pair for every KMS key."""
    import botocore.loaders
    import botocore.session
    import moto.kms.models

    shared = lru_cache(maxsize=None)(botocore.loaders.create_loader)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        patch.setattr(
            moto.kms.models, "generate_private_key", lru_cache(maxsize=None)(moto.kms.models.generate_private_key)
        )
        yield


@pytest.fixture
def world(aws_env: None) -> Iterator[World]:
    with mock_aws():
        kms = boto3.client("kms", region_name=DESTINATION_REGION)
        w = World(
            source_rds=boto3.client("rds", region_name=SOURCE_REGION),
            source_ec2=boto3.client("ec2", region_name=SOURCE_REGION),
            rds=boto3.client("rds", region_name=DESTINATION_REGION),
            ec2=boto3.client("ec2", region_name=DESTINATION_REGION),
            kms=kms,
            cloudwatch=boto3.client("cloudwatch", region_name=DESTINATION_REGION),
            key_arn=kms.create_key(Description="copies")["KeyMetadata"]["Arn"],
        )
        w.network()
        yield w
        for stubber in w.stubbers:
            stubber.deactivate()


def _parse(
    add_arguments: Callable[[argparse.ArgumentParser], None], argv: list[str], regions: bool = True
) -> argparse.Namespace:
    """The command's arguments; with `regions`, the test's two regions by flag before `argv`."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    given = ["--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION] if regions else []
    return parser.parse_args([*given, *argv])


class NoSleep:
    """A clock that advances only when slept: elapsed times are exact, and no test waits."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def run_restore() -> Callable[..., Run]:
    def invoke(clients: restore.Clients, *argv: str, clock: NoSleep | None = None, regions: bool = True) -> Run:
        clock = clock or NoSleep()
        out, err = io.StringIO(), io.StringIO()
        with calls_of("operator"):
            code = restore.run(
                _parse(restore.add_arguments, list(argv), regions), clients, clock.clock, clock.sleep, out=out, err=err
            )
        return Run(code, out.getvalue(), err.getvalue())

    return invoke


@pytest.fixture
def run_drill() -> Callable[..., Run]:
    def invoke(
        clients: restore.Clients,
        *argv: str,
        clock: NoSleep | None = None,
        now: Any = None,
        rng: Any = None,
        regions: bool = True,
    ) -> Run:
        clock = clock or NoSleep()
        out, err = io.StringIO(), io.StringIO()
        kwargs = {"now": now} if now else {}
        if rng is not None:
            kwargs["rng"] = rng
        with calls_of("operator"):
            code = drill.run(
                _parse(drill.add_arguments, list(argv), regions),
                clients,
                clock.clock,
                clock.sleep,
                out=out,
                err=err,
                **kwargs,
            )
        return Run(code, out.getvalue(), err.getvalue())

    return invoke


@pytest.fixture
def run_adopt() -> Callable[..., Run]:
    def invoke(*argv: str, rds: Any = None, regions: bool = True) -> Run:
        out, err = io.StringIO(), io.StringIO()
        with calls_of("operator"):
            code = adopt.run(_parse(adopt.add_arguments, list(argv), regions), rds, out=out, err=err)
        return Run(code, out.getvalue(), err.getvalue())

    return invoke
