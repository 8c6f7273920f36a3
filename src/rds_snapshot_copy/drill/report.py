"""A drill's report: per source the recovery point's age (RPO), the RTO, the checks, the instance-hours' cost
and the clean-up; printed as a table, written as JSON, and (for a drill that passed) published as metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from rds_snapshot_copy import prices
from rds_snapshot_copy.drill.checks import Check
from rds_snapshot_copy.drill.cleanup import LEFT_BEHIND
from rds_snapshot_copy.restore import Job, Plan
from snapshot_copy.metrics import DRILL_RPO, DRILL_RTO, DRILL_SOURCE_REGION_DIMENSION, LAST_DRILL_TIMESTAMP

# How much later than usable (accepting connections) a restore may become available before the table says so.
USABLE_NOTE_SECONDS = 60.0
# RTO/RPO of a source in another account (a vault, backup-account mode) carry its account too: two accounts'
# `orders` are two series.
DRILL_SOURCE_ACCOUNT_DIMENSION = "SourceAccount"


@dataclass
class SourceResult:
    plan: Plan
    job: Job
    rpo_seconds: float | None
    checks: dict[str, Check] = field(default_factory=dict)
    ended_at: float | None = None  # clock() when its deletion was requested (or the drill ended)
    cleanup: str = "not started"
    cleanup_by_resource: dict[str, str] = field(default_factory=dict)  # identifier -> what delete_created said

    @property
    def ok(self) -> bool:
        return self.job.available_at is not None and bool(self.checks) and all(c.ok for c in self.checks.values())

    @property
    def cost(self) -> prices.Estimate | None:
        if self.job.requested_at is None or not self.plan.instance_class:
            return None
        end = self.ended_at if self.ended_at is not None else self.job.requested_at
        return prices.estimate(self.plan.engine, self.plan.instance_class, end - self.job.requested_at)

    def as_json(self) -> dict[str, Any]:
        rp = self.plan.located.recovery_point
        cost = self.cost
        return {
            "source": self.plan.located.source,
            "source_account": self.plan.located.account or None,
            "kind": self.plan.kind,
            "snapshot": self.plan.located.snapshot_arn,
            "recovery_point": rp.isoformat() if rp else None,
            "rpo_seconds": None if self.rpo_seconds is None else round(self.rpo_seconds, 1),
            "restored": {"target": self.plan.target, "writer": self.plan.writer},
            "engine": self.plan.engine,
            "engine_version": self.plan.engine_version,
            "instance_class": self.plan.instance_class,
            "rto_seconds": None if self.job.rto_seconds is None else round(self.job.rto_seconds, 1),
            # First seen backing-up or available: accepting connections, possibly long before available.
            "usable_seconds": None if self.job.usable_seconds is None else round(self.job.usable_seconds, 1),
            "status": "ok" if self.ok else "failed",
            "error": self.job.error,
            "checks": {name: check.as_json() for name, check in self.checks.items()},
            "cost_usd": cost.usd if cost else None,
            "cost": {
                "hourly_usd": cost.hourly_usd,
                "billed_seconds": round(cost.billed_seconds, 1),
                "price_source": cost.source,
            }
            if cost
            else None,
            "cleanup": self.cleanup,
            "cleanup_by_resource": self.cleanup_by_resource,
        }

    @property
    def usable_early(self) -> bool:
        """Usable more than a minute before available: worth a note next to the RTO."""
        rto, usable = self.job.rto_seconds, self.job.usable_seconds
        return rto is not None and usable is not None and rto - usable > USABLE_NOTE_SECONDS


@dataclass
class DrillReport:
    started_at: datetime
    source_region: str
    region: str
    results: list[SourceResult]
    kept: bool
    interrupted: str | None = None
    deployment: str | None = None  # whose copies were drilled (DEPLOYMENT_NAME)
    stopped: int | None = None  # what stopped the drill before its end, as an exit status (exit_codes)

    @property
    def ok(self) -> bool:
        return (
            self.interrupted is None
            and all(r.ok for r in self.results)
            and not any(LEFT_BEHIND in r.cleanup for r in self.results)
        )

    def as_json(self) -> dict[str, Any]:
        costs = [r.cost.usd for r in self.results if r.cost and r.cost.usd is not None]
        return {
            "drill_started_at": self.started_at.isoformat(),
            "source_region": self.source_region,
            "region": self.region,
            "deployment": self.deployment,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "kept": self.kept,
            "cost_usd": round(sum(costs), 4)
            if costs and len(costs) == len(self.results)
            else (None if not costs else f">= {round(sum(costs), 4)} (some classes unpriced)"),
            "sources": [r.as_json() for r in self.results],
        }


def publish(cloudwatch: Any, namespace: str, report: DrillReport) -> None:
    """LastDrillTimestamp (epoch seconds) only for a drill that passed: an alarm on its absence says how long
    it has been since the last good restore; RTO and RPO per source for dashboards. Every one carries the
    drill's source region, so two deployments copying into one destination from two regions never mix."""
    region = {"Name": DRILL_SOURCE_REGION_DIMENSION, "Value": report.source_region}
    data: list[dict[str, Any]] = [
        {
            "MetricName": LAST_DRILL_TIMESTAMP,
            "Dimensions": [region],
            "Value": report.started_at.timestamp(),
            "Unit": "Seconds",
        }
    ]
    for result in report.results:
        dims = [{"Name": "Source", "Value": result.plan.located.source}, region]
        if result.plan.located.from_another_account:
            dims.append({"Name": DRILL_SOURCE_ACCOUNT_DIMENSION, "Value": result.plan.located.account})
        for name, value in ((DRILL_RTO, result.job.rto_seconds), (DRILL_RPO, result.rpo_seconds)):
            if value is not None:
                data.append({"MetricName": name, "Dimensions": dims, "Value": value, "Unit": "Seconds"})
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 1000])


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def cost_text(estimate: prices.Estimate | None) -> str:
    return "-" if estimate is None else estimate.text()


