"""The calendar tiers (snapshot_copy.tiers through retention.decide): keep_daily, keep_weekly, keep_monthly and
keep_yearly keep the newest available copy of each source in each of their N most recent periods, by the
data's time in UTC, at the boundaries where a calendar goes wrong: the first of the month, ISO week 53, the
leap day, the turn of the year.

The copies are shaped as the copier makes them (naming.target_identifier, tagging.copy_tags): retention.decide
judges only this deployment's. The lock and copies in progress are test_tiers_lock.py's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from snapshot_copy.kinds import KINDS
from snapshot_copy.naming import target_identifier
from snapshot_copy.ownership import Owner
from snapshot_copy.retention import Verdict, decide
from snapshot_copy.tagging import copy_tags
from snapshot_copy.tiers import MAX_PERIODS, Tiers, choose, label, period, redundant

SOURCE_REGION = "us-east-1"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
DEPLOYMENT = "rds-snapshot-copy"
OWNER = Owner(DEPLOYMENT, SOURCE_REGION)


def utc(text: str) -> datetime:
    """2026-12-01T00:00:01 -> an aware UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def copy(
    when: datetime,
    source: str = "orders",
    status: str = "available",
    kind: str = "db",
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """One of this deployment's copies of `source`'s snapshot whose data was taken `when`, named by that time."""
    table = KINDS[kind]
    name = f"{source}-{when.astimezone(UTC):%Y%m%d-%H%M%S}"
    arn = table.arn("aws", SOURCE_REGION, account, name)
    times = {"OriginalSnapshotCreateTime": when} if kind == "db" else {}
    return {
        table.identifier_key: target_identifier(name, arn, kind),
        table.source_identifier_key: source,
        "Status": status,
        "SnapshotCreateTime": when,
        **times,
        "TagList": copy_tags([], SOURCE_REGION, arn, DEPLOYMENT, when),
    }


def verdicts(
    copies: Iterable[dict[str, Any]],
    now: datetime,
    *,
    retention_days: int = 1,
    keep_last: int = 1,
    kind: str = "db",
    min_retention_days: int | None = None,
    **tiers: int,
) -> dict[str, Verdict]:
    """Each copy's verdict, by the time its data was taken (ISO, UTC; `source@time` for another source)."""
    listed = list(copies)
    table = KINDS[kind]
    names = {}
    for snapshot in listed:
        taken = snapshot["SnapshotCreateTime"]
        when = taken.astimezone(UTC).replace(tzinfo=None).isoformat() if taken else "unknown"
        source = snapshot[table.source_identifier_key]
        names[snapshot[table.identifier_key]] = when if source == "orders" else f"{source}@{when}"
    chosen = Tiers(**{setting.removeprefix("keep_"): n for setting, n in tiers.items()})
    decided = decide(listed, kind, OWNER, now, retention_days, keep_last, chosen, min_retention_days)
    assert not decided.legacy
    return {names[v.identifier]: v for v in decided.verdicts}


def kept(found: dict[str, Verdict]) -> list[str]:
    return sorted(name for name, v in found.items() if not v.delete)


# Long after every copy: retention_days 1 keeps none of them, keep_last 1 only the newest, no tier any.
LATER = utc("2030-06-15T12:00:00")


def test_the_first_of_the_month_is_the_months_not_the_day_befores() -> None:
    copies = [copy(utc(t)) for t in ("2026-11-30T23:59:59", "2026-12-01T00:00:00", "2026-12-01T00:00:01")]
    # 01:30 at UTC+02:00 is 23:30 UTC on 30 November: November's, though the wall clock says December.
    copies.append(copy(datetime(2026, 12, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))))
    found = verdicts(copies, utc("2026-12-20T12:00:00"), keep_monthly=2)
    assert kept(found) == ["2026-11-30T23:59:59", "2026-12-01T00:00:01"]
    assert found["2026-11-30T23:59:59"].reason == "keep_monthly 2: newest of 2026-11"
    assert found["2026-12-01T00:00:01"].rules == ("keep_last", "keep_monthly")
    assert found["2026-12-01T00:00:00"].reason.endswith("; keep_monthly 2: a newer copy holds 2026-12")
    assert found["2026-11-30T23:30:00"].delete


