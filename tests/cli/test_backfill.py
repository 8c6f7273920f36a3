"""`backfill`: the reconciler's run from a workstation, with the deployed reconciler's own settings (--function,
none by flag). A dry run sends nothing and lists each snapshot; a real run sends messages the copier accepts
and records them as the backfill's; --days (bounded) and --all set the window; --force re-sends what the copy
requests table holds back; the progress bar follows reconcile()'s callback; exit codes 0 / 1 / 2."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from rds_snapshot_copy import backfill, cli
from tests.cli.conftest import FUNCTION, deployment_function
from tests.cli.test_status import Run, consoles, create_requests_table, parse
from tests.unit.harness import (
    DESTINATION_REGION,
    REQUESTS_TABLE,
    SOURCE_REGION,
    Queues,
    SourceFactory,
    backdate_source,
    drop_automated_snapshots,
    invoke,
    our_copies,
    sqs_event,
)


@pytest.fixture(autouse=True)
def _no_cached_clients(aws: None, fresh_clients: None) -> Iterator[None]:
    yield


def reconciler(queues: Queues, name: str = FUNCTION, **env: str) -> tuple[str, ...]:
    """A deployed reconciler whose environment is the module's essentials and `env`: the flags naming it."""
    deployment_function(
        {"SOURCE_REGION": SOURCE_REGION, "DESTINATION_REGION": DESTINATION_REGION, "COPY_QUEUE_URL": queues.url, **env},
        name,
    )
    return ("--function", name, "--region", SOURCE_REGION)


def run_backfill(*argv: str, progress: backfill.SendProgress | None = None) -> Run:
    out, err = consoles()
    code = backfill.run(
        parse(backfill.add_arguments, *argv), now=datetime.now(UTC), stdout=out, stderr=err, progress=progress
    )
    return Run(code, out.file.getvalue(), err.file.getvalue())


def taken_off(queues: Queues) -> list[dict[str, Any]]:
    """Every message on the copier's queue (removed from it)."""
    out: list[dict[str, Any]] = []
    while answer := queues.sqs.receive_message(
        QueueUrl=queues.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=600
    ).get("Messages"):
        out.extend(answer)
    return out


