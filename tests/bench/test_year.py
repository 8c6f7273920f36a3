"""The year benchmark, short: every function together with every fault on, the invariants checked; and the
runs that must break them (no reconciler, the 0.4.0 ownership rule) do, and say how many."""

import io
import itertools
import json
import random
from types import SimpleNamespace

import pytest

from bench.sim import Sim
from bench.year import YearScenario, main
from bench.year_alarms import alarms, evaluate
from bench.year_backup import SOURCE_ACCOUNT
from bench.year_checks import check_quota
from bench.year_faults import FaultRates, plan
from bench.year_run import EPOCH, Recorder, YearRun
from bench.year_world import Copy, World

# The short year `make test` runs: 20 sources for 30 days, every fault on. RETENTION_DAYS 7 keeps the
# destination small: the copier and the reconciler classify every copy in it on every listing.
SHORT = ["--sources", "20", "--days", "30", "--retention-days", "7"]


def run(*args: str) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*args], out=out, err=err)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, "the figures are one JSON line"
    return status, json.loads(lines[0]), err.getvalue()


@pytest.fixture(scope="module")
def short_year() -> tuple[int, dict, str]:
    return run(*SHORT)


def test_the_short_year_keeps_every_invariant_with_every_fault_on(short_year):
    status, report, _ = short_year
    assert status == 0, report["invariants"]
    assert report["invariants"]["broken"] == 0
    assert report["copies_lost"] == 0
    assert report["foreign_copies_deleted"] == 0
    assert report["copies_made"] + report["dead_lettered_with_reason"] == report["snapshots"]
    # Every fault happened: events lost, duplicated and late, throttling, a killed invocation, a refused key,
    # the quota reached, missed reconciler runs, and each window was placed inside the run.
    events = report["events"]
    assert events["lost"] > 0 and events["duplicated"] > 0 and events["late"] > 0 and events["outage"] > 0
    assert report["invocations_killed"] > 0
    assert report["refusals"]["key_disabled"] > 0
    assert report["dead_letter_reasons"].get("function:KMSKeyNotAccessibleFault", 0) > 0
    assert report["refusals"]["db:manual_snapshot_quota"] > 0
    assert report["reconciler"]["missed"] > 0 and report["reconciler"]["enqueued"] > 0
    assert {f["fault"] for f in report["faults"]} >= {
        "source-region outage",
        "destination copy stall",
        "manual snapshot quota reached",
        "reconciler not running",
        "key disabled",
    }
    assert max(f["from_day"] + f["hours"] / 24 for f in report["faults"]) <= 30


def test_the_short_year_reports_every_figure(short_year):
    _, report, progress = short_year
    assert report["full_copies"] > 0 and report["incremental_copies"] > report["full_copies"]
    assert report["api_calls_per_copy"] > 0
    assert len(report["recovery_point_age_hours_by_day"]) == 30
    rpo = report["hours_past_rpo"]
    assert rpo["total"] == rpo["explained_by_faults"] + rpo["unexplained"]
    assert rpo["unexplained"] == 0  # every hour past the RPO came after a fault
    assert set(report["alarms"]) == set(alarms())
    # Each function's errors alarm (modules/function/main.tf): the copier's fired for the invocations killed
    # mid-batch (a Lambda timeout is an error), one 5-minute period each.
    assert report["alarms"]["function_errors_copier"]["episodes"] > 0 and report["invocations_killed"] > 0
    assert alarms()["function_errors_pruner"].period == 300
    # The quota alarm fired for the quota fault; the recovery point alarm for the outage and the gap.
    assert report["alarms"]["manual_snapshot_quota_db"]["by_fault"].get("manual snapshot quota reached")
    assert report["alarms"]["recovery_point"]["by_fault"].get("reconciler not running")
    assert report["quota"]["db"]["peak"] <= report["quota"]["db"]["quota"]
    assert report["month_bill"]["total_usd"] > report["month_bill"]["fixed_usd"]
    assert "[year] day" in progress
    # What the functions' listings read, and the least CPU that takes (year_floor.py).
    floor = report["cpu_floor"]
    assert set(floor["items_read"]) == {"copier", "reconciler", "pruner"}
    assert all(n > 0 for n in floor["items_read"].values())
    total = sum(floor["items_read"].values())
    timed = floor["timed"]
    assert 0 < timed["least_look_us"] < timed["run_us_per_item"]  # the least look is less than the run's
    assert timed["floor_seconds"] == pytest.approx(total * timed["least_look_us"] / 1e6, abs=0.1)
    assert timed["run_cpu_seconds"] == pytest.approx(total * timed["run_us_per_item"] / 1e6, abs=0.1)
    assert 0 < timed["run_cpu_seconds"] < 60  # this run's CPU, not the test session's
    assert floor["budget_us_per_item"] == pytest.approx(120e6 / total, abs=0.001)


