"""The year's figures (one JSON object) and the series the picture draws.

The month's bill follows docs/costs.md: copy storage $0.095 per GB-month, cross-region transfer $0.02 per
GB (a full copy moves the database's size, an incremental one a tenth), and the machinery's fixed ~$3.30
(key $1, 10 alarms $1, reconciler $1, SQS $0.30; Lambda and logs cents). The month is the run's last 30 days.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from typing import Any

from snapshot_copy.kinds import KINDS

from .year_alarms import alarms, evaluate, report
from .year_faults import DAY, HOUR, FaultPlan
from .year_floor import floor
from .year_run import DLQ_READ_AFTER

STORAGE_PER_GB_MONTH = 0.095
TRANSFER_PER_GB = 0.02
FIXED_PER_MONTH = {"kms_key": 1.0, "alarms": 1.0, "reconciler": 1.0, "sqs": 0.3}
EXPLAIN_PAST_RPO_HOURS = 24.0  # an hour past the RPO is explained by a fault that was on within RPO + this


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    value = ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]
    return None if math.isinf(value) else round(value, 1)


def alarm_points(year: Any) -> dict[str, list[tuple[float, float]]]:
    rec = year.rec
    points: dict[str, list[tuple[float, float]]] = {
        "queue_oldest_message_age": [(at, age) for at, age, _, _, _ in rec.samples],
        "dead_letter_queue_depth": [(at, float(dlq)) for at, _, dlq, _, _ in rec.samples],
        "dead_lettered": [(e.at, 1.0) for e in year.dlq.entries if e.by == "function"],
        "scheduled_dead_letter_queue_depth": [
            (at, float(sum(1 for t in rec.scheduled_dlq if 0 <= at - t < DLQ_READ_AFTER))) for at, *_ in rec.samples
        ],
        "recovery_point": [(r["at"], float(r["past_rpo"])) for r in rec.reconciler_runs],
        # Lambda's Errors: an invocation that timed out, or a scheduled run that raised (each attempt).
        "function_errors_copier": [(at, 1.0) for at in rec.killed_at],
        "function_errors_reconciler": [(at, 1.0) for at in rec.reconciler_failed],
        "function_errors_pruner": [(at, 1.0) for at in rec.pruner_failed],
    }
    for kind in KINDS:
        points[f"manual_snapshot_quota_{kind}"] = [(r["at"], r["percent"][kind]) for r in rec.pruner_runs]
    return points


def figures(year: Any, copied: dict[str, int], plan: FaultPlan, wall: float, cpu: float) -> dict[str, Any]:
    """The run's figures; `wall` and `cpu`: perf_counter and process_time at its start."""
    s, rec, world = year.s, year.rec, year.world
    stats = world.stats
    end = year.sim.now
    made = len(stats.first_available)
    calls = year.copier_stats.total_requests()
    # Recovery point age per day, from each reconciler run's sources.
    per_day: dict[int, list[float]] = defaultdict(list)
    worst_hour: dict[int, float] = {}
    past_hours: Counter[str] = Counter()
    explained = unexplained = 0.0
    interval = s.reconcile_every_minutes / 60
    for run in rec.reconciler_runs:
        day, hour = int(run["at"] // DAY), int(run["at"] // HOUR)
        per_day[day].extend(run["ages"])
        worst_hour[hour] = max(worst_hour.get(hour, 0.0), min(run["worst"], 24 * 400))
        for source in run["past"]:
            past_hours[source] += interval
            reach = (s.rpo_hours + EXPLAIN_PAST_RPO_HOURS) * HOUR
            if any(w.overlaps(run["at"] - reach, run["at"]) for w in plan.windows):
                explained += interval
            else:
                unexplained += interval
    # [day, p50, p99, max] over the sources' ages at every run of the day; sources with no copy yet (a new
    # deployment's first day, a new database) have no age and are counted apart, as source-runs.
    age_by_day = []
    for day, ages in sorted(per_day.items()):
        known = [a for a in ages if not math.isinf(a)]
        row = [day, percentile(known, 0.5), percentile(known, 0.99), percentile(known, 1.0)]
        age_by_day.append([*row, len(ages) - len(known)] if len(known) < len(ages) else row)
    every_age = [a for d in per_day.values() for a in d if not math.isinf(a)]
    defined = alarms()
    alarm_figures = {}
    episodes_of = {}
    for key, points in alarm_points(year).items():
        if key not in defined:
            continue
        episodes = evaluate(defined[key], [p for p in points if p[0] < year.end], 0.0, year.end)
        episodes_of[key] = episodes
        alarm_figures[key] = report(defined[key], episodes, plan.windows)
    # The bill of the last 30 days.
    month_start = max(0.0, end - 30 * DAY)
    ours = [c for kind in KINDS for c in world.copies[kind].values() if c.maker == "ours"]
    started = ours + [d.copy for d in stats.deletions if d.copy.maker == "ours"]
    transferred = sum(c.size_gb for c in started if c.started >= month_start)
    stored = sum(c.size_gb for c in ours)
    bill = {
        "storage_gb": round(stored),
        "storage_usd": round(stored * STORAGE_PER_GB_MONTH, 2),
        "transfer_gb": round(transferred),
        "transfer_usd": round(transferred * TRANSFER_PER_GB, 2),
        "fixed_usd": round(sum(FIXED_PER_MONTH.values()), 2),
    }
    bill["total_usd"] = round(bill["storage_usd"] + bill["transfer_usd"] + bill["fixed_usd"], 2)
    invariants = rec.violation_counts
    figures_out: dict[str, Any] = {
        "sources": s.sources,
        "days": s.days,
        "seed": s.seed,
        "snapshots": len(rec.snapshots),
        "copies_made": made,
        "copies_lost": copied["lost"],
        "copies_duplicated": sum(n - 1 for n in stats.copies_started.values() if n > 1),
        "foreign_copies_deleted": sum(
            1 for d in stats.deletions if d.by in ("pruner", "copier") and d.copy.maker != "ours"
        ),
        "dead_lettered_with_reason": copied["dead_lettered_with_reason"],
        "source_deleted_before_copy": copied["source_deleted_before_copy"],
        "full_copies": stats.full,
        "incremental_copies": stats.incremental,
        "api_calls_per_copy": round(calls / max(1, made), 2),
        "api_calls": {
            "copier": calls,
            "reconciler": year.reconciler_stats.total_requests(),
            "pruner": year.pruner_stats.total_requests(),
        },
        "events": dict(rec.deliveries),
        "dead_letter_reasons": dict(Counter(f"{e.by}:{e.code}" for e in year.dlq.entries)),
        "invocations_killed": rec.invocations_killed,
        "reconciler": {
            "runs": len(rec.reconciler_runs),
            "missed": rec.reconciler_skipped,
            "failed_attempts": len(rec.reconciler_failed),
            "enqueued": sum(r["enqueued"] for r in rec.reconciler_runs),
        },
        "pruner": {
            "runs": len(rec.pruner_runs),
            "failed_attempts": len(rec.pruner_failed),
            "deleted": sum(r["deleted"] for r in rec.pruner_runs),
        },
        "recovery_point_age_hours_by_day": age_by_day,
        "recovery_point_age_hours_year": {
            "p50": percentile(every_age, 0.5),
            "p99": percentile(every_age, 0.99),
            "max": percentile(every_age, 1.0),
            "source_runs_without_copy": sum(1 for d in per_day.values() for a in d if math.isinf(a)),
        },
        "hours_past_rpo": {
            "total": round(sum(past_hours.values()), 1),
            "explained_by_faults": round(explained, 1),
            "unexplained": round(unexplained, 1),
            "sources_ever_past": len(past_hours),
            "worst_source_hours": round(max(past_hours.values(), default=0.0), 1),
            "per_source": dict(sorted(past_hours.items())),
        },
        "alarms": alarm_figures,
        "quota": {
            kind: {
                "quota": world.quota[kind],
                "peak": stats.quota_peak[kind],
                "peak_percent": round(100 * stats.quota_peak[kind] / world.quota[kind], 1),
            }
            for kind in KINDS
        },
        "max_copies_in_progress": dict(stats.max_in_progress),
        "refusals": dict(stats.refusals),
        "month_bill": bill,
        "faults": plan.as_json(),
        "invariants": {
            "broken": sum(invariants.values()),
            "by_invariant": dict(invariants),
            "examples": rec.violations[:20],
        },
        "wall_seconds": round(time.perf_counter() - wall, 1),
    }
    if year.backup is not None:
        figures_out["source_side"] = year.backup.figures()
    read = {
        "copier": year.copier_stats.total_read(),
        "reconciler": year.reconciler_stats.total_read(),
        "pruner": year.pruner_stats.total_read(),
    }
    if year.backup is not None:
        read["source_side"] = year.backup.stats.total_read()
    figures_out["cpu_floor"] = floor(read, cpu)
    figures_out["_series"] = {
        "worst_age_by_hour": sorted(worst_hour.items()),
        "samples": [
            (at, n, max(used[k] / world.quota[k] for k in KINDS) * 100) for at, _, _, n, used in rec.samples[::12]
        ],
        "episodes": episodes_of,
        "windows": [(w.name, w.start, w.end) for w in plan.windows],
        "rpo_hours": s.rpo_hours,
        "quota_threshold": defined["manual_snapshot_quota_db"].threshold,
        "end": end,
    }
    return figures_out
