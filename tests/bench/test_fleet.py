"""The fleet benchmark drives the real reconcile(): its calls follow from the fleet, and the missing are sent."""

from __future__ import annotations

import io
import json
import math

from bench.fleet import main


def test_the_calls_follow_the_fleet_and_the_missing_snapshots_are_enqueued() -> None:
    out, err = io.StringIO(), io.StringIO()
    report = main(
        ["--sources", "30", "250", "--snapshots-per-source", "7", "--missing", "12", "--cluster-share", "0.4"],
        out=out,
        err=err,
    )
    assert json.loads(out.getvalue().splitlines()[-1]) == report
    assert "API calls by operation" in out.getvalue()
    for run in report["runs"]:
        sources = run["sources"]
        clusters = round(sources * 0.4)
        dbs = sources - clusters
        pages = lambda n: max(1, math.ceil(n / 100))  # noqa: E731 - RDS pages by 100; an empty listing is a call
        assert run["api_calls_by_operation"] == {
            # Each kind listed in both regions: all source snapshots, and the copies (all but the missing).
            "DescribeDBSnapshots": pages(dbs * 7) + pages(dbs * 7 - run_missing(run, "db")),
            "DescribeDBClusterSnapshots": pages(clusters * 7) + pages(clusters * 7 - run_missing(run, "cluster")),
            # Aurora members (2 a cluster) are listed with the instances, and left out as sources.
            "DescribeDBInstances": pages(dbs + 2 * clusters),
            "DescribeDBClusters": pages(clusters),
            "BatchGetItem": math.ceil(12 / 100),
            "SendMessageBatch": math.ceil(12 / 10),
            "BatchWriteItem": math.ceil(12 / 25),
        }
        assert run["api_calls_by_operation"] == run["expected_calls_by_operation"]
        assert run["enqueued"] == run["recorded_in_table"] == 12
        assert run["enqueued_are_the_missing"]
        assert run["already_copied"] == sources * 7 - 12
        assert run["within_timeout"] and not run["incomplete"]
        assert run["metrics"]["SourcesReconciled"] == sources
        # The copies are this deployment's (ownership.py): every source has its recovery point, within the RPO.
        assert run["metrics"]["SourcesPastRpo"] == 0 and run["metrics"]["RecoveryPointAgeWorstHours"] < 26
        assert (run["legacy_copies"], run["broken_copies"]) == (0, 0)
        assert run["peak_memory_mib"] > 0
        # The six listings run at once: the run lasts as long as the slowest, then the table and queue calls.
        listings = [
            0.35 * pages(dbs * 7),
            0.35 * pages(dbs * 7 - run_missing(run, "db")),
            0.35 * pages(clusters * 7),
            0.35 * pages(clusters * 7 - run_missing(run, "cluster")),
            0.3 * pages(dbs + 2 * clusters),
            0.3 * pages(clusters),
        ]
        assert run["simulated_seconds"] == round(max(listings) + 0.01 + 0.02 * 2 + 0.01, 1)
        assert run["sequential_seconds"] == round(sum(listings) + 0.01 + 0.02 * 2 + 0.01, 1)
        assert run["out_of_time"] is None
    assert "[fleet 250]" in err.getvalue()


def run_missing(run: dict, kind: str) -> int:
    return run["missing_by_kind"][kind]


def test_a_fleet_too_large_for_the_timeout_raises_before_sending() -> None:
    out, err = io.StringIO(), io.StringIO()
    # 400 DB instances x 10: four pages a listing (1.4 s); with 31 s, the margin (30 s) is reached at once.
    report = main(
        ["--sources", "400", "--snapshots-per-source", "10", "--cluster-share", "0", "--timeout", "31"],
        out=out,
        err=err,
    )
    (run,) = report["runs"]
    assert run["out_of_time"] is not None and "out of time while listing" in run["out_of_time"]
    assert (run["enqueued"], run["recorded_in_table"], run["emf_records"]) == (0, 0, 0)
    assert run["api_calls_by_operation"].get("SendMessageBatch", 0) == 0
    assert run["simulated_seconds"] < 31 - 30 + 0.35 + 1e-9
    assert run["incomplete"] and not run["within_timeout"]
    assert "no: out of time while listing" in out.getvalue()


def test_sim_all_runs_jobs_at_once_in_simulated_time() -> None:
    from bench.sim import Sim

    sim = Sim()
    seen: dict[str, object] = {}

    def job(seconds: float) -> float:
        sim.sleep(seconds)
        return sim.now

    def body() -> None:
        seen["ends"] = sim.all([lambda: job(3.0), lambda: job(1.0), lambda: job(2.0)])
        seen["after"] = sim.now

    sim.spawn(body, lambda task: seen.setdefault("error", task.error))
    sim.run()
    sim.close()
    assert seen == {"ends": [3.0, 1.0, 2.0], "after": 3.0, "error": None}