def test_without_the_reconciler_lost_events_lose_copies_and_the_run_says_how_many():
    status, report, progress = run("--sources", "20", "--days", "12", "--retention-days", "7", "--no-reconciler")
    assert status == 1
    assert report["copies_lost"] >= report["events"]["lost"] > 0
    assert report["invariants"]["by_invariant"]["copied"] >= report["copies_lost"]
    assert f"{report['invariants']['broken']} invariant checks failed" in progress
    assert report["cpu_floor"]["items_read"]["reconciler"] == 0  # no run, nothing read


def test_the_0_4_ownership_rule_deletes_foreign_copies_and_the_run_says_how_many():
    status, report, progress = run("--sources", "8", "--days", "10", "--retention-days", "3", "--ownership-0.4")
    assert status == 1
    assert report["foreign_copies_deleted"] > 0
    assert report["invariants"]["by_invariant"]["deleted"] == report["foreign_copies_deleted"]
    assert "made by other (not this deployment)" in progress


def test_the_seed_makes_the_run_reproducible():
    first = run("--sources", "6", "--days", "4", "--retention-days", "2", "--seed", "5")[1]
    second = run("--sources", "6", "--days", "4", "--retention-days", "2", "--seed", "5")[1]
    for report in (first, second):
        report.pop("wall_seconds")
        # Timed on the machine, as the wall time: the items read are the run's and stay.
        report["cpu_floor"].pop("timed")
    assert first == second


def test_the_alarm_model_follows_cloudwatch_rules():
    rules = alarms()
    # From alarms.tf and variables.tf's defaults, not copied.
    assert rules["queue_oldest_message_age"].threshold == 43200
    assert rules["recovery_point"].period == 3600 and rules["recovery_point"].treat_missing == "breaching"
    assert rules["manual_snapshot_quota_cluster"].threshold == 80
    point = rules["recovery_point"]
    # Two breaching hours fire it; a missing hour counts as breaching; one good hour clears it.
    assert evaluate(point, [(0, 0.0), (3600, 1.0), (7200, 1.0), (10800, 0.0)], 0, 4 * 3600) == [(3 * 3600, 4 * 3600)]
    assert evaluate(point, [(0, 0.0)], 0, 3 * 3600) == [(3 * 3600, 3 * 3600)]
    assert evaluate(point, [(0, 1.0), (3600, 0.0), (7200, 1.0)], 0, 3 * 3600) == []


def test_fault_windows_are_inside_the_run_and_apart():
    windows = plan(FaultRates(), 365, 1).windows
    assert len(windows) == 6
    ordered = sorted(windows, key=lambda w: w.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ordered))
    assert ordered[-1].end <= 365 * 86400


def test_the_picture_is_drawn(tmp_path):
    # matplotlib is a development extra (requirements-dev.txt): the picture is the README's.
    path = tmp_path / "year.png"
    status, _, progress = run("--sources", "6", "--days", "4", "--retention-days", "2", "--plot", str(path))
    assert status == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"picture: {path}" in progress


def test_calendar_tiers_are_kept_by_the_pruners_own_settings():
    # KEEP_WEEKLY past a short retention: the pruner keeps a copy a week, and the checks hold it to that.
    status, report, _ = run("--sources", "6", "--days", "24", "--retention-days", "3", "--keep-weekly", "3")
    assert status == 0, report["invariants"]
    assert report["pruner"]["deleted"] > 0
    assert report["scenario"]["keep_tiers"] == {"weekly": 3}


