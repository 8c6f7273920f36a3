"""The steady-state count (snapshot_copy.sizing) is the pruner's own: a simulated history of daily copies,
pruned each day by retention.decide, holds exactly the copies sizing counts, day by day, across 2026-W53 and
the leap day, for the default rules, a GFS example and more than one snapshot a day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from snapshot_copy.retention import decide
from snapshot_copy.sizing import DAYS, FIRST_DAY, SteadyState, held, steady_state_copies
from snapshot_copy.tiers import Tiers

from .test_tiers import OWNER, copy


@pytest.mark.parametrize(
    ("retention_days", "keep_last", "tiers", "per_day", "days"),
    [
        (35, 3, Tiers(), 1, [(2026, 6, 1), (2026, 7, 15)]),
        (3, 2, Tiers(daily=7, weekly=4, monthly=12), 1, [(2026, 12, 20), (2027, 1, 10)]),
        (1, 1, Tiers(weekly=2, monthly=3, yearly=2), 1, [(2027, 12, 25), (2028, 1, 5)]),
        (2, 5, Tiers(daily=4, weekly=3), 2, [(2028, 2, 20), (2028, 3, 8)]),
    ],
)
def test_sizing_counts_what_the_pruner_keeps(
    retention_days: int, keep_last: int, tiers: Tiers, per_day: int, days: list[tuple[int, int, int]]
) -> None:
    start, end = (datetime(*day, tzinfo=UTC).date() for day in days)
    first = start - timedelta(days=800)  # long enough for two yearly slots before the first day compared
    copies: list[dict] = []
    compared = 0
    day = first
    while day <= end:
        midnight = datetime.combine(day, time(), UTC)
        copies += [copy(midnight + timedelta(hours=(i + 0.5) * 24 / per_day)) for i in range(per_day)]
        now = midnight + timedelta(days=1, seconds=-1)  # the day's prune, after its last copy
        decided = decide(copies, "db", OWNER, now, retention_days, keep_last, tiers)
        gone = {v.identifier for v in decided.verdicts if v.delete}
        copies = [c for c in copies if c["DBSnapshotIdentifier"] not in gone]
        if day >= start:
            assert len(copies) == held(day, retention_days, keep_last, tiers, per_day), day
            compared += 1
        day += timedelta(days=1)
    assert compared == (end - start).days + 1


def test_the_steady_state_of_the_default_rules_and_of_gfs() -> None:
    assert steady_state_copies(35, 3) == SteadyState(copies=35, low=35, peak=36)
    # keep_last past the retention's copies holds more; two snapshots a day hold twice as many.
    assert steady_state_copies(2, 5).copies == 5
    assert steady_state_copies(35, 3, snapshots_per_day=2) == SteadyState(copies=70, low=70, peak=72)
    # GFS: 7 daily, 4 weekly, 12 monthly on a retention of a day: 7 + 3 Sundays + 11 month ends, less the
    # Sundays and month ends that fall on one another or within the week.
    assert steady_state_copies(1, 1, keep_daily=7, keep_weekly=4, keep_monthly=12) == SteadyState(21, 19, 22)
    assert steady_state_copies(35, 3, keep_monthly=12, keep_yearly=7) == SteadyState(51, 49, 52)


def test_the_calendar_counted_holds_week_53_and_a_leap_day() -> None:
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    assert FIRST_DAY <= datetime(2026, 12, 31).date() <= last and datetime(2028, 2, 29).date() <= last
    assert datetime(2026, 12, 31).isocalendar().week == 53


def test_the_quota_line() -> None:
    line = steady_state_copies(35, 3).quota_line(sources=4, quota=100)
    assert line == (
        "steady state: 35 copies per source (36 at the peak, before the daily prune), 4 source(s) -> 144 of the "
        "manual snapshot quota 100 (144%)"
    )
