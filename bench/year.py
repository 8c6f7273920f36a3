"""A year in the life of a fleet: every function together, with faults injected, on a simulated clock.

200 sources (half Aurora clusters) for 365 days by default; the real copier from the queue, the reconciler
hourly and the pruner daily (bench/year_run.py) on the project's simulated AWS (bench/year_world.py,
bench/fake_*.py); every fault on (bench/year_faults.py); the invariants checked (bench/year_checks.py,
exit status 1 and how many broke); the alarms modelled from alarms.tf (bench/year_alarms.py). Progress
goes to stderr; the figures, one JSON line, to stdout.

    python -m bench.year                         # the default year, seed 1
    python -m bench.year --plot docs/images/year.png
    python -m bench.year --no-reconciler         # loses the copies whose event was lost: exit 1
    python -m bench.year --ownership-0.4         # the 0.4.0 pruner deletes foreign copies: exit 1
    python -m bench.year --mode backup-account   # the fleet in a source account, the source side sharing
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from typing import Any

from .burst import Scenario, function_logs
from .year_checks import check_copied, check_quota, watch_deletions
from .year_faults import DAY, FaultRates, plan
from .year_figures import figures
from .year_run import YearRun


@dataclass
class YearScenario(Scenario):
    sources: int = 200
    days: int = 365
    churn: float = 0.1  # share of sources created, and as many deleted, during the run
    weekly_share: float = 0.2  # sources with a weekly manual snapshot too
    keep_last: int = 3
    keep_tiers: dict[str, int] = field(default_factory=dict)  # the pruner's KEEP_DAILY ... (off by default)
    drain_days: int = 4  # after the last snapshot: the functions go on, no new snapshots, then the checks
    mode: str = "single-account"  # or "backup-account": the fleet in a source account (year_backup.py)
    ownership_04: bool = False
    rates: FaultRates = field(default_factory=FaultRates)


# What the JSON's `scenario` names: the year's own settings, the functions' (burst.Scenario's fields the
# year uses), and the fault rates. The burst's own (its events, window, copy durations) play no part here.
SETTINGS = (
    "mode",
    "sources",
    "days",
    "seed",
    "churn",
    "weekly_share",
    "drain_days",
    "reconciler",
    "ownership_04",
    "retention_days",
    "keep_last",
    "keep_tiers",
    "rpo_hours",
    "grace_minutes",
    "copy_wait_max_hours",
    "wait_delay_max",
    "max_error_tries",
    "lambda_timeout",
    "reconcile_every_minutes",
    "reconcile_timeout",
    "rates",
)


def run(scenario: YearScenario, out: Any = sys.stderr) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    faults = plan(scenario.rates, scenario.days, scenario.seed)
    year = YearRun(scenario, faults)
    watch_deletions(year)
    stop = year.end + scenario.drain_days * DAY
    next_line = [0.0]

    def until() -> bool:
        if year.sim.now >= next_line[0]:
            next_line[0] += 30 * DAY
            print(
                f"[year] day {year.sim.now / DAY:5.1f}"
                f"  copies started {sum(year.world.stats.copies_started.values()):7d}"
                f"  in progress {sum(year.world.in_progress.values()):3d}  queued {year.queue.in_queue():4d}"
                f"  dead letters {len(year.dlq.entries):4d}  (wall {time.perf_counter() - wall:5.1f} s)",
                file=out,
                flush=True,
            )
        return year.sim.now >= stop

    with function_logs():
        try:
            year.sim.run(until=until)
        finally:
            year.sim.close()
    year.check_mapping()
    copied = check_copied(year)
    check_quota(year)
    return figures(year, copied, faults, wall, cpu)


def parse_args(argv: list[str] | None) -> tuple[YearScenario, str | None, bool]:
    parser = argparse.ArgumentParser(prog="python -m bench.year", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mode",
        choices=("single-account", "backup-account"),
        default="single-account",
        help="single-account (default), or backup-account: the fleet in a source account, shared by the source "
        "side's function with this deployment, the vault",
    )
    parser.add_argument("--sources", type=int, default=200, help="databases and clusters at the start (default 200)")
    parser.add_argument("--days", type=int, default=365, help="days of snapshots (default 365)")
    parser.add_argument("--retention-days", type=int, default=35, help="retention_days (default 35, the module's)")
    for tier in ("daily", "weekly", "monthly", "yearly"):
        parser.add_argument(f"--keep-{tier}", type=int, help=f"the pruner's KEEP_{tier.upper()} (default: off)")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random draw (default 1)")
    parser.add_argument("--no-reconciler", action="store_true", help="the copier and pruner alone")
    parser.add_argument(
        "--ownership-0.4",
        dest="ownership_04",
        action="store_true",
        help="the pruner with 0.4.0's ownership rule (tags only): deletes foreign copies",
    )
    parser.add_argument("--no-faults", action="store_true", help="every fault off (rates 0, no windows)")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the year (matplotlib, the [plot] extra)")
    parser.add_argument("--memory", action="store_true", help="also report tracemalloc's peak (slower)")
    args = parser.parse_args(argv)
    rates = FaultRates()
    if args.no_faults:
        rates = FaultRates(**{name: type(value)(0) for name, value in asdict(FaultRates()).items()})
    scenario = YearScenario(
        mode=args.mode,
        sources=args.sources,
        days=args.days,
        seed=args.seed,
        retention_days=args.retention_days,
        reconciler=not args.no_reconciler,
        ownership_04=args.ownership_04,
        rates=rates,
        keep_tiers={t: n for t in ("daily", "weekly", "monthly", "yearly") if (n := getattr(args, f"keep_{t}"))},
    )
    return scenario, args.plot, args.memory


def main(argv: list[str] | None = None, out: Any = None, err: Any = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    scenario, plot_file, memory = parse_args(argv)
    if memory:
        tracemalloc.start()
    report = run(scenario, err)
    if memory:
        report["peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    settings = asdict(scenario)
    report["scenario"] = {key: settings[key] for key in SETTINGS}
    report["scenario"]["max_receive_count"] = scenario.max_receive_count
    series = report.pop("_series")
    if plot_file:
        from .year_plot import plot

        plot(series, report, plot_file)
        print(f"picture: {plot_file}", file=err)
    broken = report["invariants"]["broken"]
    for line in report["invariants"]["examples"][:10]:
        print(f"INVARIANT BROKEN {line}", file=err)
    if broken:
        print(f"{broken} invariant checks failed: {report['invariants']['by_invariant']}", file=err)
    print(json.dumps(report, separators=(",", ":")), file=out, flush=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
