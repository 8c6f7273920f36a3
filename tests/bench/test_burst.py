"""The burst benchmark, small: the real handler against the simulated RDS and SQS, in seconds."""

import io
import json

import pytest

from bench.burst import Scenario, ideal_makespan, main, make_workload

REQUIRED_KEYS = {
    "events",
    "copied",
    "lost",
    "duplicates",
    "dead_lettered",
    "api_calls",
    "makespan_hours",
    "ideal_makespan_hours",
    "waits",
    "max_in_progress",
}


def run(*args: str) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    main(["--events", "60", "--copy-limit", "5", *args], out=out, err=err)
    lines = out.getvalue().strip().splitlines()
    return json.loads(lines[-1]), err.getvalue()


@pytest.fixture(scope="module")
def default_run() -> tuple[dict, str]:
    return run()


def test_every_snapshot_is_copied_once_within_the_limit(default_run):
    report, _ = default_run
    assert report["copied"] == report["events"] == 60
    assert report["lost"] == 0
    assert report["duplicates"] == 0
    assert report["dead_lettered"] == 0
    assert report["max_in_progress"] <= 5
    assert report["waits"] > 0  # the burst had to wait for slots
    assert report["makespan_hours"] <= 1.1 * report["ideal_makespan_hours"]


def test_last_line_has_every_figure_for_both_designs(default_run):
    report, progress = default_run
    assert report.keys() >= REQUIRED_KEYS
    assert REQUIRED_KEYS - {"waits"} <= report["baseline"].keys()
    assert "[module] sim" in progress and "[tutorial] sim" in progress
    # The tutorial's design gives up within minutes while the slots are busy for hours.
    assert report["baseline"]["lost"] > 0
    assert report["baseline"]["copied"] + report["baseline"]["lost"] == 60


def test_the_race_of_concurrent_invocations_never_exceeds_the_limit():
    # No batching window: invocations then overlap often, which is the race under test.
    report, _ = run("--maximum-concurrency", "4", "--batching-window", "0", "--no-baseline", "--seed", "7")
    assert report["lost"] == 0
    assert report["duplicates"] == 0
    assert report["max_in_progress"] <= 5
    assert report["poller"]["max_in_flight"] > 1


def test_manual_snapshot_quota_below_the_burst_dead_letters_and_loses_nothing():
    report, _ = run("--manual-snapshot-quota", "20", "--no-baseline")
    assert report["copied"] == 20
    assert report["dead_lettered"] == 40
    assert report["lost"] == 0
    assert report["dead_letter_reasons"].keys() == {"function:ManualSnapshotQuotaExceeded"}
    assert report["alarms"]["dead_letter_queue_depth"]["fires"]
    assert report["alarms"]["dead_lettered"]["emf_sum"] >= 40


def test_the_ideal_is_a_greedy_schedule_above_the_bound():
    workload = make_workload(Scenario(events=50, seed=3))
    greedy, bound = ideal_makespan(workload, 5)
    assert bound <= greedy <= bound + max(workload.durations)


def test_the_reconciler_on_its_schedule_adds_no_message_to_a_waiting_snapshot_and_catches_a_missed_one():
    # No duplicate deliveries: then every snapshot's one message is its event's, or the reconciler's.
    report, progress = run("--missed-events", "3", "--duplicate-event-rate", "0", "--no-baseline")
    reconciler = report["reconciler"]
    assert report["copied"] == report["events"] == 60
    assert report["lost"] == 0
    assert report["duplicates"] == 0
    assert report["max_messages_per_snapshot"] == 1
    assert reconciler["messages_per_snapshot"] == {"1": 60}
    # Each missed snapshot got exactly one message, from the reconciler, and was copied; nothing else was sent.
    assert report["reconciler_enqueued"] == 3
    assert reconciler["missed_with_one_reconciler_message"] == reconciler["missed_copied"] == 3
    assert reconciler["enqueued_snapshots_not_missed"] == 0
    # Hourly while the copier works: the burst of 60 copies through 5 slots lasts hours.
    assert report["reconciler_runs"] >= report["makespan_hours"] - 1
    assert report["reconciler_api_calls"] > 4 * report["reconciler_runs"]
    # The copier recorded what it postponed: that is what kept the reconciler from enqueuing it again.
    assert reconciler["skipped_by_reason_summed_over_runs"]["requested"] > 0
    assert reconciler["table"]["by_state"] == {"waiting": reconciler["table"]["items"]}
    assert "reconciler: every 60 min" in progress


def test_without_the_reconciler_a_missed_event_is_lost():
    report, _ = run("--missed-events", "3", "--no-reconciler", "--no-baseline")
    assert report["copied"] == 57
    assert report["lost"] == 3
    assert "reconciler_runs" not in report
    assert "dynamodb:batch_write_item" not in report["api_calls_by_operation"]


def test_backup_account_mode_counts_the_share_step():
    out, err = io.StringIO(), io.StringIO()
    main(["--mode", "backup-account", "--events", "40"], out=out, err=err)
    report = json.loads(out.getvalue().strip().splitlines()[-1])
    as_is, share_copy = report["as-is"], report["share-copy"]
    for variant in (as_is, share_copy):
        assert variant["told_the_vault"] == 40 and variant["lost"] == 0
        calls = variant["calls_per_snapshot_by_operation"]
        # At least one share (restore attribute) and one message to the vault's queue per snapshot.
        assert calls["rds-source:modify_db_snapshot_attribute"] >= 1
        assert calls["sqs-vault:send_message"] >= 1
        assert variant["cleanup"]["still_shared_with_vault"] == 0
    assert as_is["share_copies"] == 0 and as_is["cleanup"]["share_copies_deleted"] == 0
    assert share_copy["share_copies"] == 40 and share_copy["cleanup"]["share_copies_deleted"] == 40
    assert share_copy["calls_per_snapshot_by_operation"]["rds-source:copy_db_snapshot"] >= 1
    # The share copy costs a copy's time and more calls before the vault hears of the snapshot.
    assert share_copy["minutes_to_vault_message"]["median"] > 5 * as_is["minutes_to_vault_message"]["median"]
    assert share_copy["api_calls_per_snapshot"] > as_is["api_calls_per_snapshot"]
    assert "share copies deleted" in out.getvalue() and "[share-copy] sim" in err.getvalue()


def test_backup_account_share_copies_are_bounded_by_the_source_manual_snapshot_quota():
    # Share copies are manual snapshots of the source account: its quota caps how many are alive at once, and
    # the rest go to the source side's dead-letter queue after their receives (the vault never hears of them).
    out, err = io.StringIO(), io.StringIO()
    main(["--mode", "backup-account", "--events", "40", "--source-manual-snapshot-quota", "15"], out=out, err=err)
    report = json.loads(out.getvalue().strip().splitlines()[-1])
    as_is, share_copy = report["as-is"], report["share-copy"]
    assert share_copy["told_the_vault"] == 15
    assert share_copy["lost"] == share_copy["dead_lettered_at_the_source"] == 25
    # Not lost for good: the clean-up after the burst catches the dead-lettered ones up as the quota lets it.
    assert "'MissedEventsCaughtUp': 15" in share_copy["cleanup"]["last_result"]
    assert share_copy["share_copies"] == 30
    assert share_copy["share_copies_refused_by_quota"] > 0
    assert as_is["lost"] == 0  # shared as it is: no snapshot made, no quota used
