"""One exit status scheme for every subcommand (rds_snapshot_copy.exit_codes), driven through cli.main against
moto, as an operator's shell or cron sees it: 0 fine, 1 a finding, 2 a usage or AWS error, 130 interrupted.

The commands build their own clients, so AWS failures are injected below them, in botocore (Faults), over
moto. On 0.4.0 an AWS failure of `restore` or `drill` exited 1 like a finding, an interruption 1, a sending
failure of `backfill` 1; `package` with nothing to package and `drill --report` into a missing directory
ended in a traceback."""

from __future__ import annotations

import io
import sys
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

from rds_snapshot_copy import cli
from tests.unit.harness import DESTINATION_REGION, SOURCE_REGION, backdate_source, drop_automated_snapshots

REGIONS = ("--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION)
FAST = ("--poll-seconds", "0.01", "--timeout-seconds", "0.01")  # "not available in time" within milliseconds
SUBCOMMANDS = ("package", "demo", "terraformrc", "status", "backfill", "restore", "drill", "adopt")


@dataclass
class Outcome:
    code: int | None  # None: cli.main raised (the traceback is in `err`)
    out: str
    err: str


def main(*argv: str) -> Outcome:
    """cli.main as the console script runs it: its return value, or argparse's SystemExit code. Whatever else
    it raises (Ctrl-C included, which would stop pytest) is what a user would see: a traceback."""
    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except (Exception, KeyboardInterrupt):
            traceback.print_exc()
    return Outcome(code, out.getvalue(), err.getvalue())


@dataclass
class Faults:
    """AWS operations that fail (a ClientError, or Ctrl-C) or answer otherwise, whichever client makes them:
    patched into botocore above its retries and below every client the command builds, over moto."""

    failures: dict[str, list[tuple[BaseException, str | None]]] = field(default_factory=dict)
    rewrites: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Faults:
        original = botocore.client.BaseClient._make_api_call

        def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            queued = self.failures.get(operation, [])
            armed = next((i for i, (_, after) in enumerate(queued) if after is None or after in self.seen), None)
            self.seen.add(operation)
            if armed is not None:
                raise queued.pop(armed)[0]
            answer = original(client, operation, params)
            if operation in self.rewrites:
                self.rewrites[operation](answer)
            return answer

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
        return self

    def fail(self, operation: str, code: str = "InternalFailure", after: str | None = None) -> None:
        """The next `operation` (once `after` was called) fails with `code`."""
        error = {"Error": {"Code": code, "Message": f"injected {code}"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        self.failures.setdefault(operation, []).append((ClientError(error, operation), after))

    def interrupt(self, operation: str, after: str | None = None) -> None:
        """Ctrl-C during the next `operation` (once `after` was called)."""
        self.failures.setdefault(operation, []).append((KeyboardInterrupt(), after))

    def never_available(self) -> None:
        """Every DB instance stays `creating`: a restore never becomes available."""

        def creating(answer: dict[str, Any]) -> None:
            for instance in answer.get("DBInstances", []):
                instance["DBInstanceStatus"] = "creating"

        self.rewrites["DescribeDBInstances"] = creating


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    return Faults().install(monkeypatch)


# ------------------------------------------------------------------ restore, drill, adopt: the destination


def orders_copied(world: Any, faults: Faults) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")


def then(*steps: Callable[[Any, Faults], None]) -> Callable[[Any, Faults], None]:
    def arrange(world: Any, faults: Faults) -> None:
        for step in steps:
            step(world, faults)

    return arrange


def failing(operation: str, code: str = "InternalFailure", after: str | None = None) -> Callable[[Any, Faults], None]:
    return lambda world, faults: faults.fail(operation, code, after)


def interrupted(operation: str, after: str) -> Callable[[Any, Faults], None]:
    return lambda world, faults: faults.interrupt(operation, after)


def never_available(world: Any, faults: Faults) -> None:
    faults.never_available()


def legacy_copy(world: Any, faults: Faults) -> None:
    """A copy as 0.4.x made it (no deployment tag): adopt's finding."""
    from tests.cli.conftest import LEGACY

    world.instance("orders")
    world.copy("db", "orders", "orders-1", deployment=LEGACY)


def nothing(world: Any, faults: Faults) -> None:
    pass


RESTORED = "RestoreDBInstanceFromDBSnapshot"
DESTINATION_CASES = [
    # (what, argv, arrange, exit status, in stderr)
    ("restore: a dry run", ("restore", "orders"), orders_copied, 0, ""),
    ("restore: restored", ("restore", "orders", "--apply"), orders_copied, 0, ""),
    ("restore: unknown database", ("restore", "nope"), orders_copied, 2, "unknown database nope"),
    (
        "restore: AWS error while planning",
        ("restore", "orders", "--apply"),
        then(orders_copied, failing("DescribeDBSnapshots")),
        2,
        "AWS error while planning",
    ),
    (
        "restore: AWS refuses the restore",
        ("restore", "orders", "--apply"),
        then(orders_copied, failing(RESTORED, "StorageQuotaExceeded")),
        2,
        "storage quota in us-west-2 is used up",
    ),
    (
        "restore: AWS error while waiting",
        ("restore", "orders", "--apply"),
        then(orders_copied, failing("DescribeDBInstances", after=RESTORED)),
        2,
        "AWS error while waiting",
    ),
    (
        "restore: not available in time",
        ("restore", "orders", "--apply", *FAST),
        then(orders_copied, never_available),
        1,
        "the restore continues in AWS",
    ),
    (
        "restore: interrupted while waiting",
        ("restore", "orders", "--apply"),
        then(orders_copied, interrupted("DescribeDBInstances", after=RESTORED)),
        130,
        "interrupted: the restore of orders continues in AWS",
    ),
    ("drill: passed", ("drill", "orders"), orders_copied, 0, ""),
    ("drill: nothing to drill", ("drill", "--all"), nothing, 2, "nothing to drill"),
    (
        "drill: AWS refuses a restore",
        ("drill", "orders", "--json"),
        then(orders_copied, failing(RESTORED, "InsufficientDBInstanceCapacity")),
        1,
        "",
    ),
    (
        "drill: not available in time",
        ("drill", "orders", "--json", *FAST),
        then(orders_copied, never_available),
        1,
        "",
    ),
    (
        "drill: AWS error while waiting",
        ("drill", "orders", "--json"),
        then(orders_copied, failing("DescribeDBInstances", after=RESTORED)),
        2,
        "",
    ),
    (
        "drill: its metric cannot be published",
        ("drill", "orders", "--json", "--publish-metric"),
        then(orders_copied, failing("PutMetricData")),
        2,
        "could not publish the drill's metrics",
    ),
    (
        "drill: interrupted while waiting",
        ("drill", "orders", "--json"),
        then(orders_copied, interrupted("DescribeDBInstances", after=RESTORED)),
        130,
        "",
    ),
    ("adopt: nothing to adopt", ("adopt",), orders_copied, 0, ""),
    ("adopt: 0.4.x copies left to adopt", ("adopt",), legacy_copy, 1, ""),
    ("adopt: adopted", ("adopt", "--apply"), legacy_copy, 0, ""),
    (
        "adopt: a tag refused",
        ("adopt", "--apply"),
        then(legacy_copy, failing("AddTagsToResource", "AccessDenied")),
        2,
        "AccessDenied",
    ),
    (
        "adopt: the destination cannot be read",
        ("adopt",),
        then(legacy_copy, failing("DescribeDBSnapshots", "AccessDenied")),
        2,
        "cannot list the snapshots",
    ),
]


@pytest.mark.parametrize(
    ("argv", "arrange", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in DESTINATION_CASES],
)
def test_restore_drill_and_adopt(world: Any, faults: Faults, argv: tuple, arrange: Callable, code: int, message: str):
    arrange(world, faults)
    outcome = main(*argv, *REGIONS)
    assert outcome.code == code, (outcome.out, outcome.err)
    assert message in outcome.err, outcome.err
    assert "Traceback" not in outcome.err


def test_a_drill_stopped_by_an_aws_error_still_deletes_what_it_created(world: Any, faults: Faults) -> None:
    orders_copied(world, faults)
    faults.fail("DescribeDBInstances", after=RESTORED)
    assert main("drill", "orders", *REGIONS).code == 2
    assert world.instances() == []


# ---------------------------------------------------------------- status and backfill: a deployment's state


def deployment_flags(queue_url: str) -> tuple[str, ...]:
    return (*REGIONS, "--queue-url", queue_url)


def reconciler(queue_url: str) -> tuple[str, ...]:
    """A deployed reconciler (never invoked) with the module's essential settings: the flags naming it."""
    from tests.cli.conftest import FUNCTION, deployment_function

    env = {"SOURCE_REGION": SOURCE_REGION, "DESTINATION_REGION": DESTINATION_REGION, "COPY_QUEUE_URL": queue_url}
    deployment_function(env, FUNCTION)
    return ("--function", FUNCTION, "--region", SOURCE_REGION)


def gone(queue_url: str) -> str:
    return queue_url.rsplit("/", 1)[0] + "/no-such-queue"


def snapshot_without_copy(sources: Any) -> None:
    sources.db_snapshot("orders-1", instance="orders")
    backdate_source("orders-1", hours=2)
    drop_automated_snapshots()


def copied_30_hours_ago(sources: Any) -> None:
    """orders' newest copy holds data 30 h old: past the 26 h RPO."""
    from snapshot_copy.naming import target_identifier

    snapshot = sources.db_snapshot("orders-30h", instance="orders")
    backdate_source("orders-30h", hours=30)
    drop_automated_snapshots()
    arn = snapshot["DBSnapshotArn"]
    tags = {"source_region": SOURCE_REGION, "source_snapshot_arn": arn, "snapshot_copy_deployment": "rds-snapshot-copy"}
    boto3.client("rds", region_name=DESTINATION_REGION).copy_db_snapshot(
        SourceDBSnapshotIdentifier=arn,
        TargetDBSnapshotIdentifier=target_identifier("orders-30h", arn, "db"),
        SourceRegion=SOURCE_REGION,
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )


STATE_CASES = [
    # (what, argv from the queue URL, arrange(sources, faults), exit status, in stderr)
    ("status: no source past the RPO", lambda q: ("status", *deployment_flags(q)), None, 0, ""),
    (
        "status: a source past the RPO",
        lambda q: ("status", *deployment_flags(q)),
        lambda sources, faults: copied_30_hours_ago(sources),
        1,
        "",
    ),
    (
        "status: AWS cannot be read",
        lambda q: ("status", *deployment_flags(gone(q))),
        None,
        2,
        "cannot read the deployment's state from AWS",
    ),
    (
        "status: no such reconciler",
        lambda q: ("status", "--function", "absent", "--region", SOURCE_REGION),
        None,
        2,
        "no function absent",
    ),
    (
        "status: interrupted",
        lambda q: ("status", *deployment_flags(q)),
        lambda sources, faults: faults.interrupt("GetQueueAttributes"),
        130,
        "interrupted",
    ),
    (
        "backfill: a dry run that found work",
        lambda q: ("backfill", *reconciler(q), "--dry-run"),
        lambda sources, faults: snapshot_without_copy(sources),
        0,
        "",
    ),
    (
        "backfill: enqueued",
        lambda q: ("backfill", *reconciler(q)),
        lambda sources, faults: snapshot_without_copy(sources),
        0,
        "",
    ),
    (
        "backfill: sends refused",
        lambda q: ("backfill", *reconciler(gone(q))),
        lambda sources, faults: snapshot_without_copy(sources),
        2,
        "could not be enqueued",
    ),
    (
        "backfill: no such reconciler",
        lambda q: ("backfill", "--function", "absent", "--region", SOURCE_REGION),
        None,
        2,
        "no function absent",
    ),
]


@pytest.mark.parametrize(
    ("argv", "arrange", "code", "message"), [pytest.param(*case[1:], id=case[0]) for case in STATE_CASES]
)
def test_status_and_backfill(
    aws: None, queues: Any, sources: Any, faults: Faults, argv: Callable, arrange: Any, code: int, message: str
) -> None:
    if arrange:
        arrange(sources, faults)
    outcome = main(*argv(queues.url))
    assert outcome.code == code, (outcome.out, outcome.err)
    assert message in outcome.err, outcome.err
    assert "Traceback" not in outcome.err


# -------------------------------------------------------------------------- package, terraformrc, demo


def test_package(tmp_path: Path) -> None:
    functions = tmp_path / "lambda"
    functions.mkdir()
    (functions / "handler.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    built = main("package", "--source", str(functions), "--output", str(tmp_path / "lambda.zip"))
    assert built.code == 0 and "lambda_package_hash" in built.out, built.err
    for argv in (
        ("--source", str(empty), "--output", str(tmp_path / "x.zip")),  # nothing to package
        ("--source", str(functions), "--output", str(blocker / "lambda.zip")),  # not writable there
    ):
        failed = main("package", *argv)
        assert failed.code == 2 and failed.err.startswith("error: cannot build the package"), failed.err


def test_terraformrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rds_snapshot_copy import terraform_cli

    monkeypatch.setattr(terraform_cli, "PLUGIN_CACHE", tmp_path / "plugins")
    monkeypatch.setattr(terraform_cli, "CONFIG_DIR", tmp_path / "config")
    terraform_cli.cli_config_file.cache_clear()
    try:
        written = main("terraformrc")
        assert written.code == 0 and written.out.strip().startswith(str(tmp_path / "config")), written.err
        terraform_cli.cli_config_file.cache_clear()
        (tmp_path / "blocked").write_text("")
        monkeypatch.setattr(terraform_cli, "CONFIG_DIR", tmp_path / "blocked" / "config")
        failed = main("terraformrc")
        assert failed.code == 2 and "cannot write the Terraform CLI configuration" in failed.err, failed.err
    finally:
        terraform_cli.cli_config_file.cache_clear()


def test_demo_without_its_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    import rds_snapshot_copy.demo

    monkeypatch.delattr(rds_snapshot_copy.demo, "run", raising=False)
    monkeypatch.setitem(sys.modules, "rds_snapshot_copy.demo.run", None)  # as if the [demo] extra were missing
    outcome = main("demo")
    assert outcome.code == 2 and "pip install" in outcome.err, outcome.err


# ------------------------------------------------------------------------------ usage: argparse's, exit 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("restores",), "invalid choice: 'restores'"),
        (("package", "--zip", "x"), "unrecognized arguments: --zip"),
        (("demo", "--repo"), "argument --repo: expected one argument"),
        (("terraformrc", "now"), "unrecognized arguments: now"),
        (("status", "--bogus"), "unrecognized arguments: --bogus"),
        (("backfill", "--dry-run"), "the following arguments are required: --function"),
        (("backfill", "--function", "f", "--days", "0"), "argument --days: expected a number of days"),
        (("backfill", "--function", "f", "--days", "2", "--all"), "not allowed with argument --days"),
        (("restore", "orders", "--poll-seconds", "soon", *REGIONS), "argument --poll-seconds: expected"),
        (("restore", "orders", "--port", "http", *REGIONS), "argument --port: expected"),
        (("drill", "--all", "--report", "/nonexistent/directory/drill.json", *REGIONS), "argument --report: no dir"),
        (("drill", "--all", "--report", "/", *REGIONS), "argument --report: '/' is a directory"),
        (("adopt", "--kind", "both", *REGIONS), "argument --kind: invalid choice: 'both'"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else None,
)
def test_a_bad_argument_is_argparses_usage_error(argv: tuple[str, ...], message: str) -> None:
    """Refused before any AWS call (no credentials needed), with the usage line, never a traceback."""
    outcome = main(*argv)
    assert outcome.code == 2, (outcome.out, outcome.err)
    assert outcome.err.startswith("usage: rds-snapshot-copy") and message in outcome.err, outcome.err
    assert "Traceback" not in outcome.err


# ------------------------------------------------------------------------------------------ the help


def test_the_scheme_is_in_the_top_level_help() -> None:
    from rds_snapshot_copy import exit_codes

    outcome = main("--help")
    assert outcome.code == 0
    text = " ".join(outcome.out.split())
    assert "exit status (the same for every command" in text
    for code, meaning in exit_codes.SCHEME.items():
        assert f"{code} {meaning}" in text
    assert "backfill --dry-run exit 0" in text  # a dry run's plan is not a finding


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_subcommands_help_says_what_its_codes_mean(command: str) -> None:
    from rds_snapshot_copy import exit_codes

    outcome = main(command, "--help")
    assert outcome.code == 0
    epilog = outcome.out[outcome.out.index("exit status (see rds-snapshot-copy --help):") :]
    codes = [int(line.split()[0]) for line in epilog.splitlines()[1:] if line[:2] == "  " and line.split()[0].isdigit()]
    assert 0 in codes and 2 in codes and 130 in codes, epilog
    assert set(codes) <= set(exit_codes.SCHEME), epilog
