"""`drill`: temporary restores of the newest copies of this deployment, RPO (the age of their data)/RTO,
checks, cost, clean-up (also when interrupted or failing halfway, and never of another drill's database, even
one started in the same second), the JSON report and the metric."""

from __future__ import annotations

import json
import os
import random
import re
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rds_snapshot_copy import drill, prices, restore
from snapshot_copy.metrics import DRILL_RPO, DRILL_RTO, DRILL_SOURCE_REGION_DIMENSION, LAST_DRILL_TIMESTAMP
from snapshot_copy.snapshot_time import data_time
from tests.cli.conftest import DEPLOYMENT, LEGACY, NoSleep, Slow, World
from tests.unit.harness import DESTINATION_REGION, SOURCE_REGION

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
    assert orders["cleanup"] == "deleted"
    assert ledger["cleanup"] == "deleted: writer, cluster"
    assert ledger["cleanup_by_resource"] == {
        ledger["restored"]["writer"]: "deleted",
        ledger["restored"]["target"]: "deleted",
    }
    # db.t3.small for the 10-minute minimum
    assert orders["cost_usd"] == round(prices.hourly_price("postgres", "db.t3.small") * 600 / 3600, 4)
    assert ledger["cost_usd"] == round(prices.hourly_price("aurora-postgresql", "db.r6g.large") * 600 / 3600, 4)
    assert "Restore drill us-east-1 -> us-west-2" in run.out and "drill-orders-" in run.out
    assert "$0.006" in run.out  # db.t3.small for ten minutes: not "$0.00"
    assert "deleted: writer, cluster" in run.out and "deleted; deleted" not in run.out
    metrics = world.cloudwatch.list_metrics(Namespace="RdsSnapshotCopy")["Metrics"]
    published = {
        (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m.get("Dimensions", [])))) for m in metrics
    }
    region = (DRILL_SOURCE_REGION_DIMENSION, SOURCE_REGION)
    assert published == {
        (LAST_DRILL_TIMESTAMP, (region,)),
        *((name, (("Source", source), region)) for name in (DRILL_RTO, DRILL_RPO) for source in ("orders", "ledger")),
    }


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
    assert source["usable_seconds"] == 600.0  # straight from creating to available
    # The copy's data time: its OriginalSnapshotCreateTime, or the source time tag (to the second) if earlier.
    (described,) = world.rds.describe_db_snapshots(DBSnapshotIdentifier=copy["DBSnapshotIdentifier"])["DBSnapshots"]
    assert source["rpo_seconds"] == round((NOW - data_time(described, "db")).total_seconds(), 1)
    assert re.fullmatch(r"drill-orders-202611251200-[0-9a-f]{6}", source["restored"]["target"])


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

    assert run.code == 130  # interrupted (exit_codes)
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
    assert run.code == 130
    assert "signal" in json.loads(run.out)["interrupted"]
    assert world.instances() == []
    assert signal.getsignal(signal.SIGTERM) == previous


def test_failure_halfway_deletes_the_restored_cluster(world: World, run_drill) -> None:
    two_sources(world)
    routed, stubber = world.stubbed_rds({"create_db_instance"})
    stubber.add_client_error("create_db_instance", "InsufficientDBInstanceCapacity", "no capacity")
    # As in AWS: deletes only of what carries the drill's tag; the writer that was never created has none.
    rds, denials = world.tag_conditioned(routed, drill.TAG_DRILL)

    run = run_drill(world.clients(rds=rds), "orders", "ledger", "--json", "--publish-metric")

    assert run.code == 1
    document = json.loads(run.out)
    by_source = {s["source"]: s for s in document["sources"]}
    ledger = by_source["ledger"]
    assert ledger["status"] == "failed"
    assert "InsufficientDBInstanceCapacity" in ledger["error"]
    assert ledger["cleanup"] == "deleted: cluster; never created: writer"
    assert ledger["cleanup_by_resource"] == {ledger["restored"]["target"]: "deleted"}  # no delete of the writer
    assert by_source["orders"]["status"] == "ok" and by_source["orders"]["cleanup"] == "deleted"
    assert rds.denied == []
    for denial in denials:
        with pytest.raises(AssertionError):  # the AccessDenied is still queued: never reached
            denial.assert_no_pending_responses()
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


class Draws(random.Random):
    """An rng whose getrandbits gives these values, in turn."""

    def __init__(self, *values: int) -> None:
        super().__init__(0)
        self.values = list(values)

    def getrandbits(self, k: int) -> int:
        return self.values.pop(0)


