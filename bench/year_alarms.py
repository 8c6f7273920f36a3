"""The module's alarms as Terraform defines them (alarms.tf, with variables.tf's defaults), and a model of
CloudWatch's rules over the metrics the year published.

alarms.tf is read, not copied: each alarm's statistic, period, evaluation_periods, datapoints_to_alarm,
comparison, threshold and treat_missing_data, with `var.X` taken from variables.tf's default and
`local.reconcile_interval_seconds` from reconciler_schedule's. CloudWatch's rule: each period's datapoint
(or none); the alarm is in ALARM when at least datapoints_to_alarm of the last evaluation_periods breach,
missing datapoints counting as breaching or not as treat_missing_data says. An episode is a run of periods
in ALARM; it is "explained" when it overlaps a fault window, widened after its end by the alarm's
evaluation span and the time the fleet needs to catch up (EXPLAIN_AFTER_HOURS).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .year_faults import HOUR, Window

ROOT = Path(__file__).resolve().parents[1]
EXPLAIN_AFTER_HOURS = 48.0
UNITS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Alarm:
    key: str
    metric: str
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: str
    threshold: float
    treat_missing: str

    def breaches(self, value: float) -> bool:
        return {
            "GreaterThanThreshold": value > self.threshold,
            "GreaterThanOrEqualToThreshold": value >= self.threshold,
            "LessThanThreshold": value < self.threshold,
            "LessThanOrEqualToThreshold": value <= self.threshold,
        }[self.comparison]


def _block(text: str, start: int) -> str:
    depth, i = 0, start
    while i < len(text):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0 and text[i] == "}":
            return text[start : i + 1]
        i += 1
    raise ValueError("unbalanced braces")


@lru_cache(maxsize=1)
def variable_defaults() -> dict[str, str]:
    text = (ROOT / "variables.tf").read_text()
    found = {}
    for match in re.finditer(r'^variable "(\w+)" \{', text, re.M):
        body = _block(text, match.end() - 1)
        default = re.search(r"^\s*default\s*=\s*(.+)$", body, re.M)
        if default:
            found[match[1]] = default[1].strip().strip('"')
    return found


def _value(raw: str) -> str:
    raw = raw.strip().strip('"')
    defaults = variable_defaults()
    if raw.startswith("var."):
        return defaults[raw[4:]]
    if raw == "local.reconcile_interval_seconds":
        number, unit = re.match(r"rate\((\d+) (minute|hour|day)s?\)", defaults["reconciler_schedule"]).groups()
        return str(int(number) * UNITS[unit])
    return raw


@lru_cache(maxsize=1)
def alarms() -> dict[str, Alarm]:
    """The alarms of alarms.tf's `local.alarms`, with the quota alarm once per snapshot kind, and each
    function's errors alarm (modules/function/main.tf), once per function the year runs."""
    return {**_module_alarms(), **function_alarms()}


# The functions whose errors alarm (Lambda's Errors metric: an invocation that raised or timed out) the year
# models; the source side's is in the backup-account mode only, and left out.
FUNCTIONS = ("copier", "reconciler", "pruner")


@lru_cache(maxsize=1)
def function_alarms() -> dict[str, Alarm]:
    text = (ROOT / "modules" / "function" / "main.tf").read_text()
    start = text.index('resource "aws_cloudwatch_metric_alarm" "errors"')
    body = _block(text, text.index("{", start))
    fields = dict(re.findall(r"^\s*(\w+)\s*=\s*(.+?)\s*$", body, re.M))
    return {
        f"function_errors_{name}": Alarm(
            key=f"function_errors_{name}",
            metric=_value(fields["metric_name"]),
            statistic=_value(fields["statistic"]),
            period=int(_value(fields["period"])),
            evaluation_periods=int(_value(fields["evaluation_periods"])),
            datapoints_to_alarm=int(_value(fields.get("datapoints_to_alarm", fields["evaluation_periods"]))),
            comparison=_value(fields["comparison_operator"]),
            threshold=float(_value(fields["threshold"])),
            treat_missing=_value(fields["treat_missing_data"]),
        )
        for name in FUNCTIONS
    }


