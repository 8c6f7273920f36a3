"""The end-to-end flow shared by `make demo` (tests/e2e/demo.py) and the e2e test.

examples/complete is deployed unchanged, with Terraform driven through python-terraform, against the
local emulator: a generated `*_override.tf` supplies the emulator's endpoints and fake credentials and
a generated `*.auto.tfvars.json` the function package, both in a throw-away copy of the example.
Then real-looking RDS events go onto the source region's default bus, the deployed rule routes them
to the deployed queue, and the handler from the deployed package consumes the queue the way the
event source mapping would.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from python_terraform import IsFlagged, Terraform

from rds_snapshot_copy.demo.emulator import ACCESS_KEY, PROVIDER_ALIASES, SECRET_KEY, Emulator, provider_override
from rds_snapshot_copy.package import Package, build_package
from rds_snapshot_copy.terraform_cli import terraform_env
from snapshot_copy.naming import target_identifier

EXAMPLE = Path("examples/complete")
MODULE = Path("modules/rds-snapshot-copy")
# What an example reads besides its own directory: the modules.
MODULES = Path("modules")
IGNORED = shutil.ignore_patterns(
    ".terraform",
    "terraform.tfstate*",
    ".terraform.lock.hcl",
    "__pycache__",
    "*.pyc",
    "tests",
    "*_override.tf",
    "*.auto.tfvars*",
    "build",
)

OVERRIDE_FILE = "emulator_override.tf"
DEMO_SOURCE_FILTER = {"exclude_tags": {"copy-to-dr": ["false"]}}
TFVARS_FILE = "emulator.auto.tfvars.json"

# The regions the demo deploys to (the example requires them, as the root module does).
SOURCE_REGION = "eu-west-1"
DESTINATION_REGION = "eu-central-1"

# How the demo names what it creates in the source region.
DB_INSTANCE = "orders-db"
DB_SNAPSHOT = "orders-db-manual-1"
CLUSTER = "ledger-aurora"
CLUSTER_SNAPSHOT = "ledger-aurora-manual-1"
SOURCE_TAGS = {
    DB_SNAPSHOT: {"team": "orders", "environment": "demo"},
    CLUSTER_SNAPSHOT: {"team": "ledger", "environment": "demo"},
}

# RDS's own events (AWS documentation, "Amazon RDS event categories and event messages"), written
# here independently of lambda/snapshot_copy/snapshot_events.json so a wrong catalogue shows.
RDS_EVENTS = {
    "RDS-EVENT-0042": ("RDS DB Snapshot Event", "SNAPSHOT", "creation", "Manual snapshot created"),
    "RDS-EVENT-0041": ("RDS DB Snapshot Event", "SNAPSHOT", "deletion", "Deleted manual snapshot"),
    "RDS-EVENT-0075": (
        "RDS DB Cluster Snapshot Event",
        "CLUSTER_SNAPSHOT",
        "creation",
        "Manual cluster snapshot created",
    ),
}

_PR_SET_PDEATHSIG = 1
TERRAFORM_INTERRUPT_GRACE_SECONDS = 90


def _terraform_dies_with_parent() -> None:  # between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedTerraform(Terraform):
    """python-terraform with a child process the harness controls.

    The stock `cmd` shares the terminal's process group (Ctrl-C hits Terraform and the harness at
    once, and the harness loses the child it was waiting for) and only returns output at the end.
    Here Terraform runs in its own process group, its lines are passed to `on_line` as they come, and
    an interrupt of the harness is forwarded as one SIGINT, after which Terraform is waited for (it
    finishes its in-flight calls and writes its state), so a destroy can follow without a stale lock.
    """

    def __init__(self, working_dir: Path, env: dict[str, str], on_line: Callable[[str], None] | None = None) -> None:
        super().__init__(working_dir=str(working_dir))
        self.env = env
        self.on_line = on_line
        self.process: subprocess.Popen[str] | None = None

    def cmd(self, cmd: str, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
        kwargs.pop("capture_output", None)
        raise_on_error = kwargs.pop("raise_on_error", False)
        command = self.generate_cmd_string(cmd, *args, **kwargs)
        lines: list[str] = []
        process = subprocess.Popen(
            command,
            cwd=self.working_dir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
            preexec_fn=_terraform_dies_with_parent if sys.platform.startswith("linux") else None,
        )
        self.process = process
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if self.on_line is not None:
                    self.on_line(line.rstrip("\n"))
            process.wait()
        except BaseException:
            self.interrupt()
            raise
        finally:
            self.process = None
            self.temp_var_files.clean_up()
        out = "".join(lines)
        if process.returncode != 0 and raise_on_error:
            from python_terraform import TerraformCommandError

            raise TerraformCommandError(process.returncode, " ".join(command), out=out, err="")
        return process.returncode, out, ""

    def interrupt(self) -> None:
        """Stop the running Terraform as Ctrl-C would, wait for it to save its state, then make sure."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        deadline = time.monotonic() + TERRAFORM_INTERRUPT_GRACE_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            try:
                process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:  # a second Ctrl-C: do not wait any longer
                break
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class TerraformFailed(RuntimeError):
    def __init__(self, step: str, code: int, output: str) -> None:
        tail = "\n".join(output.splitlines()[-40:])
        super().__init__(f"terraform {step} failed (exit {code}):\n{tail}")
        self.output = output