def test_drill_names_fit_rds_limits_and_never_collide() -> None:
    taken: set[str] = set()
    existing = {"drill-orders-202611251200-00000a"}
    first = drill.drill_name("orders", NOW, taken, existing.__contains__, Draws(0xA, 0xB))
    second = drill.drill_name("Orders", NOW, taken, existing.__contains__, Draws(0xB, 0xC))
    assert first == "drill-orders-202611251200-00000b" and second == "drill-orders-202611251200-00000c"
    long = drill.drill_name("a" * 63, NOW, set(), lambda _: False)
    assert len(long + "-writer") <= 63 and not long.endswith("-") and "--" not in long
    assert restore.valid_database_identifier(long + "-writer")
    odd = drill.drill_name("x--y__z-", NOW, set(), lambda _: False, Draws(0xABCDEF))
    assert odd == "drill-x-y-z-202611251200-abcdef"
    assert len({drill.drill_name("orders", NOW, set(), lambda _: False) for _ in range(50)}) == 50


def test_cost_of_an_unknown_class_is_unknown() -> None:
    estimate = prices.estimate("postgres", "db.x99.huge", 3600)
    assert estimate.usd is None and estimate.text() == "unknown"
    assert prices.estimate("postgres", "db.t3.micro", 60).billed_seconds == 600


# ------------------------------------------------------------------------------- clean-up of what is absent


def test_clean_up_looks_before_it_deletes_and_never_deletes_the_absent(world: World) -> None:
    """Registered, never created (interrupted before the create was answered): no delete, which the
    operator's policy would refuse; a database there without the drill's tag shows the refusal is real."""
    world.rds.create_db_instance(
        DBInstanceIdentifier="drill-untagged-202611251200",
        DBInstanceClass="db.t3.small",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password",
    )
    rds, denials = world.tag_conditioned(world.rds, drill.TAG_DRILL)
    created = restore.Created()
    created.add("instance", "drill-ledger-202611251200-writer")
    created.add("cluster", "drill-ledger-202611251200")
    clock = NoSleep()

    outcome = drill.delete_created(rds, created, clock.clock, clock.sleep, 30.0)

    assert outcome == {
        "drill-ledger-202611251200-writer": "never created",
        "drill-ledger-202611251200": "never created",
    }
    assert rds.denied == [] and clock.slept == []
    for denial in denials:
        with pytest.raises(AssertionError):
            denial.assert_no_pending_responses()

    created.add("instance", "drill-untagged-202611251200")
    outcome = drill.delete_created(rds, created, clock.clock, clock.sleep, 30.0)
    assert outcome["drill-untagged-202611251200"].startswith("LEFT BEHIND (AccessDenied")
    assert (
        "aws rds delete-db-instance --db-instance-identifier drill-untagged-202611251200"
        in outcome["drill-untagged-202611251200"]
    )
    assert [operation for operation, _ in rds.denied] == ["delete_db_instance"]
    assert world.instances() == ["drill-untagged-202611251200"]


class LostAnswer:
    """The restore reaches RDS, its answer is lost, botocore retries and RDS answers AlreadyExists."""

    def __init__(self, rds: Any) -> None:
        self._rds = rds

    def restore_db_instance_from_db_snapshot(self, **params: Any) -> Any:
        self._rds.restore_db_instance_from_db_snapshot(**params)
        error = {"Error": {"Code": "DBInstanceAlreadyExists", "Message": "DB instance already exists"}}
        raise ClientError(error, "RestoreDBInstanceFromDBSnapshot")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rds, name)


def test_a_create_refused_as_already_existing_deletes_nothing(world: World, run_drill) -> None:
    """Only a create that succeeded registers what it made. Even when the database of that name carries every
    tag of the request (botocore's retry after a lost answer, most likely), it is not deleted on that guess:
    the error says so and how to delete it."""
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    run = run_drill(world.clients(rds=LostAnswer(world.rds)), "orders", "--json")
    assert run.code == 1
    (source,) = json.loads(run.out)["sources"]
    target = source["restored"]["target"]
    assert "DBInstanceAlreadyExists" in source["error"]
    assert f"{target} carries every tag of this request" in source["error"]
    assert (
        f"aws rds delete-db-instance --region {DESTINATION_REGION} --db-instance-identifier {target}"
        in (source["error"])
    )
    assert source["cleanup"] == "nothing created"
    assert world.instances() == [target]


# -------------------------------------------------------------------------------- usable before available


