"""Calendar tiers: keep_daily, keep_weekly, keep_monthly and keep_yearly, as restic and borg keep them.

Each tier keeps the newest available copy of a source in each of the last N calendar periods, the current
one included: days, ISO weeks (Monday to Sunday, so 2026-W53 runs from 28 December 2026 to 3 January 2027),
months, years. A period is the one the copy's DATA time falls in (snapshot_time.data_time), in UTC, never
when the copy was made. A period without an available copy is an empty slot: the tier does not reach further
back for it (restic and borg would), so keep_daily 7 never keeps anything older than 7 days, which is what an
auditor reads and what the module's plan-time check (`redundant`) assumes. keep_last keeps a quiet source's
last copies.

Tiers only keep. What no rule keeps expires (retention.py), so adding a tier never deletes a copy.
Pure functions of the copies' times: retention.py judges with them, sizing.py counts with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .config import MAX_DAYS

# The tiers, shortest first, with the name of the setting (the module's variable, and the environment
# variable in capitals) and the most periods one may name: a hundred years, as every span in days
# (config.MAX_DAYS); more is most likely a typo.
TIERS = ("daily", "weekly", "monthly", "yearly")
SETTINGS = {tier: f"keep_{tier}" for tier in TIERS}
MAX_PERIODS = {
    "daily": MAX_DAYS,
    "weekly": -(-MAX_DAYS // 7),
    "monthly": MAX_DAYS // 365 * 12,
    "yearly": MAX_DAYS // 365,
}
# The longest a tier's N periods can reach back, in days, per period: a tier of N periods can keep nothing
# older than N * this, so with `retention_days` at least that long it keeps nothing retention does not.
LONGEST_PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "yearly": 366}

Period = tuple[int, ...]


def period(when: datetime, tier: str) -> Period:
    """The day, ISO week, month or year (UTC) `when` falls in."""
    utc = when.astimezone(UTC)
    if tier == "daily":
        return (utc.year, utc.month, utc.day)
    if tier == "weekly":
        iso = utc.isocalendar()
        return (iso.year, iso.week)
    if tier == "monthly":
        return (utc.year, utc.month)
    if tier == "yearly":
        return (utc.year,)
    raise ValueError(f"unknown tier {tier!r}")


def index(key: Period, tier: str) -> int:
    """A period's place in its calendar: consecutive periods have consecutive indexes."""
    if tier == "daily":
        return date(*key).toordinal()
    if tier == "weekly":
        return date.fromisocalendar(key[0], key[1], 1).toordinal() // 7
    if tier == "monthly":
        return key[0] * 12 + key[1] - 1
    return key[0]


# How a reason names a tier's periods.
PERIOD_NAMES = {"daily": "days", "weekly": "ISO weeks", "monthly": "months", "yearly": "years"}


def label(key: Period, tier: str) -> str:
    """How a period is written in a reason: 2026-12-01, 2026-W53, 2026-12, 2026."""
    if tier == "daily":
        return f"{key[0]:04d}-{key[1]:02d}-{key[2]:02d}"
    if tier == "weekly":
        return f"{key[0]:04d}-W{key[1]:02d}"
    if tier == "monthly":
        return f"{key[0]:04d}-{key[1]:02d}"
    return f"{key[0]:04d}"


@dataclass(frozen=True)
class Tiers:
    """How many periods each tier keeps; None: the tier is off."""

    daily: int | None = None
    weekly: int | None = None
    monthly: int | None = None
    yearly: int | None = None

    def items(self) -> list[tuple[str, int]]:
        """(tier, N) for each tier that is on, shortest first."""
        return [(tier, n) for tier in TIERS if (n := getattr(self, tier))]

    def __bool__(self) -> bool:
        return bool(self.items())


NO_TIERS = Tiers()


@dataclass(frozen=True)
class TierChoice:
    """One tier's choice among a source's available copies: the newest copy of each period it keeps."""

    tier: str
    periods: int  # N
    kept: dict[Period, str]  # period -> the identifier kept for it (the period's newest copy)
    oldest: int  # the index of the oldest period kept: the current one's - (N - 1)

    def keeps(self, identifier: str, when: datetime) -> bool:
        return self.kept.get(period(when, self.tier)) == identifier

    def why(self, identifier: str, when: datetime) -> str:
        """Why this tier keeps the copy or not, in a few words: 'keep_monthly 12: newest of 2026-11', ..."""
        key = period(when, self.tier)
        name, at = f"{SETTINGS[self.tier]} {self.periods}", label(key, self.tier)
        holder = self.kept.get(key)
        if holder == identifier:
            return f"{name}: newest of {at}"
        if holder is not None:
            return f"{name}: a newer copy holds {at}"
        return f"{name}: {at} is not one of the last {self.periods} {PERIOD_NAMES[self.tier]}"


def choose(copies: Iterable[tuple[str, datetime]], tiers: Tiers, now: datetime) -> list[TierChoice]:
    """Each tier's choice among (identifier, data time) of a source's AVAILABLE copies (the caller's to
    filter: only `available` fills a keep slot): the newest copy of each of the last N periods up to `now`'s.
    A copy whose data time is past `now` (a clock ahead) is within them too. Ties in time go to the
    greater identifier, as everywhere in retention.py, so the choice never depends on the listing's order."""
    ordered = sorted(copies, key=lambda c: (c[1], c[0]), reverse=True)
    choices = []
    for tier, n in tiers.items():
        oldest = index(period(now, tier), tier) - (n - 1)
        kept: dict[Period, str] = {}
        for identifier, when in ordered:
            key = period(when, tier)
            if index(key, tier) >= oldest:
                kept.setdefault(key, identifier)
        choices.append(TierChoice(tier, n, kept, oldest))
    return choices


def redundant(retention_days: int | None, tiers: Tiers) -> list[str]:
    """The tiers that can keep nothing `retention_days` does not keep already (their N periods never reach
    past it), each with the reason naming both settings: what the module refuses at plan time."""
    if retention_days is None:
        return []
    return [
        f"{SETTINGS[tier]} {n} keeps nothing retention_days {retention_days} does not keep already ({n} "
        f"{tier} periods reach back at most {n * LONGEST_PERIOD_DAYS[tier]} days)"
        for tier, n in tiers.items()
        if n * LONGEST_PERIOD_DAYS[tier] <= retention_days
    ]
