"""`backfill`: the reconciler's run from a workstation. A dry run sends nothing and lists each snapshot; a
real run sends messages the copier accepts and records them as the backfill's; --days and --all set the
window; the progress bar follows reconcile()'s callback; exit codes 0 / 1 / 2."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from rich.console import Console

from rds_snapshot_copy import backfill
from tests.cli.test_status import FUNCTION, Run, consoles, create_requests_table, flags, module_environment, parse
from tests.cli.test_status import reconciler_function as make_reconciler
from tests.unit.harness import (
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

    run = run_backfill(*flags(queues), "--dry-run")

    assert run.code == 0, run.err
    assert taken_off(queues) == []
    assert new["DBSnapshotArn"] in run.out
    assert old["DBSnapshotArn"] not in run.out  # older than the retention (35 days by default)
    assert "dry run: would enqueue 1 snapshot(s) from the last 35 day(s); nothing was sent" in run.out
    assert "older than the window (retention would prune its copy)" in run.out

    document = json.loads(run_backfill(*flags(queues), "--dry-run", "--all", "--json").out)
    assert document["dry_run"] is True and document["window_days"] is None
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

    run = run_backfill(*flags(queues, "--requests-table", REQUESTS_TABLE), "--json")

    assert run.code == 0, run.err
    summary = json.loads(run.out)
    assert set(summary) == set(backfill.SUMMARY_KEYS)
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
    again = json.loads(run_backfill(*flags(queues, "--requests-table", REQUESTS_TABLE), "--json").out)
    assert again["enqueued"] == []
    assert again["already_copied"] == 1


@pytest.mark.parametrize(
    ("window", "sent"),
    [((), ["new"]), (("--days", "10"), ["new"]), (("--days", "101"), ["old", "new"]), (("--all",), ["old", "new"])],
)
def test_days_and_all_set_the_window(old_and_new: tuple, queues: Queues, window: tuple, sent: list[str]) -> None:
    arns = dict(zip(("old", "new"), (s["DBSnapshotArn"] for s in old_and_new), strict=True))

    run = run_backfill(*flags(queues), *window, "--json")

    assert run.code == 0, run.err
    assert json.loads(run.out)["enqueued"] == [arns[name] for name in sent]
    assert sorted(json.loads(m["Body"])["detail"]["SourceArn"] for m in taken_off(queues)) == sorted(
        arns[name] for name in sent
    )
    # A window past the retention is sent, with a word on what the pruner does with such copies.
    assert ("RETENTION_DAYS is 35" in run.err) == ("old" in sent)


def test_window_defaults_to_the_functions_retention(old_and_new: tuple, queues: Queues) -> None:
    make_reconciler(boto3.client("lambda", region_name=SOURCE_REGION), module_environment(queues, RETENTION_DAYS="120"))
    run = run_backfill("--function", FUNCTION, "--dry-run", "--json")
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

    run = run_backfill(*flags(queues), progress=progress)

    assert run.code == 0, run.err
    assert progress.updates == [(0, 12), (10, 12), (12, 12)]  # one update per SendMessageBatch of 10
    (task,) = progress.bar.tasks
    assert (task.completed, task.total, task.description) == (12, 12, "enqueueing")
    assert "enqueued 12 of 12 snapshot(s) without a copy from the last 35 day(s)" in run.out
    assert len(taken_off(queues)) == 12


def test_exit_1_when_sends_fail(aws: None, queues: Queues, sources: SourceFactory) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    gone = queues.url.rsplit("/", 1)[0] + "/no-such-queue"

    run = run_backfill(*flags(queues, "--queue-url", gone))

    assert run.code == 1
    assert f"1 snapshot(s) could not be enqueued: {snapshot['DBSnapshotArn']}" in run.err.replace("\n", "")


def test_exit_1_still_prints_the_json_summary(aws: None, queues: Queues, sources: SourceFactory) -> None:
    snapshot = sources.db_snapshot("orders-1", instance="orders")
    drop_automated_snapshots()
    gone = queues.url.rsplit("/", 1)[0] + "/no-such-queue"

    run = run_backfill(*flags(queues, "--queue-url", gone), "--json")

    assert run.code == 1
    summary = json.loads(run.out)
    assert summary["enqueued"] == [] and summary["candidates"] == 1 and not summary["dry_run"]
    assert summary["failed"] == [f"{snapshot['DBSnapshotArn']}: AWS.SimpleQueueService.NonExistentQueue"]
    assert set(summary) == set(backfill.SUMMARY_KEYS)


def test_exit_2_on_bad_input(aws: None, queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_backfill("--dry-run")
    assert run.code == 2
    assert "missing --source-region, --destination-region, --queue-url" in run.err
    run = run_backfill(*flags(queues, "--retention-days", "0"))
    assert (run.code, run.out) == (2, "")
    assert "--retention-days must be at least 1" in run.err
    for argv in (("--days", "0"), ("--days", "soon"), ("--days", "inf"), ("--days", "3", "--all")):
        with pytest.raises(SystemExit) as exit_:
            parse(backfill.add_arguments, *flags(queues), *argv)
        assert exit_.value.code == 2
    assert "expected a number of days more than 0, got '0'" in capsys.readouterr().err
    assert taken_off(queues) == []


def test_exit_2_when_aws_cannot_be_read(aws: None, queues: Queues, sources: SourceFactory) -> None:
    sources.db_snapshot("orders-1", instance="orders")
    run = run_backfill(*flags(queues, "--requests-table", "missing-table"))
    assert run.code == 2
    assert "cannot read the deployment's state from AWS (nothing sent)" in run.err
    assert taken_off(queues) == []