def find_repo(start: Path | None = None) -> Path:
    """The checkout holding the module and the example: the working directory or one above it, else the
    one this package was installed from (a development install)."""
    candidates = [start or Path.cwd(), *(start or Path.cwd()).parents, *Path(__file__).resolve().parents]
    for candidate in candidates:
        if (candidate / EXAMPLE / "main.tf").is_file() and (candidate / MODULE / "main.tf").is_file():
            return candidate
    raise FileNotFoundError(
        f"no {EXAMPLE} and {MODULE} here or above: run the demo in a checkout of the repository (or pass --repo)"
    )


@dataclass
class Workspace:
    """A throw-away copy of an example (and what it reads) with the generated emulator files."""

    root: Path
    package: Package
    example: Path = EXAMPLE

    @property
    def example_dir(self) -> Path:
        return self.root / self.example

    @classmethod
    def create(
        cls,
        endpoint: str,
        repo: Path | None = None,
        parent: Path | None = None,
        example: Path = EXAMPLE,
        variables: dict[str, Any] | None = None,
        provider_aliases: tuple[str, ...] = PROVIDER_ALIASES,
    ) -> Workspace:
        """Copy `example` (default examples/complete) and the module, build the package, and write the
        provider override and the variables (default: the demo's two regions) next to the example."""
        repo = find_repo() if repo is None else repo
        root = Path(tempfile.mkdtemp(prefix="rds-snapshot-copy-demo-", dir=parent))
        try:
            for tree in (example, MODULES):
                shutil.copytree(repo / tree, root / tree, ignore=IGNORED, symlinks=False)
            package = build_package(root / "build" / "lambda.zip")
            workspace = cls(root, package, example)
            (workspace.example_dir / OVERRIDE_FILE).write_text(provider_override(endpoint, provider_aliases))
            values: dict[str, Any] = {
                "source_region": SOURCE_REGION,
                "destination_region": DESTINATION_REGION,
                # A tag filter that leaves out only databases tagged copy-to-dr = false (none in the demo),
                # so the copier reads its sources' tags, with the permission that takes, as deployed.
                "source_filter": DEMO_SOURCE_FILTER,
                # The emulator's snapshots are all seconds old: the reconciler takes them at once.
                "reconcile_grace_minutes": 0,
                # The drill check on, as a quarterly drill would set it: the reconciler reads the drills'
                # metric back, with the permission that takes, as deployed (tests/iam proves it).
                "drill_max_age_days": 90,
            }
            if variables is not None:
                values = variables
            values = {
                **values,
                "lambda_package_path": str(package.path),
                "lambda_package_hash": package.base64_sha256,
            }
            (workspace.example_dir / TFVARS_FILE).write_text(json.dumps(values, indent=2) + "\n")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return workspace

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class Stack:
    """The example deployed into the emulator through Terraform."""

    def __init__(self, workspace: Workspace, on_line: Callable[[str], None] | None = None) -> None:
        self.workspace = workspace
        env = terraform_env()
        # The example must not need anything from the environment: no AWS variables reach Terraform.
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        self.tf = ManagedTerraform(workspace.example_dir, env, on_line)
        self.applied = False

    def _run(self, step: str, result: tuple[int, str, str], ok: Iterable[int] = (0,)) -> str:
        code, out, err = result
        if code not in tuple(ok):
            raise TerraformFailed(step, code, (out or "") + (err or ""))
        return out or ""

    def init(self) -> str:
        return self._run("init", self.tf.init(input=False))

    def apply(self) -> str:
        self.applied = True  # from here on, a destroy is due whatever happens
        return self._run("apply", self.tf.apply(skip_plan=True, input=False))

    def plan(self) -> tuple[bool, str]:
        """(no changes, output) of `terraform plan -detailed-exitcode`."""
        code, out, err = self.tf.plan(detailed_exitcode=IsFlagged, input=False)
        if code not in (0, 2):
            raise TerraformFailed("plan", code, (out or "") + (err or ""))
        return code == 0, out or ""

    def outputs(self) -> dict[str, Any]:
        code, out, err = self.tf.output_cmd(json=IsFlagged, no_color=IsFlagged)
        if code != 0:
            raise TerraformFailed("output", code, (out or "") + (err or ""))
        return {name: value["value"] for name, value in json.loads(out).items()}

    def state_list(self) -> list[str]:
        return self._run("state list", self.tf.cmd("state", "list")).split()

    def state_rm(self, *addresses: str) -> list[str]:
        """Forget these resources (where Terraform manages them): a destroy then leaves them in place."""
        present = [address for address in addresses if address in self.state_list()]
        if present:
            self._run("state rm", self.tf.cmd("state", "rm", *present))
        return present

    def destroy(self, refresh: bool = False) -> str:
        # python-terraform passes -force to destroy unless told not to; Terraform 1.x wants -auto-approve.
        # No refresh by default: the state was written moments ago, and a refresh costs ~10 s here.
        out = self._run("destroy", self.tf.destroy(force=None, auto_approve=True, input=False, refresh=refresh))
        self.applied = False
        return out