def test_a_snapshot_past_the_quota_is_a_counted_violation_not_a_traceback():
    # RDS refuses a snapshot past the quota; were a fake to let one through, the run must count it as a
    # broken invariant and go on to its figures (it raised AssertionError before).
    world = World(Sim(), EPOCH, plan(FaultRates(), 30, 1), random.Random(1), {"db": 1, "cluster": 1})
    for n in range(3):
        world.add_copy(Copy("db", f"op-{n}", "operator", None, "db-1", 0.0, {"Status": "available"}, 0.0, 0.0), False)
    year = SimpleNamespace(world=world, rec=Recorder())
    check_quota(year)
    assert year.rec.violation_counts["quota"] == 2
    assert "3 manual db snapshots, quota 1" in year.rec.violations[-1]
    assert world.stats.quota_peak["db"] == 3


@pytest.mark.parametrize("days", [6, 12, 20, 40])
def test_sources_come_and_go_inside_the_run_whatever_its_length(days):
    # A short run once drew creations and deletions outside it (uniform(10, days - 10)): a database created
    # after the last day, or deleted before the first.
    scenario = YearScenario(sources=40, days=days, churn=0.25)
    year = YearRun(scenario, plan(scenario.rates, days, scenario.seed))
    churned = [s for s in year.world.sources.values() if s.created > 0 or s.deleted is not None]
    assert len(churned) == 2 * round(40 * 0.25)
    for source in churned:
        for when in (source.created, source.deleted):
            if when:
                assert 0 < when < days * 86400, (source.identifier, when / 86400)
    year.sim.close()


def test_the_backup_account_year_loses_nothing_the_source_side_catches_up_lost_events():
    # The fleet in a source account: the real source-side function shares each snapshot (a share copy of each
    # automated one) and the vault copies what is shared. A lost event is caught up by the hourly clean-up
    # (without it, 28 copies of this run were lost: see tests/unit/test_sharing_catch_up.py).
    status, report, _ = run("--mode", "backup-account", "--sources", "20", "--days", "12", "--retention-days", "7")
    assert status == 0, report["invariants"]
    assert report["scenario"]["mode"] == "backup-account"
    assert report["copies_lost"] == 0 and report["events"]["lost"] > 0 and report["events"]["outage"] > 0
    assert report["copies_made"] + report["dead_lettered_with_reason"] == report["snapshots"]
    side = report["source_side"]["events"]
    assert side["share_copies_started_by_cleanup"] > 0
    assert side["share_copies_deleted"] == side["share_copies_started"]  # every one, once its copy was made
    assert report["cpu_floor"]["items_read"]["source_side"] > 0  # its hourly clean-up lists the source account


def test_a_delete_by_the_source_side_of_what_it_did_not_make_breaks_the_deleted_invariant():
    scenario = YearScenario(sources=4, days=6, mode="backup-account")
    year = YearRun(scenario, plan(scenario.rates, 6, scenario.seed))
    source = next(iter(year.world.sources.values()))
    customer = year.world.take_snapshot(source, "manual", f"{source.identifier}-weekly")
    assert customer.account == SOURCE_ACCOUNT and customer.origin is None  # a customer's, not a share copy

    year.backup.deleted(customer)

    assert year.rec.violation_counts["deleted"] == 1
    assert "which it did not make" in year.rec.violations[-1]
    year.sim.close()


def test_the_items_a_listing_reads_are_counted_per_function():
    from bench.fake_aws import CallStats, FakeClient, Faults

    stats = CallStats()
    client = FakeClient("rds-destination", Sim(), stats, random.Random(1), Faults())
    page = {"DBSnapshots": [{"DBSnapshotIdentifier": f"s{n}"} for n in range(3)], "Marker": "3"}
    tags = {"TagList": [{"Key": "a", "Value": "b"}] * 5}
    # Outside a simulated task a call is instant (Sim.sleep is a no-op there).
    assert client._call("describe_db_snapshots[list]", "DescribeDBSnapshots", lambda: page) is page
    client._call("list_tags_for_resource", "ListTagsForResource", lambda: tags)
    assert stats.read == {"rds-destination:describe_db_snapshots[list]": 3}  # a TagList is not read
    assert stats.total_read() == 3
