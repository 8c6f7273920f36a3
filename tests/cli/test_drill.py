"""`drill`: temporary restores of the newest copies, RPO/RTO, checks, cost, clean-up (also when interrupted
or failing halfway), the JSON report and the metric."""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from rds_snapshot_copy import drill, prices
from tests.cli.conftest import NoSleep, Slow, World

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def two_sources(world: World) -> None:
    world.instance("orders", "db.t3.small")
    world.copy("db", "orders", "orders-1")
    world.cluster("ledger", writer_class="db.r6g.large")
    world.copy("cluster", "ledger", "ledger-1")


def test_drill_restores_checks_measures_and_cleans_up(world: World, run_drill, tmp_path: Path) -> None:
    two_sources(world)
    report_file = tmp_path / "drill.json"

    run = run_drill(world.clients(), "orders", "ledger", "--report", str(report_file), "--publish-metric")

    assert run.code == 0, run.err + run.out
    assert world.instances() == [] and world.clusters() == []
    report = json.loads(report_file.read_text())
    assert report["ok"] is True
    by_source = {s["source"]: s for s in report["sources"]}
    orders, ledger = by_source["orders"], by_source["ledger"]
    assert orders["kind"] == "db" and ledger["kind"] == "cluster"
    assert orders["restored"]["target"].startswith("drill-orders-")
    assert ledger["restored"]["writer"] == ledger["restored"]["target"] + "-writer"
    for source in (orders, ledger):
        assert source["status"] == "ok"
        assert source["rto_seconds"] == 0.0  # moto: available at once, the injected clock never moved
        assert source["rpo_seconds"] is not None and source["rpo_seconds"] >= 0
        assert {name: c["ok"] for name, c in source["checks"].items()} == {
            "engine": True,
            "encryption": True,
            "tags": True,
            **({"writer tags": True} if source["kind"] == "cluster" else {}),
        }
        assert source["checks"]["encryption"]["actual"] == world.key_arn
        assert source["cleanup"].startswith("deleted")
    # db.t3.small for the 10-minute minimum
    assert orders["cost_usd"] == round(prices.hourly_price("postgres", "db.t3.small") * 600 / 3600, 4)
    assert ledger["cost_usd"] == round(prices.hourly_price("aurora-postgresql", "db.r6g.large") * 600 / 3600, 4)
    assert "Restore drill us-east-1 -> us-west-2" in run.out and "drill-orders-" in run.out
    metrics = world.cloudwatch.list_metrics(Namespace="RdsSnapshotCopy")["Metrics"]
    names = {(m["MetricName"], tuple(d["Value"] for d in m.get("Dimensions", []))) for m in metrics}
    assert ("LastDrillTimestamp", ()) in names
    assert ("DrillRtoSeconds", ("orders",)) in names and ("DrillRtoSeconds", ("ledger",)) in names


def test_rto_is_request_to_available_and_rpo_the_recovery_point_age(world: World, run_drill) -> None:
    world.instance("orders")
    copy = world.copy("db", "orders", "orders-1")
    slow = Slow(world.rds)
    clock = NoSleep()

    def sleep(seconds: float) -> None:
        clock.now += seconds
        slow.creating = clock.now < 1000 + 600

    clock.sleep = sleep  # type: ignore[method-assign]
    run = run_drill(world.clients(rds=slow), "orders", "--json", "--poll-seconds", "60", clock=clock, now=lambda: NOW)
    document = json.loads(run.out)
    (source,) = document["sources"]
    assert run.code == 0, run.err
    assert source["rto_seconds"] == 600.0
    taken = copy["OriginalSnapshotCreateTime"]
    assert source["rpo_seconds"] == round((NOW - taken).total_seconds(), 1)
    assert source["restored"]["target"] == "drill-orders-202611251200"


