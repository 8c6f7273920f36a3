"""How CloudWatch decides a metric alarm's state from its last evaluation periods: a model for the tests,
because the emulator stores alarms but never evaluates them.

The rules modelled (Amazon CloudWatch User Guide, "Evaluating an alarm" and "Configuring how CloudWatch
alarms treat missing data"): the alarm looks at its last EvaluationPeriods periods; a period with a datapoint
is breaching when the datapoint compares true against the threshold; a period without one counts as
TreatMissingData says (breaching, notBreaching, ignore: the state stays, missing: INSUFFICIENT_DATA when
all are missing); ALARM when at least DatapointsToAlarm periods are breaching.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_COMPARE = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def state(alarm: Mapping[str, Any], periods: Sequence[float | None], previous: str = "OK") -> str:
    """The state `alarm` (as DescribeAlarms returns it) takes over `periods` (oldest first, None: no datapoint)."""
    n = int(alarm["EvaluationPeriods"])
    m = int(alarm.get("DatapointsToAlarm") or n)
    if len(periods) != n:
        raise ValueError(f"the alarm evaluates {n} periods, {len(periods)} given")
    compare = _COMPARE[alarm["ComparisonOperator"]]
    missing = alarm.get("TreatMissingData", "missing")
    present = [p for p in periods if p is not None]
    if not present:
        if missing == "breaching":
            return "ALARM" if n >= m else previous
        if missing == "notBreaching":
            return "OK"
        return previous if missing == "ignore" else "INSUFFICIENT_DATA"
    breaching = sum(1 for p in present if compare(p, float(alarm["Threshold"])))
    if missing == "breaching":
        breaching += len(periods) - len(present)
    return "ALARM" if breaching >= m else "OK"