# --- AWS side -------------------------------------------------------------------------------------


def session(emulator: Emulator) -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


class Clients:
    """boto3 clients for both regions, pointed at the emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self._session = session(emulator)
        self._endpoint = emulator.endpoint
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str = SOURCE_REGION) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self._session.client(service, region_name=region, endpoint_url=self._endpoint)
        return self._cache[key]


@dataclass(frozen=True)
class DeployedFunction:
    name: str
    code_sha256: str
    environment: dict[str, str]
    handler: str
    batch_size: int
    queue_arn: str
    function_response_types: list[str]


def read_back_scheduled_function(clients: Clients, function_name: str) -> DeployedFunction:
    """A function that a schedule invokes (no queue, no mapping), as the emulator holds it."""
    config = clients("lambda").get_function(FunctionName=function_name)["Configuration"]
    return DeployedFunction(
        name=config["FunctionName"],
        code_sha256=config["CodeSha256"],
        environment=dict(config.get("Environment", {}).get("Variables", {})),
        handler=config["Handler"],
        batch_size=0,
        queue_arn="",
        function_response_types=[],
    )


def read_back_function(clients: Clients, function_name: str, queue_arn: str) -> DeployedFunction:
    """The function and its event source mapping as the emulator holds them (not as we meant them)."""
    config = clients("lambda").get_function(FunctionName=function_name)["Configuration"]
    # (moto's ListEventSourceMappings ignores a FunctionName given by name: filter here.)
    mappings = clients("lambda").list_event_source_mappings()["EventSourceMappings"]
    mapping = next(
        (m for m in mappings if m["EventSourceArn"] == queue_arn and m["FunctionArn"] == config["FunctionArn"]), None
    )
    if mapping is None:
        raise AssertionError(f"no event source mapping from {queue_arn} to {function_name}: {mappings}")
    return DeployedFunction(
        name=config["FunctionName"],
        code_sha256=config["CodeSha256"],
        environment=dict(config.get("Environment", {}).get("Variables", {})),
        handler=config["Handler"],
        batch_size=int(mapping["BatchSize"]),
        queue_arn=mapping["EventSourceArn"],
        function_response_types=list(mapping.get("FunctionResponseTypes") or []),
    )


@dataclass(frozen=True)
class SourceSnapshot:
    kind: str  # "db" or "cluster"
    identifier: str
    arn: str
    tags: dict[str, str]
    # When its data was taken, as RDS answered its creation (the copy's source_snapshot_time tag).
    taken_at: datetime | None = None

    @property
    def created_event_id(self) -> str:
        return "RDS-EVENT-0075" if self.kind == "cluster" else "RDS-EVENT-0042"


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tags_dict(tag_list: Iterable[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tag_list or ()}


# The network both regions have under the same names (as a DR runbook prepares it): a DB subnet group and a
# security group, which a restore in the destination takes by name from the source database.
NETWORK_NAME = "app-db"


def create_network(clients: Clients, region: str) -> str:
    """A VPC with two subnets, the DB subnet group and the security group NETWORK_NAME; the group's ID."""
    ec2 = clients("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in enumerate("ab")
    ]
    clients("rds", region).create_db_subnet_group(
        DBSubnetGroupName=NETWORK_NAME, DBSubnetGroupDescription="databases", SubnetIds=subnets
    )
    return ec2.create_security_group(GroupName=NETWORK_NAME, Description="databases", VpcId=vpc)["GroupId"]