@lru_cache(maxsize=1)
def _module_alarms() -> dict[str, Alarm]:
    text = (ROOT / "alarms.tf").read_text()
    found: dict[str, Alarm] = {}
    for match in re.finditer(r'^\s*(\w+)\s*=\s*\{\s*$|:\s*"([^"]+)"\s*=>\s*\{\s*$', text, re.M):
        key = match[1] or match[2]
        body = _block(text, match.start() + match.group(0).rindex("{"))
        fields = dict(re.findall(r"^\s*(\w+)\s*=\s*(.+?)\s*$", body, re.M))
        if "metric_name" not in fields:
            continue
        if key.startswith("manual_snapshot_quota_"):
            keys = ["manual_snapshot_quota_db", "manual_snapshot_quota_cluster"]
        else:
            keys = [key]
        if _value(fields.get("threshold", "null")) == "null":
            continue  # an optional alarm that is off by default (drill_age)
        period = int(_value(fields.get("period", "300")))
        evaluations = int(_value(fields.get("evaluation_periods", "1")))
        for name in keys:
            found[name] = Alarm(
                key=name,
                metric=_value(fields["metric_name"]),
                statistic=_value(fields["statistic"]),
                period=period,
                evaluation_periods=evaluations,
                datapoints_to_alarm=int(_value(fields.get("datapoints_to_alarm", str(evaluations)))),
                comparison=_value(fields["comparison_operator"]),
                threshold=float(_value(fields["threshold"])),
                treat_missing=_value(fields["treat_missing_data"]),
            )
    return found


def evaluate(alarm: Alarm, points: list[tuple[float, float]], start: float, end: float) -> list[tuple[float, float]]:
    """Episodes (start, end) of ALARM over [start, end), from (time, value) datapoints."""
    periods = max(1, math.ceil((end - start) / alarm.period))
    values: list[float | None] = [None] * periods
    for at, value in points:
        index = int((at - start) // alarm.period)
        if 0 <= index < periods:
            old = values[index]
            if alarm.statistic == "Sum":
                values[index] = (old or 0.0) + value
            else:
                values[index] = value if old is None else max(old, value)
    breaching = [(alarm.treat_missing == "breaching") if v is None else alarm.breaches(v) for v in values]
    episodes: list[tuple[float, float]] = []
    began: float | None = None
    window = 0
    for index, breach in enumerate(breaching):
        window += breach
        if index >= alarm.evaluation_periods:
            window -= breaching[index - alarm.evaluation_periods]
        firing = window >= alarm.datapoints_to_alarm
        at = start + (index + 1) * alarm.period  # judged at the end of the period
        if firing and began is None:
            began = at
        elif not firing and began is not None:
            episodes.append((began, at))
            began = None
    if began is not None:
        episodes.append((began, end))
    return episodes


def report(alarm: Alarm, episodes: list[tuple[float, float]], windows: list[Window]) -> dict[str, Any]:
    span = alarm.period * alarm.evaluation_periods + EXPLAIN_AFTER_HOURS * HOUR
    listed = []
    for begin, finish in episodes:
        faults = [w.name for w in windows if w.start < finish and begin < w.end + span]
        listed.append(
            {"from_hours": round(begin / HOUR, 1), "hours": round((finish - begin) / HOUR, 1), "faults": faults}
        )
    per_fault = {}
    for w in windows:
        hits = [e for e in episodes if e[0] < w.end + span and w.start < e[1]]
        if hits:
            first = hits[0]
            per_fault[w.name] = {
                "fired_after_fault_start_hours": round((first[0] - w.start) / HOUR, 2),
                "within_evaluation_window": first[0] - w.start <= alarm.period * (alarm.evaluation_periods + 1),
                "cleared_hours_after_fault_end": round((max(e[1] for e in hits) - w.end) / HOUR, 1),
            }
    return {
        "episodes": len(episodes),
        "unexplained": sum(1 for e in listed if not e["faults"]),
        "hours_in_alarm": round(sum(f - b for b, f in episodes) / HOUR, 1),
        "by_fault": per_fault,
        "list": listed[:20],
        "rule": f"{alarm.statistic} {alarm.comparison} {alarm.threshold:g} for {alarm.datapoints_to_alarm} of "
        f"{alarm.evaluation_periods} x {alarm.period} s, missing {alarm.treat_missing}",
    }