@pytest.fixture
def old_and_new(queues: Queues, sources: SourceFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two snapshots without a copy: one 100 days old (before the module, say), one 2 days old."""
    old = sources.db_snapshot("orders-old", instance="orders")
    backdate_source("orders-old", hours=100 * 24)
    new = sources.db_snapshot("orders-new", instance="orders")
    backdate_source("orders-new", hours=2 * 24)
    drop_automated_snapshots()
    return old, new


def test_dry_run_lists_each_snapshot_and_sends_nothing(old_and_new: tuple, queues: Queues) -> None:
    old, new = old_and_new
    deployed = reconciler(queues)

    run = run_backfill(*deployed, "--dry-run")

    assert run.code == 0, run.err
    assert taken_off(queues) == []
    assert new["DBSnapshotArn"] in run.out
    assert old["DBSnapshotArn"] not in run.out  # older than the retention (35 days by default)
    assert "dry run: would enqueue 1 snapshot(s) from the last 35 day(s); nothing was sent" in run.out
    assert "older than the window (retention would prune its copy)" in run.out

    document = json.loads(run_backfill(*deployed, "--dry-run", "--all", "--json").out)
    assert document["dry_run"] is True and document["window_days"] is None and document["force"] is False
    assert document["enqueued"] == [old["DBSnapshotArn"], new["DBSnapshotArn"]]  # oldest first
    assert [(s["source"], s["kind"], s["snapshot_type"]) for s in document["snapshots"]] == [
        ("orders", "db", "manual"),
        ("orders", "db", "manual"),
    ]
    assert document["snapshots"][1]["arn"] == new["DBSnapshotArn"]
    assert datetime.fromisoformat(document["snapshots"][0]["created"]) < datetime.fromisoformat(
        document["snapshots"][1]["created"]
    )
    assert document["skipped"] == {}
    assert taken_off(queues) == []


def test_backfill_sends_what_the_copier_copies_and_records_it(
    function_env: dict, old_and_new: tuple, queues: Queues, destination_rds: Any
) -> None:
    _, new = old_and_new
    dynamodb = create_requests_table()
    deployed = reconciler(queues, REQUESTS_TABLE=REQUESTS_TABLE)

    run = run_backfill(*deployed, "--json")

    assert run.code == 0, run.err
    summary = json.loads(run.out)
    assert set(summary) == {*backfill.SUMMARY_KEYS, "force"}
    assert (summary["enqueued"], summary["failed"], summary["dry_run"]) == ([new["DBSnapshotArn"]], [], False)
    assert summary["skipped"] == {"older_than_window": 1}
    (message,) = taken_off(queues)
    assert message["MessageAttributes"]["origin"]["StringValue"] == "backfill"
    item = dynamodb.get_item(TableName=REQUESTS_TABLE, Key={"source_snapshot_arn": {"S": new["DBSnapshotArn"]}})
    assert (item["Item"]["state"]["S"], item["Item"]["by"]["S"]) == ("enqueued", "backfill")

    assert invoke(sqs_event(queues.records([message["Body"]]))) == {"batchItemFailures": []}
    (copy,) = our_copies(destination_rds)
    assert copy["DBInstanceIdentifier"] == "orders"

    # Requested now: a second backfill sends nothing again.
    again = json.loads(run_backfill(*deployed, "--json").out)
    assert again["enqueued"] == []
    assert again["already_copied"] == 1


def test_force_sends_what_the_requests_table_holds_back(old_and_new: tuple, queues: Queues) -> None:
    """A request recorded an hour ago (its message lost, say) holds the snapshot back for REREQUEST_AFTER_HOURS;
    --force sends it now, and records the new request."""
    _, new = old_and_new
    dynamodb = create_requests_table()
    deployed = reconciler(queues, REQUESTS_TABLE=REQUESTS_TABLE)
    assert json.loads(run_backfill(*deployed, "--json").out)["enqueued"] == [new["DBSnapshotArn"]]
    taken_off(queues)  # the message is lost
    key = {"source_snapshot_arn": {"S": new["DBSnapshotArn"]}}
    first = int(dynamodb.get_item(TableName=REQUESTS_TABLE, Key=key)["Item"]["requested_at"]["N"])
    dynamodb.update_item(
        TableName=REQUESTS_TABLE,
        Key=key,
        UpdateExpression="SET requested_at = :t",
        ExpressionAttributeValues={":t": {"N": str(first - 3600)}},
    )

    held = json.loads(run_backfill(*deployed, "--dry-run", "--json").out)
    forced_plan = json.loads(run_backfill(*deployed, "--dry-run", "--force", "--json").out)
    forced = json.loads(run_backfill(*deployed, "--force", "--json").out)

    assert (held["enqueued"], held["skipped"]) == ([], {"older_than_window": 1, "requested": 1})
    assert forced_plan["enqueued"] == forced["enqueued"] == [new["DBSnapshotArn"]]
    assert forced["force"] is True and forced["skipped"] == {"older_than_window": 1}
    (message,) = taken_off(queues)
    assert json.loads(message["Body"])["detail"]["SourceArn"] == new["DBSnapshotArn"]
    item = dynamodb.get_item(TableName=REQUESTS_TABLE, Key=key)["Item"]
    assert (int(item["requested_at"]["N"]) >= first, item["by"]["S"]) == (True, "backfill")


def test_grace_and_filter_are_the_deployed_reconcilers(queues: Queues, sources: SourceFactory) -> None:
    """What the reconciler would not enqueue, backfill does not either: a snapshot within GRACE_MINUTES (its own
    event is still expected), one of a source the filter leaves out."""
    young = sources.db_snapshot("orders-young", instance="orders")
    sources.db_snapshot("scratch-1", instance="scratch-db")
    old = sources.db_snapshot("orders-old", instance="orders")
    backdate_source("orders-old", hours=2)
    drop_automated_snapshots()
    deployed = reconciler(queues, GRACE_MINUTES="15", SOURCE_FILTER=json.dumps({"exclude_identifiers": ["scratch-*"]}))

    document = json.loads(run_backfill(*deployed, "--dry-run", "--json").out)

    assert document["enqueued"] == [old["DBSnapshotArn"]]
    assert young["DBSnapshotArn"] not in document["enqueued"]
    assert document["skipped"] == {"in_grace": 1, "filtered": 1}


@pytest.mark.parametrize(
    ("window", "sent"),
    [((), ["new"]), (("--days", "10"), ["new"]), (("--days", "101"), ["old", "new"]), (("--all",), ["old", "new"])],
)
def test_days_and_all_set_the_window(old_and_new: tuple, queues: Queues, window: tuple, sent: list[str]) -> None:
    arns = dict(zip(("old", "new"), (s["DBSnapshotArn"] for s in old_and_new), strict=True))

    run = run_backfill(*reconciler(queues), *window, "--json")

    assert run.code == 0, run.err
    assert json.loads(run.out)["enqueued"] == [arns[name] for name in sent]
    assert sorted(json.loads(m["Body"])["detail"]["SourceArn"] for m in taken_off(queues)) == sorted(
        arns[name] for name in sent
    )
    # A window past the retention is sent, with a word on what the pruner does with such copies.
    assert ("RETENTION_DAYS is 35" in run.err) == ("old" in sent)


def test_window_defaults_to_the_functions_retention(old_and_new: tuple, queues: Queues) -> None:
    run = run_backfill(*reconciler(queues, RETENTION_DAYS="120"), "--dry-run", "--json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert document["window_days"] == 120
    assert len(document["enqueued"]) == 2


def test_the_progress_bar_follows_the_sends(queues: Queues, sources: SourceFactory) -> None:
    for index in range(12):
        sources.db_snapshot(f"orders-{index}", instance="orders")
    drop_automated_snapshots()
    err = Console(file=io.StringIO(), width=120)
    progress = backfill.SendProgress(err)

    run = run_backfill(*reconciler(queues), progress=progress)

    assert run.code == 0, run.err
    assert progress.updates == [(0, 12), (10, 12), (12, 12)]  # one update per SendMessageBatch of 10
    (task,) = progress.bar.tasks
    assert (task.completed, task.total, task.description) == (12, 12, "enqueueing")
    assert "enqueued 12 of 12 snapshot(s) without a copy from the last 35 day(s)" in run.out
    assert len(taken_off(queues)) == 12


def gone_queue(queues: Queues) -> Queues:
    """The deployment's queue URL, pointing at a queue that does not exist."""
    return dataclasses.replace(queues, url=queues.url.rsplit("/", 1)[0] + "/no-such-queue")


def test_exit_2_when_sends_fail(aws: None, queues: Queues, sources: SourceFactory) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()

    run = run_backfill(*reconciler(gone_queue(queues)))

    assert run.code == 2  # an AWS error (exit_codes)
    assert f"1 snapshot(s) could not be enqueued: {snapshot['DBSnapshotArn']}" in run.err.replace("\n", "")


def test_exit_2_still_prints_the_json_summary(aws: None, queues: Queues, sources: SourceFactory) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()

    run = run_backfill(*reconciler(gone_queue(queues)), "--json")

    assert run.code == 2
    summary = json.loads(run.out)
    assert summary["enqueued"] == [] and summary["candidates"] == 1 and not summary["dry_run"]
    assert summary["failed"] == [f"{snapshot['DBSnapshotArn']}: AWS.SimpleQueueService.NonExistentQueue"]
    assert set(summary) == {*backfill.SUMMARY_KEYS, "force"}


def test_exit_2_on_bad_input(aws: None, queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_backfill(*reconciler(queues, RETENTION_DAYS="0"))
    assert (run.code, run.out) == (2, "")
    assert "RETENTION_DAYS must be at least 1" in run.err
    for argv in (("--days", "0"), ("--days", "soon"), ("--days", "inf"), ("--days", "nan"), ("--days", "3", "--all")):
        with pytest.raises(SystemExit) as exit_:
            parse(backfill.add_arguments, "--function", FUNCTION, *argv)
        assert exit_.value.code == 2
    assert (
        "argument --days: expected a number of days more than 0 and at most 36500, got '0'" in capsys.readouterr().err
    )
    run = run_backfill("--function", "absent", "--region", SOURCE_REGION)
    assert run.code == 2 and f"no function absent in {SOURCE_REGION}" in run.err
    assert taken_off(queues) == []


@pytest.mark.parametrize("days", ["1000000", "1e308", "36500.5"])
def test_absurd_days_are_refused_by_flag(queues: Queues, capsys: pytest.CaptureFixture[str], days: str) -> None:
    """0.4.0: a window of 1e6 or 1e308 days ended in OverflowError (its start is before year 1)."""
    deployed = reconciler(queues)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["backfill", *deployed, "--days", days, "--dry-run"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --days: expected a number of days more than 0 and at most 36500, got '{days}'" in err
    assert "Traceback" not in err


def test_settings_cannot_be_given_by_flag(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    """A backfill by flags could not mirror the deployment (no grace flag, the table optional): the reconciler's
    settings come from --function only."""
    flags = ("--source-region", SOURCE_REGION, "--destination-region", DESTINATION_REGION, "--queue-url", queues.url)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["backfill", *flags, "--dry-run"])
    assert exit_.value.code == 2
    assert "the following arguments are required: --function" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["backfill", *reconciler(queues), "--requests-table", "other", "--dry-run"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --requests-table other" in capsys.readouterr().err
    assert taken_off(queues) == []


def test_exit_2_when_aws_cannot_be_read(aws: None, queues: Queues, sources: SourceFactory) -> None:
    sources.db_snapshot("orders-1", instance="orders")
    run = run_backfill(*reconciler(queues, REQUESTS_TABLE="missing-table"))
    assert run.code == 2
    assert "cannot read the deployment's state from AWS (nothing sent)" in run.err
    assert taken_off(queues) == []