def create_database(rds: Any, identifier: str, **settings: Any) -> dict[str, Any]:
    """An encrypted PostgreSQL instance, the demo's kind of source database."""
    return rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="demo",
        MasterUserPassword="not-a-secret-1",
        StorageEncrypted=True,
        **settings,
    )["DBInstance"]


def create_source_snapshots(clients: Clients) -> list[SourceSnapshot]:
    """An encrypted RDS instance and Aurora cluster (with its writer) in the source region, in the network
    NETWORK_NAME (which the destination has too), and a manual snapshot of each.

    Manual snapshots: RDS takes automated ones itself, and no API (so no emulator call) creates one.
    """
    security_group = create_network(clients, SOURCE_REGION)
    create_network(clients, DESTINATION_REGION)
    network = {"DBSubnetGroupName": NETWORK_NAME, "VpcSecurityGroupIds": [security_group]}
    rds = clients("rds", SOURCE_REGION)
    create_database(rds, DB_INSTANCE, **network)
    db_snapshot = rds.create_db_snapshot(
        DBSnapshotIdentifier=DB_SNAPSHOT, DBInstanceIdentifier=DB_INSTANCE, Tags=_tag_list(SOURCE_TAGS[DB_SNAPSHOT])
    )["DBSnapshot"]
    rds.create_db_cluster(
        DBClusterIdentifier=CLUSTER,
        Engine="aurora-postgresql",
        MasterUsername="demo",
        MasterUserPassword="not-a-secret-1",
        StorageEncrypted=True,
        **network,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{CLUSTER}-writer",
        DBClusterIdentifier=CLUSTER,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    cluster_snapshot = rds.create_db_cluster_snapshot(
        DBClusterSnapshotIdentifier=CLUSTER_SNAPSHOT,
        DBClusterIdentifier=CLUSTER,
        Tags=_tag_list(SOURCE_TAGS[CLUSTER_SNAPSHOT]),
    )["DBClusterSnapshot"]
    return [
        SourceSnapshot(
            "db", DB_SNAPSHOT, db_snapshot["DBSnapshotArn"], dict(SOURCE_TAGS[DB_SNAPSHOT]), taken_at(db_snapshot)
        ),
        SourceSnapshot(
            "cluster",
            CLUSTER_SNAPSHOT,
            cluster_snapshot["DBClusterSnapshotArn"],
            dict(SOURCE_TAGS[CLUSTER_SNAPSHOT]),
            taken_at(cluster_snapshot),
        ),
    ]


def taken_at(snapshot: dict[str, Any]) -> datetime | None:
    """When a snapshot's data was taken, as RDS describes it: the earliest of its OriginalSnapshotCreateTime
    (DB snapshots keep it through copies) and SnapshotCreateTime. Written here from RDS's documentation, not
    from the function's catalogue, so that the copies' tag is checked against an independent reading."""
    times = [snapshot.get(key) for key in ("OriginalSnapshotCreateTime", "SnapshotCreateTime")]
    known = [t for t in times if isinstance(t, datetime)]
    return min(known) if known else None


def tag_time(when: datetime) -> str:
    """The source_snapshot_time tag's format (the contract: ISO 8601, UTC, to the second)."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class PutEvent:
    event_id: str  # EventBridge's id of the event
    rds_event_id: str
    snapshot: SourceSnapshot
    put_at: float


def put_rds_event(clients: Clients, snapshot: SourceSnapshot, rds_event_id: str) -> PutEvent:
    """Put an event shaped like RDS's own on the source region's default bus."""
    detail_type, source_type, category, message = RDS_EVENTS[rds_event_id]
    detail = {
        "EventCategories": [category],
        "SourceType": source_type,
        "SourceArn": snapshot.arn,
        "Date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "Message": message,
        "SourceIdentifier": snapshot.identifier,
        "EventID": rds_event_id,
    }
    put_at = time.time()
    answer = clients("events", SOURCE_REGION).put_events(
        Entries=[
            {
                "Source": "aws.rds",
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "Resources": [snapshot.arn],
                "EventBusName": "default",
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        raise AssertionError(f"PutEvents failed: {answer}")
    return PutEvent(answer["Entries"][0]["EventId"], rds_event_id, snapshot, put_at)


def queue_depth(clients: Clients, queue_url: str) -> int:
    """Messages in the queue, visible or in flight (moto's own delivery attempt may hold them briefly)."""
    attributes = clients("sqs", SOURCE_REGION).get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def queued_event_ids(clients: Clients, queue_url: str) -> list[str]:
    """EventBridge ids of the events in the queue, read without consuming them (visibility 0)."""
    messages = (
        clients("sqs", SOURCE_REGION)
        .receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)
        .get("Messages", [])
    )
    return sorted(json.loads(m["Body"]).get("id", "?") for m in messages)


# --- the handler, as the event source mapping would run it -----------------------------------------

_HANDLER_RUNNER = textwrap.dedent(
    """
    import json, os, sys
    # As Lambda's runtime does with /var/task: the unpacked zip comes first on the path.
    sys.path.insert(0, sys.argv[1])
    record_to = os.environ.pop("RECORD_AWS_CALLS_TO", "")
    if record_to:
        # For the IAM simulation: every AWS call the function makes, one JSON object a line; for a
        # delete, the tags of what it deletes too (IAM conditions read them), looked up first.
        import botocore.client
        original = botocore.client.BaseClient._make_api_call
        deletes = {"DeleteDBSnapshot": ("DescribeDBSnapshots", "DBSnapshotIdentifier", "DBSnapshots"),
                   "DeleteDBClusterSnapshot": ("DescribeDBClusterSnapshots", "DBClusterSnapshotIdentifier",
                                               "DBClusterSnapshots")}
        def _make_api_call(client, operation, params):
            call = {"service": client.meta.service_model.service_name, "operation": operation,
                    "region": client.meta.region_name, "params": params}
            if operation in deletes:
                describe, key, answer = deletes[operation]
                try:
                    found = original(client, describe, {key: params[key]})[answer]
                except Exception:
                    found = []
                tags = found[0].get("TagList") or [] if found else []
                call["resource_tags"] = {t["Key"]: t.get("Value", "") for t in tags}
            with open(record_to, "a") as out:
                out.write(json.dumps(call, default=str) + "\\n")
            return original(client, operation, params)
        botocore.client.BaseClient._make_api_call = _make_api_call
    module_name, function_name = sys.argv[2].rsplit(".", 1)
    module = __import__(module_name)
    class Context:
        function_name = sys.argv[3]
        aws_request_id = "local"
    event = json.load(sys.stdin)
    result = getattr(module, function_name)(event, Context())
    # stdout is the function's log stream (its metrics go there); the answer goes to a file of its own.
    with open(sys.argv[4], "w") as answer:
        json.dump(result, answer)
    """
)


@dataclass
class DeployedPackage:
    """The deployed zip, unpacked, after checking that it is byte for byte what the function runs."""

    directory: Path
    base64_sha256: str

    @classmethod
    def unpack(cls, package: Package, function: DeployedFunction, into: Path) -> DeployedPackage:
        if package.base64_sha256 != function.code_sha256:
            raise AssertionError(
                f"the package ({package.base64_sha256}) is not the deployed code (CodeSha256 {function.code_sha256})"
            )
        into.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(package.path) as archive:
            archive.extractall(into)
        return cls(into, package.base64_sha256)


@dataclass
class HandledBatch:
    records: list[dict[str, Any]]
    response: dict[str, Any]
    finished_at: float
    log: str

    @property
    def failed_ids(self) -> set[str]:
        return {f["itemIdentifier"] for f in self.response.get("batchItemFailures", [])}


def run_handler(
    package: DeployedPackage,
    function: DeployedFunction,
    emulator: Emulator,
    event: dict[str, Any],
    record_calls_to: Path | None = None,
) -> tuple[dict[str, Any], str]:
    """Invoke the handler in a fresh interpreter (as a new Lambda container would) with the deployed
    function's own environment, plus what the Lambda runtime adds, pointed at the emulator."""
    region = function.environment.get("SOURCE_REGION", SOURCE_REGION)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        **function.environment,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_ENDPOINT_URL": emulator.endpoint,
        **({"RECORD_AWS_CALLS_TO": str(record_calls_to)} if record_calls_to else {}),
    }
    with tempfile.TemporaryDirectory(prefix="handler-") as scratch:
        answer = Path(scratch) / "answer.json"
        result = subprocess.run(
            [
                sys.executable,
                "-I",
                "-c",
                _HANDLER_RUNNER,
                str(package.directory),
                function.handler,
                function.name,
                str(answer),
            ],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env=env,
            cwd=package.directory,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"the handler raised (exit {result.returncode}):\n{result.stderr[-4000:]}")
        return json.loads(answer.read_text()), result.stdout + result.stderr


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller builds from received messages."""
    records = []
    for m in messages:
        attributes = m.get("Attributes", {})
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    key: attributes[key]
                    for key in (
                        "ApproximateReceiveCount",
                        "SentTimestamp",
                        "SenderId",
                        "ApproximateFirstReceiveTimestamp",
                    )
                    if key in attributes
                },
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def consume_queue(
    clients: Clients,
    emulator: Emulator,
    package: DeployedPackage,
    function: DeployedFunction,
    queue_url: str,
    expected: int,
    timeout: float = 60.0,
    record_calls_to: Path | None = None,
) -> list[HandledBatch]:
    """Poll the queue as the event source mapping does: batches of the mapping's batch size, the
    handler on each, then delete every record it did not report in batchItemFailures.

    moto tries to run the function itself when a message arrives (and fails without Docker), then
    makes the message visible again with its receive count one higher: the records carry the receive
    count SQS gives, as Lambda's would.
    """
    sqs = clients("sqs", SOURCE_REGION)
    region = function.queue_arn.split(":")[3]
    batches: list[HandledBatch] = []
    handled = 0
    deadline = time.monotonic() + timeout
    while handled < expected and time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(function.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if not messages:
            continue
        event = sqs_event(messages, function.queue_arn, region)
        response, log = run_handler(package, function, emulator, event, record_calls_to)
        batch = HandledBatch(event["Records"], response, time.time(), log)
        done = [r for r in event["Records"] if r["messageId"] not in batch.failed_ids]
        if done:
            answer = sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)],
            )
            if answer.get("Failed"):
                raise AssertionError(f"could not delete handled messages: {answer['Failed']}")
        handled += len(done)
        batches.append(batch)
        if batch.failed_ids:
            raise AssertionError(f"the handler reported failures: {response}\n{log[-4000:]}")
    if handled < expected:
        raise AssertionError(f"handled {handled} of {expected} queued events within {timeout:.0f} s")
    return batches


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    source: SourceSnapshot
    identifier: str
    arn: str
    kms_key_id: str
    tags: dict[str, str]
    status: str
    seconds_from_event: float | None = None


def find_copy(clients: Clients, source: SourceSnapshot) -> Copy | None:
    """The copier's copy of `source` in the destination region: the snapshot under the copier's identifier for
    it (naming.target_identifier) whose source_snapshot_arn tag names `source`. Not any snapshot with the tag:
    an operator's CopyTags copy of it carries the same tags under another name (retention_steps.AUDIT_COPY)."""
    identifier = target_identifier(source.identifier, source.arn, source.kind)
    rds = clients("rds", DESTINATION_REGION)
    if source.kind == "cluster":
        found = rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
        id_key, arn_key = "DBClusterSnapshotIdentifier", "DBClusterSnapshotArn"
    else:
        found = rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
        id_key, arn_key = "DBSnapshotIdentifier", "DBSnapshotArn"
    for snapshot in found:
        tags = tags_dict(snapshot.get("TagList"))
        if snapshot[id_key] == identifier and tags.get("source_snapshot_arn") == source.arn:
            return Copy(
                source=source,
                identifier=snapshot[id_key],
                arn=snapshot[arn_key],
                kms_key_id=snapshot.get("KmsKeyId", ""),
                tags=tags,
                status=snapshot.get("Status", ""),
            )
    return None