def test_keep_leaves_the_restored_databases_without_deletion_protection(world: World, run_drill) -> None:
    two_sources(world)
    run = run_drill(world.clients(), "--all", "--keep", "--json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert sorted(s["source"] for s in document["sources"]) == ["ledger", "orders"]
    assert all(s["cleanup"] == "kept" for s in document["sources"])
    assert len(world.instances()) == 2 and len(world.clusters()) == 1
    for instance in world.rds.describe_db_instances()["DBInstances"]:
        assert instance["DeletionProtection"] is False
    assert world.rds.describe_db_clusters()["DBClusters"][0]["DeletionProtection"] is False


def test_ctrl_c_while_waiting_still_deletes_everything_created(world: World, run_drill) -> None:
    two_sources(world)
    slow = Slow(world.rds)
    clock = NoSleep()
    interrupted = []

    def sleep(seconds: float) -> None:
        if not interrupted:
            interrupted.append(True)
            slow.creating = False  # the deletions' own polling sees the truth
            raise KeyboardInterrupt
        clock.now += seconds

    clock.sleep = sleep  # type: ignore[method-assign]
    run = run_drill(world.clients(rds=slow), "orders", "ledger", "--keep", "--json", clock=clock)

    assert run.code == 1
    assert interrupted
    document = json.loads(run.out)
    assert document["interrupted"].startswith("interrupted")
    assert world.instances() == [] and world.clusters() == []
    assert all(s["cleanup"].startswith("deleted") for s in document["sources"])


def test_sigterm_while_waiting_cleans_up_like_ctrl_c(world: World, run_drill) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    slow = Slow(world.rds)
    clock = NoSleep()

    def sleep(seconds: float) -> None:
        if slow.creating:
            slow.creating = False
            os.kill(os.getpid(), signal.SIGTERM)
        clock.now += seconds

    clock.sleep = sleep  # type: ignore[method-assign]
    previous = signal.getsignal(signal.SIGTERM)
    run = run_drill(world.clients(rds=slow), "orders", "--json", clock=clock)
    assert run.code == 1
    assert "signal" in json.loads(run.out)["interrupted"]
    assert world.instances() == []
    assert signal.getsignal(signal.SIGTERM) == previous


def test_failure_halfway_deletes_the_restored_cluster(world: World, run_drill) -> None:
    two_sources(world)
    rds, stubber = world.stubbed_rds({"create_db_instance"})
    stubber.add_client_error("create_db_instance", "InsufficientDBInstanceCapacity", "no capacity")

    run = run_drill(world.clients(rds=rds), "orders", "ledger", "--json", "--publish-metric")

    assert run.code == 1
    document = json.loads(run.out)
    by_source = {s["source"]: s for s in document["sources"]}
    assert by_source["ledger"]["status"] == "failed"
    assert "InsufficientDBInstanceCapacity" in by_source["ledger"]["error"]
    assert by_source["orders"]["status"] == "ok"
    assert world.instances() == [] and world.clusters() == []
    assert "not published" in run.err
    assert world.cloudwatch.list_metrics(Namespace="RdsSnapshotCopy")["Metrics"] == []


def test_bad_sources_are_refused_before_anything_is_created(world: World, run_drill) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    run = run_drill(world.clients(), "orders", "nope")
    assert run.code == 2
    assert "unknown database nope" in run.err and "nothing was created" in run.err
    assert world.instances() == []
    assert run_drill(world.clients(), "--all").code == 0
    assert run_drill(world.clients(), "orders", "--all").code == 2
    assert run_drill(world.clients()).code == 2


def test_all_with_no_copies_is_refused(world: World, run_drill) -> None:
    run = run_drill(world.clients(), "--all")
    assert run.code == 2 and "nothing to drill" in run.err


def test_drill_names_fit_rds_limits_and_never_collide() -> None:
    taken: set[str] = set()
    existing = {"drill-orders-202611251200"}
    first = drill.drill_name("orders", NOW, taken, existing.__contains__)
    second = drill.drill_name("Orders", NOW, taken, existing.__contains__)
    assert first == "drill-orders-202611251200-2" and second == "drill-orders-202611251200-3"
    long = drill.drill_name("a" * 63, NOW, set(), lambda _: False)
    assert len(long + "-writer") <= 63 and not long.endswith("-") and "--" not in long
    odd = drill.drill_name("x--y__z-", NOW, set(), lambda _: False)
    assert odd == "drill-x-y-z-202611251200"


def test_cost_of_an_unknown_class_is_unknown() -> None:
    estimate = prices.estimate("postgres", "db.x99.huge", 3600)
    assert estimate.usd is None and estimate.text() == "unknown"
    assert prices.estimate("postgres", "db.t3.micro", 60).billed_seconds == 600