def rto_text(result: SourceResult) -> str:
    if result.job.error is not None:
        return f"failed: {result.job.error}"
    text = duration(result.job.rto_seconds)
    return f"{text} (usable after {duration(result.job.usable_seconds)})" if result.usable_early else text


def print_report(report: DrillReport, console: Console) -> None:
    table = Table(
        title=f"Restore drill {report.source_region} -> {report.region}, {report.started_at:%Y-%m-%d %H:%M} UTC"
    )
    # A vault's drill (sources in other accounts): which account each database is of.
    accounts = any(r.plan.located.from_another_account for r in report.results)
    for column in ("source", *(("account",) if accounts else ()), "kind", "restored as", "RPO (age)", "RTO"):
        table.add_column(column)
    for column in ("checks", "class", "cost", "clean-up"):
        table.add_column(column)
    for r in report.results:
        failed = [name for name, c in r.checks.items() if not c.ok]
        checks = "passed" if r.checks and not failed else (f"FAILED: {', '.join(failed)}" if failed else "-")
        table.add_row(
            r.plan.located.source,
            *((r.plan.located.account or "-",) if accounts else ()),
            r.plan.kind,
            r.plan.target,
            duration(r.rpo_seconds),
            rto_text(r),
            checks,
            r.plan.instance_class or "-",
            cost_text(r.cost),
            r.cleanup,
        )
    console.print(table)
    if any(r.usable_early for r in report.results):
        console.print(
            "usable: first seen backing-up or available, when it accepts connections; RDS may keep a restored "
            "database backing-up (its first backup) long after that, and the RTO counts until available",
            markup=False,
            highlight=False,
        )
    if report.interrupted:
        console.print(f"drill stopped: {report.interrupted}", markup=False, highlight=False)
    console.print(
        f"cost: on-demand instance-hours only ({prices.PRICE_REGION} list prices as of {prices.PRICES_AS_OF}, "
        f"{prices.MINIMUM_BILLED_SECONDS // 60}-minute minimum)",
        markup=False,
        highlight=False,
    )