@pytest.mark.parametrize(
    ("monday", "sunday", "next_monday"),
    [("2020-12-28", "2021-01-03", "2021-01-04"), ("2026-12-28", "2027-01-03", "2027-01-04")],
)
def test_iso_week_53_runs_from_monday_to_sunday_across_the_new_year(monday: str, sunday: str, next_monday: str) -> None:
    start = utc(f"{monday}T06:00:00") - timedelta(days=8)
    daily = [copy(start + timedelta(days=d)) for d in range(17)]  # to the Tuesday after week 53
    year = int(monday[:4])
    found = verdicts(daily, utc(f"{next_monday}T23:00:00") + timedelta(days=6), keep_weekly=3)  # the Sunday
    assert period(utc(f"{monday}T00:00:00"), "weekly") == period(utc(f"{sunday}T23:59:59"), "weekly") == (year, 53)
    assert period(utc(f"{next_monday}T00:00:00"), "weekly") == (year + 1, 1)
    tuesday = (utc(f"{next_monday}T06:00:00") + timedelta(days=1)).replace(tzinfo=None).isoformat()
    sunday_before = (utc(f"{monday}T06:00:00") - timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert kept(found) == sorted([tuesday, f"{sunday}T06:00:00", sunday_before])
    assert found[f"{sunday}T06:00:00"].reason == f"keep_weekly 3: newest of {year}-W53"
    # The new year's day is week 53's, not week 1's: a newer copy in the same week holds it.
    assert found[f"{year + 1}-01-01T06:00:00"].reason.endswith(f"keep_weekly 3: a newer copy holds {year}-W53")
    # The week before the three newest is past them.
    older = (utc(f"{monday}T06:00:00") - timedelta(days=8)).replace(tzinfo=None).isoformat()
    assert found[older].reason.endswith(f"keep_weekly 3: {year}-W51 is not one of the last 3 ISO weeks")


def test_the_leap_day_is_a_day_of_february() -> None:
    times = ("2028-02-28T12:00:00", "2028-02-29T08:00:00", "2028-02-29T20:00:00", "2028-03-01T00:00:00")
    copies = [copy(utc(t)) for t in times]
    daily = verdicts(copies, utc("2028-03-01T23:00:00"), keep_daily=2)
    assert kept(daily) == ["2028-02-29T20:00:00", "2028-03-01T00:00:00"]
    assert daily["2028-02-29T20:00:00"].reason == "keep_daily 2: newest of 2028-02-29"
    monthly = verdicts(copies, utc("2028-03-20T00:00:00"), keep_monthly=2)
    assert kept(monthly) == ["2028-02-29T20:00:00", "2028-03-01T00:00:00"]
    assert monthly["2028-02-29T20:00:00"].reason == "keep_monthly 2: newest of 2028-02"


def test_the_turn_of_the_year() -> None:
    times = ("2026-12-31T23:59:59", "2027-01-01T00:00:00", "2027-01-01T00:00:30", "2025-12-31T23:00:00")
    copies = [copy(utc(t)) for t in times]
    yearly = verdicts(copies, utc("2027-02-01T00:00:00"), keep_yearly=2)
    assert kept(yearly) == ["2026-12-31T23:59:59", "2027-01-01T00:00:30"]
    assert yearly["2026-12-31T23:59:59"].reason == "keep_yearly 2: newest of 2026"
    assert yearly["2025-12-31T23:00:00"].reason.endswith("keep_yearly 2: 2025 is not one of the last 2 years")
    # The same three days are one ISO week (2026-W53): one weekly slot holds them all.
    weekly = verdicts(copies, utc("2027-01-03T12:00:00"), keep_weekly=1)
    assert kept(weekly) == ["2027-01-01T00:00:30"]


def test_a_period_without_a_copy_is_an_empty_slot() -> None:
    # Nothing was copied in March and April: the last three months are May, April and March, whatever was
    # copied before (restic and borg would reach back to February: never older than N periods here).
    times = ("2027-01-20T06:00:00", "2027-02-20T06:00:00", "2027-05-20T06:00:00", "2026-12-20T06:00:00")
    found = verdicts([copy(utc(t)) for t in times], utc("2027-05-25T00:00:00"), keep_last=1, keep_monthly=3)
    assert kept(found) == ["2027-05-20T06:00:00"]
    assert found["2027-02-20T06:00:00"].reason.endswith("keep_monthly 3: 2027-02 is not one of the last 3 months")


def test_only_available_copies_fill_a_period() -> None:
    copies = [
        copy(utc("2027-03-31T06:00:00"), status="failed"),
        copy(utc("2027-03-30T06:00:00"), status="incompatible-restore"),
        copy(utc("2027-03-15T06:00:00")),
        copy(utc("2027-03-01T06:00:00")),
        copy(utc("2027-04-10T06:00:00")),
    ]
    found = verdicts(copies, utc("2027-04-20T00:00:00"), keep_monthly=2)
    # The newest AVAILABLE copy of March holds it; the failed ones restore nothing and go.
    assert kept(found) == ["2027-03-15T06:00:00", "2027-04-10T06:00:00"]
    assert found["2027-03-31T06:00:00"].reason == "failed copy (failed)"


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_each_source_keeps_its_own_periods_per_account_and_database(kind: str) -> None:
    # A backup account's vault: two accounts both run `orders`, a third database is `billing`.
    copies = []
    for day in range(1, 4):
        when = utc(f"2027-0{day}-10T06:00:00")
        copies += [copy(when, kind=kind), copy(when, source="billing", kind=kind)]
        copies.append(copy(when + timedelta(hours=1), kind=kind, account=OTHER_ACCOUNT))
    found = verdicts(copies, utc("2027-03-20T00:00:00"), kind=kind, keep_monthly=2)
    by_account = {(v.account, v.source, name[-19:]) for name, v in found.items() if not v.delete}
    assert by_account == {
        (account, source, f"2027-0{month}-10T{hour}:00:00")
        for month in (2, 3)
        for account, source, hour in (
            (ACCOUNT, "orders", "06"),
            (ACCOUNT, "billing", "06"),
            (OTHER_ACCOUNT, "orders", "07"),
        )
    }
    # Two accounts' copies meet: the reason says whose source it is.
    assert "of orders (account 210987654321)" in found["2027-03-10T07:00:00"].reason


def test_a_tier_keeps_past_the_retention_and_an_expiry_names_every_tier() -> None:
    now = utc("2027-06-15T12:00:00")
    daily = [copy(now - timedelta(days=d, hours=1)) for d in range(400)]
    found = verdicts(daily, now, retention_days=10, keep_last=3, keep_daily=14, keep_weekly=6, keep_monthly=12)
    old = [name for name, v in found.items() if not v.delete and v.data_time < now - timedelta(days=14)]
    # Past the daily slots: the weekly (Sundays) and the monthly (last days of the months) ones.
    assert all(found[n].rules in (("keep_weekly",), ("keep_monthly",), ("keep_weekly", "keep_monthly")) for n in old)
    assert sum("keep_monthly" in found[n].rules for n in old) == 12 - 1  # June's newest is today's
    expired = found[(now - timedelta(days=200, hours=1)).replace(tzinfo=None).isoformat()]
    assert expired.delete and expired.reason == (
        "data 200.0 days old, older than the retention of 10 days; keep_daily 14: 2026-11-27 is not one of the "
        "last 14 days; keep_weekly 6: 2026-W48 is not one of the last 6 ISO weeks; keep_monthly 12: a newer copy "
        "holds 2026-11"
    )
    # Nothing younger than the retention, or among the keep_last, ever goes for a tier's sake.
    assert all(not v.delete for v in found.values() if v.data_time >= now - timedelta(days=10))


def test_adding_a_tier_never_deletes_more() -> None:
    now = utc("2027-06-15T12:00:00")
    copies = [copy(now - timedelta(hours=7 * h)) for h in range(1500)]  # every 7 hours for 14 months
    before = {n for n, v in verdicts(copies, now, retention_days=20, keep_last=2).items() if v.delete}
    for tiers in ({"keep_daily": 30}, {"keep_weekly": 8}, {"keep_monthly": 6}, {"keep_yearly": 3}):
        after = {n for n, v in verdicts(copies, now, retention_days=20, keep_last=2, **tiers).items() if v.delete}
        assert after < before, tiers


def test_ties_in_time_never_depend_on_the_listing_order() -> None:
    when = utc("2027-02-01T00:00:00")
    pair = [("b-copy", when), ("a-copy", when)]
    assert (
        choose(pair, Tiers(daily=1), when)[0].kept
        == choose(reversed(pair), Tiers(daily=1), when)[0].kept
        == {(2027, 2, 1): "b-copy"}
    )


def test_labels() -> None:
    when = utc("2027-01-03T10:00:00")
    assert [label(period(when, t), t) for t in ("daily", "weekly", "monthly", "yearly")] == [
        "2027-01-03",
        "2026-W53",
        "2027-01",
        "2027",
    ]


def test_a_tier_retention_already_covers_is_named_with_both_settings() -> None:
    assert redundant(35, Tiers(daily=7, weekly=4, monthly=12)) == [
        "keep_daily 7 keeps nothing retention_days 35 does not keep already (7 daily periods reach back at most "
        "7 days)",
        "keep_weekly 4 keeps nothing retention_days 35 does not keep already (4 weekly periods reach back at most "
        "28 days)",
    ]
    assert redundant(6, Tiers(daily=7, weekly=4, monthly=12)) == []
    assert redundant(None, Tiers(daily=1)) == []
    assert MAX_PERIODS == {"daily": 36500, "weekly": 5215, "monthly": 1200, "yearly": 100}
