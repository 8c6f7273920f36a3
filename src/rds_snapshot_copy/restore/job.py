"""Running a plan and waiting for it: `Job` makes the plan's calls and polls until the database is available
(or failed), `Created` registers what a restore creates before the call that creates it, `wait` polls several
jobs at once with a progress line each (the drill's restores run side by side)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from rds_snapshot_copy.restore.aws import error_code
from rds_snapshot_copy.restore.plan import Plan, Step

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