def test_usable_is_recorded_apart_from_available(world: World, run_drill, tmp_path: Path) -> None:
    """RDS may keep a restored instance backing-up long after it accepts connections: the RTO still counts
    until available, the report says when it was usable too."""
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    slow = Slow(world.rds)
    clock = NoSleep()

    def sleep(seconds: float) -> None:
        clock.now += seconds
        elapsed = clock.now - 1000
        slow.status = "creating" if elapsed < 300 else ("backing-up" if elapsed < 1500 else None)

    clock.sleep = sleep  # type: ignore[method-assign]
    report_file = tmp_path / "drill.json"
    run = run_drill(
        world.clients(rds=slow), "orders", "--poll-seconds", "60", "--report", str(report_file), clock=clock
    )
    assert run.code == 0, run.err
    (source,) = json.loads(report_file.read_text())["sources"]
    assert (source["usable_seconds"], source["rto_seconds"]) == (300.0, 1500.0)
    assert "25m 00s (usable after 5m 00s)" in run.out
    assert "RTO counts until available" in run.out


def test_no_usable_note_within_a_minute(world: World, run_drill) -> None:
    world.instance("orders")
    world.copy("db", "orders", "orders-1")
    slow = Slow(world.rds)
    slow.status = "backing-up"
    clock = NoSleep()

    def sleep(seconds: float) -> None:
        clock.now += seconds
        slow.status = None

    clock.sleep = sleep  # type: ignore[method-assign]
    run = run_drill(world.clients(rds=slow), "orders", "--poll-seconds", "60", clock=clock)
    assert run.code == 0, run.err
    assert "1m 00s" in run.out and "usable after" not in run.out and "RTO counts until" not in run.out


# ------------------------------------------------------------------------------------------------ metrics


def test_metrics_of_two_source_regions_never_mix(world: World) -> None:
    """Two deployments copying into one destination from two regions: one LastDrillTimestamp each."""
    for region, hours in (("us-east-1", 0), ("eu-west-1", 5)):
        report = drill.DrillReport(NOW + timedelta(hours=hours), region, DESTINATION_REGION, [], kept=False)
        drill.publish(world.cloudwatch, "RdsSnapshotCopy", report)
    for region, hours in (("us-east-1", 0), ("eu-west-1", 5)):
        answer = world.cloudwatch.get_metric_statistics(
            Namespace="RdsSnapshotCopy",
            MetricName=LAST_DRILL_TIMESTAMP,
            Dimensions=[{"Name": DRILL_SOURCE_REGION_DIMENSION, "Value": region}],
            StartTime=datetime.now(UTC) - timedelta(hours=1),
            EndTime=datetime.now(UTC) + timedelta(hours=1),
            Period=3600,
            Statistics=["Maximum", "SampleCount"],
        )
        (point,) = answer["Datapoints"]
        assert (point["Maximum"], point["SampleCount"]) == ((NOW + timedelta(hours=hours)).timestamp(), 1.0)


# --------------------------------------------------------------------------------------------------- cost


def test_cost_under_a_dollar_shows_three_decimals() -> None:
    assert drill.cost_text(prices.estimate("postgres", "db.t4g.micro", 600)) == "$0.003"
    assert drill.cost_text(prices.estimate("aurora-postgresql", "db.r6g.large", 4 * 3600)) == "$1.04"
    assert drill.cost_text(prices.estimate("postgres", "db.x99.huge", 600)) == "unknown"
    assert drill.cost_text(None) == "-"


# ------------------------------------------------------------------- two drills at once (issue 15, names)


class BeforeFirstRestore:
    """Runs `hook(params)` inside the first RestoreDBInstanceFromDBSnapshot, before it is sent; a hook's answer
    (not None) is returned instead of sending it."""

    def __init__(self, rds: Any, hook: Any) -> None:
        self._rds = rds
        self._hook = hook

    def restore_db_instance_from_db_snapshot(self, **params: Any) -> Any:
        hook, self._hook = self._hook, None
        answer = hook(params) if hook is not None else None
        return answer if answer is not None else self._rds.restore_db_instance_from_db_snapshot(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rds, name)


def interleave(world: World, run_drill: Any, first_rng: Any = None, second_rng: Any = None) -> tuple[Any, Any]:
    """Drill A and drill B of `orders`, started in the same second: A plans, B plans, A creates, B creates,
    B finishes (waits, checks, cleans up), then A finishes. (A's create is made from inside B's, the moment B
    has planned.)"""
    second: list[Any] = []

    def during_first(first_params: dict[str, Any]) -> Any:
        made: list[Any] = []

        def during_second(_: dict[str, Any]) -> None:
            made.append(world.rds.restore_db_instance_from_db_snapshot(**first_params))

        kwargs = {"rng": second_rng} if second_rng is not None else {}
        second.append(
            run_drill(
                world.clients(rds=BeforeFirstRestore(world.rds, during_second)),
                "orders",
                "--json",
                now=lambda: NOW,
                **kwargs,
            )
        )
        return made[0]

    kwargs = {"rng": first_rng} if first_rng is not None else {}
    first = run_drill(
        world.clients(rds=BeforeFirstRestore(world.rds, during_first)), "orders", "--json", now=lambda: NOW, **kwargs
    )
    return first, second[0]