def expected_copy_tags(source: SourceSnapshot, deployment: str) -> dict[str, str]:
    """The contract: the source's own tags, plus source_region, source_snapshot_arn, the deployment's name
    (snapshot_copy_deployment) and when the source's data was taken (source_snapshot_time)."""
    assert source.taken_at is not None, f"{source.arn}: no time known for it"
    return {
        **source.tags,
        "source_region": SOURCE_REGION,
        "source_snapshot_arn": source.arn,
        "snapshot_copy_deployment": deployment,
        "source_snapshot_time": tag_time(source.taken_at),
    }


@dataclass
class Leftovers:
    found: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.found.values())


def leftovers(clients: Clients, name: str, kept_key_arn: str | None = None) -> Leftovers:
    """Resources named after the stack that are still in the emulator (a KMS key pending deletion is gone),
    except the key kept on purpose (`kept_key_arn`) and its alias."""
    src, dst = SOURCE_REGION, DESTINATION_REGION
    result = Leftovers()
    result.found["lambda functions"] = [
        f["FunctionName"]
        for f in clients("lambda", src).list_functions()["Functions"]
        if f["FunctionName"].startswith(name)
    ]
    result.found["event source mappings"] = [
        m["UUID"] for m in clients("lambda", src).list_event_source_mappings()["EventSourceMappings"]
    ]
    result.found["queues"] = clients("sqs", src).list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    result.found["rules"] = [r["Name"] for r in clients("events", src).list_rules(NamePrefix=name)["Rules"]]
    result.found["roles"] = [
        r["RoleName"] for r in clients("iam", src).list_roles()["Roles"] if r["RoleName"].startswith(name)
    ]
    result.found["log groups"] = [
        g["logGroupName"]
        for g in clients("logs", src).describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    ]
    result.found["tables"] = [t for t in clients("dynamodb", src).list_tables()["TableNames"] if t.startswith(name)]
    result.found["alarms"] = [
        a["AlarmName"] for a in clients("cloudwatch", src).describe_alarms(AlarmNamePrefix=name)["MetricAlarms"]
    ]
    kms = clients("kms", dst)
    kept = kms.describe_key(KeyId=kept_key_arn)["KeyMetadata"]["KeyId"] if kept_key_arn else None
    result.found["kms aliases"] = [
        a["AliasName"]
        for a in kms.list_aliases()["Aliases"]
        if a["AliasName"] == f"alias/{name}" and a.get("TargetKeyId") != kept
    ]
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    result.found["kms keys not pending deletion"] = [
        key["KeyId"]
        for key in keys
        if key["KeyState"] not in ("PendingDeletion", "Disabled")
        and key.get("KeyManager") == "CUSTOMER"
        and key["KeyId"] != kept
    ]
    return result


SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-25T04:00:00Z",
    "region": SOURCE_REGION,
    "resources": [],
    "detail": {},
}


# The module-created key and its alias: kept out of the destroy (kms_key_prevent_destroy), so that the
# copies stay restorable after the stack is removed.
KEPT_ON_REMOVAL = (
    "module.rds_snapshot_copy.aws_kms_key.this[0]",
    "module.rds_snapshot_copy.aws_kms_alias.this[0]",
)


def remove_keeping_key(stack: Stack) -> list[str]:
    """The README's safe removal: forget the key and its alias, destroy the rest; returns what was kept."""
    kept = stack.state_rm(*KEPT_ON_REMOVAL)
    stack.destroy()
    return kept


@dataclass(frozen=True)
class RolePolicies:
    """One function's role: its ARN, its inline policies and its trust policy, as deployed."""

    arn: str
    identity: list[dict[str, Any]]
    trust: dict[str, Any]


@dataclass(frozen=True)
class DeployedPolicies:
    """The policies as Terraform deployed them, read back from the emulator."""

    roles: dict[str, RolePolicies]  # by function: "copier", "pruner", "reconciler"
    key_arn: str
    key: dict[str, Any]
    queues: dict[str, dict[str, Any]]  # queue ARN -> its policy
    queue_arn: str
    dead_letter_queue_arn: str
    rule_arn: str
    # The copy requests table (copy_requests_table_name output), which the copier and the reconciler write.
    copy_requests_table_arn: str | None = None
    # The rendered operator policy (operator_policy_json output): for whoever runs restore and drill.
    operator: dict[str, Any] | None = None

    @property
    def role_arn(self) -> str:
        return self.roles["copier"].arn

    @property
    def identity(self) -> list[dict[str, Any]]:
        return self.roles["copier"].identity

    @property
    def trust(self) -> dict[str, Any]:
        return self.roles["copier"].trust


