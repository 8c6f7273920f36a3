"""The faults a year brings, each on by default with a stated rate or window, drawn from the run's seed.

Rates apply per event or per HTTP attempt; windows are placed at seeded random days (away from the first
and last weeks, so each one's effect is seen start to end). `FaultPlan.windows` is what the figures and
the picture shade, and what "explained" means for an alarm episode or an hour past the RPO.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86400.0


@dataclass
class FaultRates:
    """Every fault, on by default. Windows are in hours; 0 turns a window off."""

    event_lost: float = 0.02  # EventBridge never delivers the event
    event_duplicated: float = 0.01  # delivered twice (at-least-once)
    event_late: float = 0.10  # share delivered late, uniformly up to event_late_max_minutes
    event_late_max_minutes: float = 5.0
    throttle: float = 0.05  # per HTTP attempt, every API (botocore retries, 3 attempts)
    server_error: float = 0.01  # InternalFailure / 500 per attempt, every API
    outage_hours: float = 12.0  # the source region: no events, no API, no invocations, no scheduled runs
    stall_hours: float = 72.0  # destination: copies stay `copying` until the stall ends
    quota_hours: float = 48.0  # an operator's snapshots fill the manual snapshot quota, then are deleted
    reconciler_missed: float = 0.02  # a scheduled reconciler run that never starts
    reconciler_gap_hours: float = 24.0  # and one stretch with no reconciler run at all
    lambda_timeout: float = 0.005  # share of copier invocations killed mid-batch (the batch returns unsettled)
    key_disabled_hours: float = 6.0  # the destination key: copies refused with KMSKeyNotAccessibleFault
    operator_snapshots: bool = True  # an operator's own snapshots (and CopyTags=True keeps of our copies)
    second_deployment: bool = True  # another deployment's copies, same source region and destination


@dataclass(frozen=True)
class Window:
    name: str
    start: float  # simulated seconds
    end: float

    def active(self, now: float) -> bool:
        return self.start <= now < self.end

    def overlaps(self, start: float, end: float) -> bool:
        return self.start < end and start < self.end


@dataclass
class FaultPlan:
    rates: FaultRates
    windows: list[Window] = field(default_factory=list)

    def window(self, name: str) -> Window | None:
        return next((w for w in self.windows if w.name == name), None)

    def active(self, name: str, now: float) -> bool:
        w = self.window(name)
        return w is not None and w.active(now)

    def as_json(self) -> list[dict[str, float | str]]:
        return [
            {"fault": w.name, "from_day": round(w.start / DAY, 2), "hours": round((w.end - w.start) / HOUR, 1)}
            for w in self.windows
        ]


def plan(rates: FaultRates, days: int, seed: int) -> FaultPlan:
    """Place each window at its own seeded day, at a random hour; windows do not overlap."""
    rng = random.Random(seed * 7919 + 11)
    wanted = [
        ("source-region outage", rates.outage_hours),
        ("destination copy stall", rates.stall_hours),
        ("manual snapshot quota reached", rates.quota_hours),
        ("reconciler not running", rates.reconciler_gap_hours),
        ("key disabled", rates.key_disabled_hours),
    ]
    # Not a fault: a new deployment has no copy of anything until its first backups are copied.
    windows: list[Window] = [Window("deployment start", 0.0, 1.5 * DAY)]
    # Spread over the run: each fault in its own slice of the days after the first week.
    usable = max(1.0, days - 10.0)
    for number, (name, hours) in enumerate(wanted):
        if hours <= 0:
            continue
        low = 7.0 + usable * number / len(wanted)
        high = 7.0 + usable * (number + 1) / len(wanted) - hours / 24.0 - 1.0
        day = rng.uniform(low, max(low, high))
        start = (int(day) + rng.uniform(0, 1)) * DAY if days > 20 else day * DAY
        windows.append(Window(name, start, start + hours * HOUR))
    return FaultPlan(rates, windows)
