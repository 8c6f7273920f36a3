"""How many copies of one source the retention rules hold in the steady state, and at their peak: what the
README's sizing table and `rds-snapshot-copy status` set against the manual snapshot quota.

The model: a source snapshotted `snapshots_per_day` times a day, evenly, for ever, every copy available, the
pruner run once a day after the day's last copy. Right after a prune it holds the copies retention.py keeps:
the newest max(retention_days * snapshots_per_day, keep_last), and past them each tier's slots (tiers.py: the
newest copy of each of its N most recent days, ISO weeks, months, years, i.e. a day's last copy). That
number moves with the calendar (a month's end can be a week's too), so it is counted after each daily prune
over two calendar years, from 1 June 2026, which hold an ISO week 53 (2026-W53) and a leap day (2028-02-29):
`copies` is the most held after a prune, `low` the fewest, `peak` the most at any time, just before a prune,
when a day's new copies have arrived (`copies` + `snapshots_per_day`). tests/unit/test_sizing.py checks the
count against retention.decide itself over a simulated history.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .config import MAX_DAYS, positive_int
from .prune_config import DEFAULT_KEEP_LAST, MAX_KEEP_LAST, optional_int, tiers_from_env
from .tiers import TIERS, Tiers

# The calendar the count runs over: two years holding 2026-W53 and 2028-02-29.
FIRST_DAY = date(2026, 6, 1)
DAYS = 731


@dataclass(frozen=True)
class SteadyState:
    copies: int  # the most copies of one source held right after a daily prune
    low: int  # the fewest
    peak: int  # the most at any time: `copies` and the copies made until the next prune

    def quota_line(self, sources: int, quota: int, kind: str | None = None) -> str:
        """steady state: N copies per source, M sources -> X of the manual snapshot quota Q (the peak's X);
        `kind` ("db", "cluster") is named after "steady state" when given."""
        total = self.peak * sources
        what = f"steady state ({kind} snapshots)" if kind else "steady state"
        return (
            f"{what}: {self.copies} copies per source ({self.peak} at the peak, before the daily prune), "
            f"{sources} source(s) -> {total} of the manual snapshot quota {quota} ({100 * total / quota:.0f}%)"
        )


def steady_state_copies(
    retention_days: int,
    keep_last: int,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    keep_monthly: int | None = None,
    keep_yearly: int | None = None,
    snapshots_per_day: int = 1,
) -> SteadyState:
    """The copies of one source the rules hold, as the module docstring models them."""
    if snapshots_per_day < 1:
        raise ValueError(f"snapshots_per_day must be at least 1, got {snapshots_per_day}")
    tiers = Tiers(keep_daily, keep_weekly, keep_monthly, keep_yearly)
    counts = [
        held(FIRST_DAY + timedelta(days=d), retention_days, keep_last, tiers, snapshots_per_day) for d in range(DAYS)
    ]
    return SteadyState(copies=max(counts), low=min(counts), peak=max(counts) + snapshots_per_day)


def held(today: date, retention_days: int, keep_last: int, tiers: Tiers, per_day: int) -> int:
    """The copies held right after the prune at the end of `today`. A copy is named by its rank, 0 the newest;
    the last copy of the day `k` days ago has rank k * per_day: every tier slot is such a copy."""
    newest = max(retention_days * per_day, keep_last)  # ranks 0 .. newest-1: retention_days and keep_last
    first_day_past = -(-newest // per_day)  # the first day whose last copy is past them
    daily = tiers.daily or 0
    count = newest + max(0, daily - first_day_past)
    past = max(first_day_past, daily)  # days before this one hold no daily slot, nor any counted yet
    return count + len({k for k in _sparse_slots(today, tiers) if k >= past})


def _sparse_slots(today: date, tiers: Tiers) -> set[int]:
    """Days ago of the copies the weekly, monthly and yearly tiers keep: each period's last day (today for the
    current period)."""
    slots: set[int] = set()
    now = today.toordinal()
    if tiers.weekly:
        last_sunday = today.weekday() + 1  # days ago: the end of the previous ISO week
        slots |= {0, *range(last_sunday, last_sunday + 7 * (tiers.weekly - 1), 7)}
    for n, ends, start in (
        (tiers.monthly, _MONTH_ENDS, today.replace(day=1)),
        (tiers.yearly, _YEAR_ENDS, date(today.year, 1, 1)),
    ):
        if n:
            before = bisect_left(ends, start.toordinal())  # the ends of the periods before the current one
            slots |= {0, *(now - end for end in ends[max(0, before - (n - 1)) : before])}
    return slots


def _period_ends() -> tuple[list[int], list[int]]:
    """The ordinals of every month's and year's last day, from before the longest tier (100 years, 1200
    months) before FIRST_DAY to past the last day counted."""
    months = [
        (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).toordinal()
        for year in range(FIRST_DAY.year - 102, FIRST_DAY.year + 4)
        for month in range(1, 13)
    ]
    years = [date(year, 12, 31).toordinal() for year in range(FIRST_DAY.year - 102, FIRST_DAY.year + 4)]
    return months, years


_MONTH_ENDS, _YEAR_ENDS = _period_ends()


# What `status` reads from the reconciler's environment to size the pruner's rules: the pruner's own settings,
# which the module puts there too, under these names (RETENTION_DAYS is the reconciler's window there).
PRUNE_RETENTION_DAYS = "PRUNE_RETENTION_DAYS"


def rules_from_env(env: Mapping[str, str]) -> dict[str, int | None] | None:
    """steady_state_copies' arguments from the reconciler's environment: PRUNE_RETENTION_DAYS (absent: pruning
    is off, `retention_days` None), KEEP_LAST and the KEEP_* tiers, read as the pruner reads them. None when
    the environment has no KEEP_LAST: a deployment from before the rules were there, nothing to size."""
    if not (env.get("KEEP_LAST") or "").strip():
        return None
    tiers = tiers_from_env(env)
    return {
        "retention_days": optional_int(env, PRUNE_RETENTION_DAYS, MAX_DAYS),
        "keep_last": positive_int(env, "KEEP_LAST", DEFAULT_KEEP_LAST, MAX_KEEP_LAST),
        **{f"keep_{tier}": getattr(tiers, tier) for tier in TIERS},
    }