def test_two_drills_started_in_the_same_second_never_share_a_database(world: World, run_drill) -> None:
    """In 0.4.0 both picked drill-orders-<minute>; the second's create was refused, it took the first's
    database (same tags) for its own and deleted it, and the first failed."""
    world.instance("orders")
    world.copy("db", "orders", "orders-1")

    first, second = interleave(world, run_drill)

    assert (first.code, second.code) == (0, 0), (first.out, first.err, second.out, second.err)
    (a,), (b,) = json.loads(first.out)["sources"], json.loads(second.out)["sources"]
    assert a["restored"]["target"] != b["restored"]["target"]
    assert (a["status"], a["cleanup"], b["status"], b["cleanup"]) == ("ok", "deleted", "ok", "deleted")
    assert world.instances() == []


def test_a_drill_whose_name_is_taken_meanwhile_deletes_nothing_of_the_other(world: World, run_drill) -> None:
    """The worst case, forced: both draw the same suffix (and token). The second's create is refused; it
    created nothing, so it deletes nothing, and the first completes."""
    world.instance("orders")
    world.copy("db", "orders", "orders-1")

    first, second = interleave(world, run_drill, random.Random(15), random.Random(15))

    (a,), (b,) = json.loads(first.out)["sources"], json.loads(second.out)["sources"]
    assert a["restored"]["target"] == b["restored"]["target"]
    assert second.code == 1 and "DBInstanceAlreadyExists" in b["error"]
    assert b["cleanup"] == "nothing created"
    assert first.code == 0, first.out + first.err
    assert (a["status"], a["cleanup"]) == ("ok", "deleted")
    assert world.instances() == []


def test_clean_up_leaves_a_database_without_this_drills_token_alone(world: World) -> None:
    """Registered before its create (interrupted before AWS answered), then found under another drill's token:
    the other drill's, never deleted."""
    clock = NoSleep()
    world.rds.create_db_instance(
        DBInstanceIdentifier="drill-orders-202611251200-00000a",
        DBInstanceClass="db.t3.small",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password",
        Tags=[{"Key": drill.TAG_DRILL, "Value": "20261125120000-another"}],
    )
    created = restore.Created()
    created.add("instance", "drill-orders-202611251200-00000a")

    outcome = drill.delete_created(world.rds, created, clock.clock, clock.sleep, 30.0, token="20261125120000-mine")

    assert outcome == {"drill-orders-202611251200-00000a": drill.NOT_THIS_DRILLS}
    assert world.instances() == ["drill-orders-202611251200-00000a"]


# ---------------------------------------------------------- whose copies, and how old their data is (issue 15)


def test_drill_all_restores_only_this_deployments_copies(world: World, run_drill) -> None:
    world.instance("orders")
    ours = world.copy("db", "orders", "orders-1", hours_old=30)
    theirs = world.copy("db", "orders", "orders-2", hours_old=2, deployment="dev")  # newer, another deployment's
    world.instance("billing")
    world.copy("db", "billing", "billing-1", deployment=LEGACY)  # 0.4.x's: not until adopted

    run = run_drill(world.clients(), "--all", "--json")

    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert [(s["source"], s["snapshot"]) for s in document["sources"]] == [("orders", ours["DBSnapshotArn"])]
    (source,) = document["sources"]
    assert document["deployment"] == DEPLOYMENT
    assert 29.9 * 3600 < source["rpo_seconds"] < 30.1 * 3600
    dev = json.loads(run_drill(world.clients(), "--all", "--json", "--deployment", "dev").out)
    assert [s["snapshot"] for s in dev["sources"]] == [theirs["DBSnapshotArn"]]
    refused = run_drill(world.clients(), "billing")
    assert refused.code == 2 and "made by 0.4.x" in refused.err and "nothing was created" in refused.err


def test_drill_rpo_is_the_age_of_the_copys_data(world: World, run_drill) -> None:
    """Aurora: a copy made now of 40-hour-old data has an RPO of 40 h, not 0 (its SnapshotCreateTime)."""
    world.cluster("ledger")
    world.copy("cluster", "ledger", "ledger-1", hours_old=40)

    run = run_drill(world.clients(), "ledger", "--json")

    assert run.code == 0, run.err
    (source,) = json.loads(run.out)["sources"]
    assert 39.9 * 3600 < source["rpo_seconds"] < 40.1 * 3600, source["rpo_seconds"]