def _role_policies(clients: Clients, function_name: str) -> RolePolicies:
    role_arn = clients("lambda", SOURCE_REGION).get_function(FunctionName=function_name)["Configuration"]["Role"]
    role_name = role_arn.rsplit("/", 1)[1]
    iam = clients("iam", SOURCE_REGION)
    identity = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        identity.append(json.loads(document) if isinstance(document, str) else document)
    if iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        raise AssertionError(f"{role_name} has managed policies attached: the simulation reads inline ones only")
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    return RolePolicies(role_arn, identity, json.loads(trust) if isinstance(trust, str) else trust)


def read_back_policies(clients: Clients, outputs: dict[str, Any]) -> DeployedPolicies:
    functions = {
        "copier": outputs["function_name"],
        "pruner": outputs.get("prune_function_name"),
        "reconciler": outputs.get("reconcile_function_name"),
    }
    roles = {key: _role_policies(clients, name) for key, name in functions.items() if name}
    key = clients("kms", DESTINATION_REGION).get_key_policy(KeyId=outputs["kms_key_arn"], PolicyName="default")
    sqs = clients("sqs", SOURCE_REGION)
    queues, arns = {}, []
    for url in (outputs["queue_url"], outputs["dead_letter_queue_url"]):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "Policy"])["Attributes"]
        queues[attributes["QueueArn"]] = json.loads(attributes.get("Policy") or "{}")
        arns.append(attributes["QueueArn"])
    rule_arn = clients("events", SOURCE_REGION).describe_rule(Name=outputs["rule_name"])["Arn"]
    table = outputs.get("copy_requests_table_name")
    table_arn = (
        clients("dynamodb", SOURCE_REGION).describe_table(TableName=table)["Table"]["TableArn"] if table else None
    )
    operator = outputs.get("operator_policy_json")
    return DeployedPolicies(
        roles=roles,
        key_arn=outputs["kms_key_arn"],
        key=json.loads(key["Policy"]),
        queues=queues,
        queue_arn=arns[0],
        dead_letter_queue_arn=arns[1],
        rule_arn=rule_arn,
        copy_requests_table_arn=table_arn,
        operator=json.loads(operator) if operator else None,
    )
