"""`status` and how the command finds a deployment (deployment.py): settings from the reconciler function's
environment (a moto Lambda function) or from flags, the rows worst first, the JSON (the reconciler's own
entries), the queues, and the exit codes 0 / 1 / 2."""

from __future__ import annotations

import argparse
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import reconcile_snapshots
from rich.console import Console

from rds_snapshot_copy import deployment, status
from snapshot_copy.naming import target_identifier
from tests.unit.harness import (
    ACCOUNT,
    DESTINATION_REGION,
    REQUESTS_TABLE,
    SOURCE_REGION,
    LambdaContext,
    Queues,
    SourceFactory,
    backdate_source,
    cluster_event,
    db_event,
    drop_automated_snapshots,
    invoke,
    our_copies,
)

FUNCTION = "rds-snapshot-copy-reconcile"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        assert self.code in (0, 1), self.err
        return json.loads(self.out)


def parse(add_arguments: Callable[[argparse.ArgumentParser], None], *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def consoles() -> tuple[Console, Console]:
    """Consoles writing to strings, wide enough that no cell wraps (no colour: not a terminal)."""
    return Console(file=io.StringIO(), width=250), Console(file=io.StringIO(), width=250)


def run_status(*argv: str, now: datetime | None = None) -> Run:
    out, err = consoles()
    code = status.run(parse(status.add_arguments, *argv), now=now, stdout=out, stderr=err)
    return Run(code, out.file.getvalue(), err.file.getvalue())


def flags(queues: Queues, *extra: str) -> tuple[str, ...]:
    return (
        "--source-region",
        SOURCE_REGION,
        "--destination-region",
        DESTINATION_REGION,
        "--queue-url",
        queues.url,
        *extra,
    )


def reconciler_function(lambda_client: Any, env: dict[str, str], name: str = FUNCTION) -> str:
    """A reconciler function in moto (created without Docker; only invoking one needs it): its ARN."""
    iam = boto3.client("iam", region_name=SOURCE_REGION)
    role = iam.create_role(
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
        archive.writestr("reconcile_snapshots.py", "def lambda_handler(event, context):\n    return {}\n")
    return lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="reconcile_snapshots.lambda_handler",
        Code={"ZipFile": package.getvalue()},
        Environment={"Variables": env},
    )["FunctionArn"]


def module_environment(queues: Queues, **extra: str) -> dict[str, str]:
    """What the module gives its reconciler (modules/rds-snapshot-copy/reconcile.tf), trimmed."""
    return {
        "SOURCE_REGION": SOURCE_REGION,
        "DESTINATION_REGION": DESTINATION_REGION,
        "COPY_QUEUE_URL": queues.url,
        "RETENTION_DAYS": "14",
        "RPO_HOURS": "26",
        "SOURCE_FILTER": json.dumps({"exclude_identifiers": ["scratch-*"]}),
        "GRACE_MINUTES": "15",
        "REREQUEST_AFTER_HOURS": "73",
        **extra,
    }


def create_requests_table() -> Any:
    """The copy requests table as the module creates it (a DynamoDB client)."""
    dynamodb = boto3.client("dynamodb", region_name=SOURCE_REGION)
    dynamodb.create_table(
        TableName=REQUESTS_TABLE,
        AttributeDefinitions=[{"AttributeName": "source_snapshot_arn", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "source_snapshot_arn", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


@pytest.fixture(autouse=True)
def _no_cached_clients(aws: None, fresh_clients: None) -> Iterator[None]:
    reconcile_snapshots.clients_for.cache_clear()
    yield
    reconcile_snapshots.clients_for.cache_clear()


@pytest.fixture
def lambda_client(aws: None) -> Any:
    return boto3.client("lambda", region_name=SOURCE_REGION)


@pytest.fixture
def fleet(function_env: dict, queues: Queues, sources: SourceFactory, destination_rds: Any) -> SourceFactory:
    """orders (DB) copied an hour ago: within; ledger (cluster) copied 30 h ago: past the RPO (26 h);
    fresh (DB) created now without a copy: not within, not yet past."""
    orders = sources.db_snapshot("orders-1", instance="orders")
    backdate_source("orders-1", hours=1)
    ledger = sources.cluster_snapshot("ledger-1", cluster="ledger")
    backdate_source("ledger-1", hours=30, kind="cluster")
    invoke(db_event(orders))
    invoke(cluster_event(ledger))
    assert [len(our_copies(destination_rds, kind)) for kind in ("db", "cluster")] == [1, 1]
    sources.db_instance("fresh")
    drop_automated_snapshots()
    return sources


# -- where the settings come from


def test_settings_from_the_reconcilers_environment(lambda_client: Any, queues: Queues) -> None:
    arn = reconciler_function(lambda_client, module_environment(queues, REQUESTS_TABLE=REQUESTS_TABLE))

    for given in (("--function", FUNCTION, "--region", SOURCE_REGION), ("--function", arn)):
        found = deployment.load(parse(status.add_arguments, *given))
        config = found.config
        assert (config.source_region, config.destination_region) == (SOURCE_REGION, DESTINATION_REGION)
        assert config.copy_queue_url == queues.url
        assert (config.retention_days, config.rpo_hours, config.grace_minutes) == (14, 26.0, 15.0)
        assert config.requests_table == REQUESTS_TABLE
        assert config.source_filter.decide("scratch-1").selected is False
        assert config.source_filter.decide("orders").selected is True
        assert found.function == given[1]
        assert found.described_as == f"function {given[1]} ({SOURCE_REGION})"

    # The region defaults from the AWS configuration (AWS_DEFAULT_REGION is the source region here);
    # a flag overrides the function's value.
    found = deployment.load(parse(status.add_arguments, "--function", FUNCTION, "--rpo-hours", "12.5"))
    assert (found.config.rpo_hours, found.config.retention_days) == (12.5, 14)


def test_settings_from_flags(aws: None, queues: Queues) -> None:
    found = deployment.load(
        parse(
            status.add_arguments,
            *flags(queues, "--rpo-hours", "8", "--retention-days", "7", "--requests-table", REQUESTS_TABLE),
            "--source-filter",
            '{"include_identifiers": ["prod-*"]}',
        )
    )
    config = found.config
    assert (config.source_region, config.destination_region, config.copy_queue_url) == (
        SOURCE_REGION,
        DESTINATION_REGION,
        queues.url,
    )
    assert (config.rpo_hours, config.retention_days, config.requests_table) == (8.0, 7, REQUESTS_TABLE)
    assert config.source_filter.decide("prod-1").selected and not config.source_filter.decide("dev-1").selected
    assert found.function is None and found.described_as == "flags"
    # Defaults as the function has them.
    plain = deployment.load(parse(status.add_arguments, *flags(queues))).config
    assert (plain.rpo_hours, plain.retention_days, plain.requests_table) == (26.0, 35, None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "missing --source-region, --destination-region, --queue-url: give --function NAME"),
        (("--source-region", SOURCE_REGION), "missing --destination-region, --queue-url"),
        (("--function", "nope-reconcile"), f"no function nope-reconcile in {SOURCE_REGION}"),
        (("--function", "arn:aws:sqs:us-east-1:123456789012:q"), "is not a Lambda function ARN"),
        (
            ("--function", f"arn:aws:lambda:{SOURCE_REGION}:123456789012:function:x", "--region", "eu-west-1"),
            "--region eu-west-1 differs from the region of --function",
        ),
    ],
)
def test_missing_or_unknown_deployment_is_named_and_exits_2(aws: None, argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(deployment.DeploymentError, match=re.escape(message)):
        deployment.load(parse(status.add_arguments, *argv))
    run = run_status(*argv)
    assert run.code == 2
    assert run.out == ""
    assert message in run.err.replace("\n", " ")


def test_invalid_settings_name_the_flag_or_the_functions_variable(lambda_client: Any, queues: Queues) -> None:
    run = run_status(*flags(queues, "--rpo-hours", "0"))
    assert (run.code, run.err.strip()) == (2, "error: --rpo-hours must be more than 0, got '0'")
    run = run_status(*flags(queues, "--destination-region", SOURCE_REGION))
    assert run.code == 2 and "--source-region and --destination-region must differ" in run.err
    run = run_status(*flags(queues, "--source-filter", "[1]"))
    assert run.code == 2 and "--source-filter must be a JSON object" in run.err

    reconciler_function(lambda_client, module_environment(queues, RPO_HOURS="soon"))
    run = run_status("--function", FUNCTION)
    assert run.code == 2
    assert f"function {FUNCTION} ({SOURCE_REGION}): RPO_HOURS must be a number, got 'soon'" in run.err


def test_a_function_that_is_not_the_reconciler_is_named(lambda_client: Any, queues: Queues) -> None:
    reconciler_function(lambda_client, {"SOURCE_REGION": SOURCE_REGION}, name="rds-snapshot-copy")
    with pytest.raises(deployment.DeploymentError) as error:
        deployment.load(parse(status.add_arguments, "--function", "rds-snapshot-copy"))
    assert "has no DESTINATION_REGION, COPY_QUEUE_URL in its environment: is it the reconciler" in str(error.value)
    assert "--destination-region, --queue-url" in str(error.value)
    # The missing ones given by flag: fine.
    found = deployment.load(
        parse(
            status.add_arguments,
            "--function",
            "rds-snapshot-copy",
            "--destination-region",
            DESTINATION_REGION,
            "--queue-url",
            queues.url,
        )
    )
    assert found.config.copy_queue_url == queues.url


# -- the report


def test_rows_worst_first_and_exit_1_when_a_source_is_past_the_rpo(fleet: SourceFactory, queues: Queues) -> None:
    run = run_status(*flags(queues))

    assert run.code == 1, run.err
    report = run_status(*flags(queues), "--json").json()
    rows = status.rows(report["sources"])
    assert [(r["kind"], r["source"], r["within_rpo"]) for r in rows] == [
        ("cluster", "ledger", "NO"),
        ("db", "fresh", "no copy yet"),
        ("db", "orders", "yes"),
    ]
    ledger, fresh, orders = rows
    assert ledger["age"] == "30.0 h" and ledger["lag"] == "0.0 h"
    assert orders["age"] == "1.0 h"
    assert (fresh["newest_copy"], fresh["age"], fresh["newest_snapshot"]) == ("-", "-", "-")
    assert orders["newest_copy"] == orders["newest_snapshot"]
    assert orders["newest_copy"].endswith(" UTC")
    # The table shows the same cells, in the same order.
    lines = run.out.splitlines()
    positions = [
        next(i for i, line in enumerate(lines) if f" {name} " in line) for name in ("ledger", "fresh", "orders")
    ]
    assert positions == sorted(positions)
    assert "Newest copy (recovery point)" in run.out
    ledger_line = lines[positions[0]]
    assert "30.0 h" in ledger_line and " NO " in ledger_line
    assert "RPO 26 h: 1 of 3 source(s) past it" in run.out
    assert "\x1b[" not in run.out  # no colour when not a terminal


def test_json_sources_are_the_reconcilers_entries(
    fleet: SourceFactory, queues: Queues, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = run_status(*flags(queues), "--json").json()

    assert set(document) == {"rpo_hours", "now", "sources", "legacy_copies", "broken_copies", "queue", "steady_state"}
    assert document["rpo_hours"] == 26.0
    for name, value in (
        ("SOURCE_REGION", SOURCE_REGION),
        ("DESTINATION_REGION", DESTINATION_REGION),
        ("COPY_QUEUE_URL", queues.url),
    ):
        monkeypatch.setenv(name, value)
    returned = reconcile_snapshots.lambda_handler({}, LambdaContext(function_name=FUNCTION))["sources"]

    def without_age(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "recovery_point_age_hours"} for e in entries]

    assert without_age(document["sources"]) == without_age(returned)
    for ours, theirs in zip(document["sources"], returned, strict=True):
        if theirs["recovery_point_age_hours"] is None:
            assert ours["recovery_point_age_hours"] is None
        else:  # measured a moment apart
            assert ours["recovery_point_age_hours"] == pytest.approx(theirs["recovery_point_age_hours"], abs=0.01)
    contract = {"source", "kind", "recovery_point", "recovery_point_age_hours", "within_rpo"}
    assert all(contract <= set(e) for e in document["sources"])
    assert {e["source"]: e["past_rpo"] for e in document["sources"]} == {
        "orders": False,
        "ledger": True,
        "fresh": False,
    }


def test_exit_0_when_every_source_is_within_the_rpo_read_from_the_function(
    function_env: dict, lambda_client: Any, queues: Queues, sources: SourceFactory
) -> None:
    invoke(db_event(sources.db_snapshot("orders-1", instance="orders")))
    drop_automated_snapshots()
    reconciler_function(lambda_client, module_environment(queues))

    run = run_status("--function", FUNCTION)

    assert run.code == 0, run.err
    assert "RPO 26 h: no source past it (1)" in run.out
    assert f"Recovery points (function {FUNCTION} ({SOURCE_REGION}))" in run.out
    # A stricter RPO given by flag makes the same copy late.
    backdate_source("orders-1", hours=3)
    assert run_status("--function", FUNCTION, "--rpo-hours", "2").code == 1


def test_no_sources_is_not_a_failure(aws: None, queues: Queues) -> None:
    run = run_status(*flags(queues))
    assert run.code == 0, run.err
    assert "no source database or cluster is selected" in run.out
    assert run_status(*flags(queues), "--json").json()["sources"] == []


def test_queue_and_dead_letter_counts(aws: None, queues: Queues) -> None:
    for body in ("a", "b"):
        queues.sqs.send_message(QueueUrl=queues.url, MessageBody=body)
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody="dead")
    queues.sqs.receive_message(QueueUrl=queues.url, MaxNumberOfMessages=1, VisibilityTimeout=600)

    document = run_status(*flags(queues), "--json").json()

    assert document["queue"] == {
        "url": queues.url,
        "visible": 1,
        "in_flight": 1,
        "delayed": 0,
        "dead_letter": {"url": queues.dlq_url, "arn": queues.dlq_arn, "visible": 1, "in_flight": 0, "delayed": 0},
    }
    text = run_status(*flags(queues)).out
    assert "events queue rds-snapshot-copy: 1 waiting, 1 in flight, 0 delayed" in text
    assert "dead-letter queue rds-snapshot-copy-dlq: 1 message(s)" in text


def test_a_queue_without_redrive_policy_has_no_dead_letter_queue(aws: None) -> None:
    url = boto3.client("sqs", region_name=SOURCE_REGION).create_queue(QueueName="bare")["QueueUrl"]
    args = ("--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION, "--queue-url", url)
    assert run_status(*args, "--json").json()["queue"]["dead_letter"] is None
    assert "dead-letter queue: none" in run_status(*args).out


def test_waiting_and_dead_lettered_from_the_requests_table(aws: None, queues: Queues, sources: SourceFactory) -> None:
    dynamodb = create_requests_table()
    waiting = sources.db_snapshot("orders-1", instance="orders")
    dead = sources.db_snapshot("orders-2", instance="orders")
    drop_automated_snapshots()
    requested = str(int(datetime.now(UTC).timestamp()) - 3600)
    for snapshot, state in ((waiting, "waiting"), (dead, "dead_lettered")):
        dynamodb.put_item(
            TableName=REQUESTS_TABLE,
            Item={
                "source_snapshot_arn": {"S": snapshot["DBSnapshotArn"]},
                "state": {"S": state},
                "requested_at": {"N": requested},
                "by": {"S": "copier"},
            },
        )

    run = run_status(*flags(queues, "--requests-table", REQUESTS_TABLE))

    (row,) = status.rows(run_status(*flags(queues, "--requests-table", REQUESTS_TABLE), "--json").json()["sources"])
    assert (row["waiting"], row["dead_lettered"], row["in_progress"]) == ("1", "1", "0")
    assert run.code == 0  # created moments ago: not late yet
    # status never enqueues
    assert queues.sqs.receive_message(QueueUrl=queues.url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_exit_2_when_aws_cannot_be_read(aws: None, queues: Queues) -> None:
    gone = queues.url.rsplit("/", 1)[0] + "/no-such-queue"
    run = run_status("--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION, "--queue-url", gone)
    assert run.code == 2
    assert run.out == ""
    assert "cannot read the deployment's state from AWS" in run.err
    # A requests table that does not exist, with a snapshot to look up.
    sources = SourceFactory(boto3.client("rds", region_name=SOURCE_REGION))
    sources.db_snapshot("orders-1", instance="orders")
    run = run_status(*flags(queues, "--requests-table", "missing-table"))
    assert run.code == 2 and "ResourceNotFoundException" in run.err


def test_format_helpers() -> None:
    assert [status.format_hours(h) for h in (None, 0.04, 47.96, 50)] == ["-", "0.0 h", "48.0 h", "2.1 d"]
    assert status.format_time("2024-05-01T03:04:05+02:00") == "2024-05-01 01:04 UTC"
    assert status.format_time(None) == "-"


def test_output_that_is_not_a_terminal_is_wide_and_plain() -> None:
    console = status.console_for(io.StringIO())
    assert console.width >= status.NON_TERMINAL_WIDTH
    assert not console.is_terminal and console.color_system is None


# -- issue 15: whose copies and the data's time, as `status` shows them. These run against 0.4.0 too.

# tagging.TAG_DEPLOYMENT, spelled out so that this file also runs against 0.4.0 (which has no such tag).
DEPLOYMENT_TAG = "snapshot_copy_deployment"


def copy_of(snapshot: dict[str, Any], deployment: str | None = "rds-snapshot-copy") -> dict[str, Any]:
    """A copy of a source DB snapshot at the copier's name with the copier's tags: of `deployment` (the
    default one, which a deployment given by flags is), or without the deployment tag, as 0.4.x made it."""
    arn = snapshot["DBSnapshotArn"]
    tags = {"source_region": SOURCE_REGION, "source_snapshot_arn": arn}
    if deployment is not None:
        tags[DEPLOYMENT_TAG] = deployment
    return boto3.client("rds", region_name=DESTINATION_REGION).copy_db_snapshot(
        SourceDBSnapshotIdentifier=arn,
        TargetDBSnapshotIdentifier=target_identifier(snapshot["DBSnapshotIdentifier"], arn, "db"),
        SourceRegion=SOURCE_REGION,
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )["DBSnapshot"]


def test_an_in_region_copy_shows_the_age_of_its_data(aws: None, queues: Queues, sources: SourceFactory) -> None:
    """The newest copy is 50 h old; an operator copies a 30-hour-old snapshot inside the source region (to
    share it) and the copier copies that. Its data is 30 h old: past the 26 h RPO, exit 1. On 0.4.0 `status`
    showed the in-region copy's SnapshotCreateTime: age 0.0 h, within the RPO, exit 0."""
    old = sources.db_snapshot("orders-50h", instance="orders")
    backdate_source("orders-50h", hours=50)
    sources.db_snapshot("orders-30h", instance="orders")
    backdate_source("orders-30h", hours=30)
    shared = sources.rds.copy_db_snapshot(
        SourceDBSnapshotIdentifier="orders-30h", TargetDBSnapshotIdentifier="orders-30h-shared"
    )["DBSnapshot"]
    drop_automated_snapshots()
    copy_of(old)
    copy_of(shared)

    run = run_status(*flags(queues))

    assert run.code == 1, run.err
    (row,) = status.rows(run_status(*flags(queues), "--json").json()["sources"])
    assert (row["age"], row["lag"], row["within_rpo"]) == ("30.0 h", "0.0 h", "NO")
    assert "RPO 26 h: 1 of 1 source(s) past it" in run.out


def test_copies_made_by_0_4_are_listed_but_are_no_recovery_point(
    aws: None, queues: Queues, sources: SourceFactory
) -> None:
    """After the upgrade, a 0.4.x copy (no deployment tag) and another deployment's copy are no recovery point
    of this one: the database, two days old, is past the RPO; the 0.4.x copy is counted with the hint to adopt
    it. On 0.4.0 either copy was the recovery point: within the RPO, exit 0."""
    from moto.rds.models import rds_backends

    legacy = sources.db_snapshot("orders-1", instance="orders")
    backdate_source("orders-1", hours=2)
    theirs = sources.db_snapshot("billing-1", instance="billing")
    backdate_source("billing-1", hours=2)
    for name in ("orders", "billing"):
        rds_backends[ACCOUNT][SOURCE_REGION].databases[name].instance_create_time = datetime.now(UTC) - timedelta(
            days=2
        )
    drop_automated_snapshots()
    copy_of(legacy, deployment=None)
    copy_of(theirs, deployment="dev")

    run = run_status(*flags(queues))

    assert run.code == 1, run.err
    document = run_status(*flags(queues), "--json").json()
    assert (document["legacy_copies"], document["broken_copies"]) == (1, 0)
    by_source = {row["source"]: row for row in status.rows(document["sources"])}
    assert by_source["orders"]["within_rpo"] == "NO (0.4.x copies only)"
    assert by_source["billing"]["within_rpo"] == "NO (no copy)"
    assert {e["source"]: e["legacy_copies"] for e in document["sources"]} == {"orders": 1, "billing": 0}
    text = " ".join(run.out.split())
    assert "copies made by 0.4.x (no deployment tag), not counted as recovery points: 1;" in text
    assert "run `rds-snapshot-copy adopt`" in text


# -- backup-account mode (issue 17): a vault's sources are per (account, database)


def test_a_vaults_status_has_a_row_per_account_and_database(
    lambda_client: Any, function_env: dict, queues: Queues, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.harness import OTHER_ACCOUNT, SOURCE_ACCOUNT, account_sources, share
    from tests.unit.test_vault_copy import created

    accounts = f"{SOURCE_ACCOUNT},{OTHER_ACCOUNT}"
    monkeypatch.setenv("SOURCE_ACCOUNT_IDS", accounts)  # the copier's
    reconciler_function(lambda_client, module_environment(queues, SOURCE_ACCOUNT_IDS=accounts))
    first, second = account_sources(SOURCE_ACCOUNT), account_sources(OTHER_ACCOUNT)
    copied = first.db_snapshot("orders-1", instance="orders")
    share(first, copied)
    invoke(created(copied))  # the vault copies the first account's orders
    share(second, second.db_snapshot("orders-1", instance="orders"))  # the second's is not copied yet

    document = run_status("--function", FUNCTION, "--json").json()
    by_account = {(e["account"], e["source"]): e for e in document["sources"]}
    assert set(by_account) == {(SOURCE_ACCOUNT, "orders"), (OTHER_ACCOUNT, "orders")}
    assert by_account[(SOURCE_ACCOUNT, "orders")]["within_rpo"] is True
    assert by_account[(OTHER_ACCOUNT, "orders")]["recovery_point"] is None
    table = run_status("--function", FUNCTION)
    assert "Account" in table.out
    lines = {account: [line for line in table.out.splitlines() if account in line] for account in accounts.split(",")}
    assert [len(found) for found in lines.values()] == [1, 1]
    assert " orders " in lines[SOURCE_ACCOUNT][0] and " yes " in lines[SOURCE_ACCOUNT][0]
    assert " orders " in lines[OTHER_ACCOUNT][0] and " no copy yet " in lines[OTHER_ACCOUNT][0]


def test_a_single_account_status_has_no_account_column(fleet: SourceFactory, queues: Queues) -> None:
    run = run_status(*flags(queues))
    assert "Account" not in run.out
    assert all("account" not in e for e in run_status(*flags(queues), "--json").json()["sources"])


# -- the retention rules' steady state (snapshot_copy.sizing) against the quota


def test_the_steady_state_of_the_pruners_rules_against_the_quota() -> None:
    entries = [{"kind": "db"}] * 4 + [{"kind": "cluster"}]
    state = status.steady_state({"PRUNE_RETENTION_DAYS": "35", "KEEP_LAST": "3"}, entries)
    assert (state["copies"], state["peak"], state["kinds"]["db"]["at_peak"]) == (35, 36, 144)
    assert status.steady_state_lines(state) == [
        "steady state (db snapshots): 35 copies per source (36 at the peak, before the daily prune), 4 source(s) "
        "-> 144 of the manual snapshot quota 100 (144%), AWS's default quota",
        "steady state (cluster snapshots): 35 copies per source (36 at the peak, before the daily prune), 1 "
        "source(s) -> 36 of the manual snapshot quota 100 (36%), AWS's default quota",
    ]
    gfs = {"PRUNE_RETENTION_DAYS": "1", "KEEP_LAST": "1", "KEEP_DAILY": "7", "KEEP_WEEKLY": "4", "KEEP_MONTHLY": "12"}
    assert status.steady_state(gfs, entries)["peak"] == 22
    json.dumps(state)  # the --json document carries it


def test_no_steady_state_line_without_the_rules_and_a_warning_when_pruning_is_off() -> None:
    assert status.steady_state({}, []) is None and status.steady_state_lines(None) == []
    off = status.steady_state({"KEEP_LAST": "3"}, [{"kind": "db"}])
    assert status.steady_state_lines(off) == [
        "steady state: pruning is off (retention_days null): copies accumulate until the quota is full"
    ]
