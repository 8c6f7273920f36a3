"""The minimum-retention lock (min_retention_days) against every rule that deletes, and copies in progress
with the tiers on (retention.decide; the copies and helpers are test_tiers.py's).

The lock: no copy whose data is younger than min_retention_days is ever deleted, whatever retention_days,
keep_last or a tier says, in any state; a failed copy too (the rule is "nothing younger than N days", which
is also all an SCP can enforce: it sees no status).
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from .test_tiers import LATER, copy, kept, utc, verdicts

NOW = utc("2027-06-15T12:00:00")
LOCK = "min_retention_days"


def days_ago(days: float) -> str:
    """The name test_tiers.verdicts gives the copy whose data is `days` old."""
    return (NOW - timedelta(days=days)).replace(tzinfo=None).isoformat()


def test_the_lock_holds_against_retention_days() -> None:
    copies = [copy(NOW - timedelta(days=d)) for d in (1, 10, 29.9, 30, 45)]
    found = verdicts(copies, NOW, retention_days=7, keep_last=1, min_retention_days=30)
    assert kept(found) == [days_ago(29.9), days_ago(10), days_ago(1)]
    assert found[days_ago(10)].rules == (LOCK,)
    assert found[days_ago(10)].reason == "data 10.0 days old, younger than min_retention_days 30 (the lock)"
    # Exactly as old as the lock is no longer younger than it.
    assert found[days_ago(30)].delete
    assert found[days_ago(45)].reason == (
        "data 45.0 days old, older than the retention of 7 days and than min_retention_days 30 (the lock)"
    )


def test_the_lock_holds_against_keep_last() -> None:
    # Past keep_last and past the retention; young enough for the lock.
    copies = [copy(NOW - timedelta(days=d)) for d in (2, 3, 4, 5)]
    found = verdicts(copies, NOW, retention_days=1, keep_last=1, min_retention_days=6)
    assert all(not v.delete for v in found.values())
    assert [found[days_ago(d)].rules for d in (2, 3, 4, 5)] == [("keep_last", LOCK), (LOCK,), (LOCK,), (LOCK,)]


@pytest.mark.parametrize("tier", ["keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"])
def test_the_lock_holds_against_every_tier(tier: str) -> None:
    # Four copies a day for ten days: each tier keeps one a period; the lock keeps every one of them.
    copies = [copy(NOW - timedelta(hours=6 * h + 1)) for h in range(40)]
    unlocked = verdicts(copies, NOW, retention_days=1, keep_last=1, **{tier: 1})
    assert sum(v.delete for v in unlocked.values()) > 20
    locked = verdicts(copies, NOW, retention_days=1, keep_last=1, min_retention_days=11, **{tier: 1})
    assert not any(v.delete for v in locked.values())
    assert all(v.rules[-1] == LOCK for v in locked.values())
    # A tier's expiry names the tier and still loses to the lock.
    assert any(v.reason.startswith("data ") and LOCK in v.reason for v in locked.values() if v.rules == (LOCK,))


@pytest.mark.parametrize("status", ["failed", "incompatible-restore"])
def test_the_lock_holds_against_the_failed_copy_rule(status: str) -> None:
    copies = [copy(NOW - timedelta(days=1)), copy(NOW - timedelta(days=2), status=status)]
    copies.append(copy(NOW - timedelta(days=9), status=status))
    found = verdicts(copies, NOW, retention_days=35, keep_last=1, min_retention_days=5)
    assert found[days_ago(2)].rules == (LOCK,) and not found[days_ago(2)].delete
    assert found[days_ago(2)].reason == (
        f"failed copy ({status}), but data 2.0 days old, younger than min_retention_days 5 (the lock)"
    )
    # Older than the lock, a failed copy goes, however young for retention_days.
    assert found[days_ago(9)].delete and found[days_ago(9)].reason == f"failed copy ({status})"


def test_a_copy_whose_age_is_unknown_is_never_deleted_under_the_lock() -> None:
    failed = copy(NOW - timedelta(days=50), status="failed")
    failed.pop("OriginalSnapshotCreateTime")
    failed["SnapshotCreateTime"] = None
    failed["TagList"] = [t for t in failed["TagList"] if t["Key"] != "source_snapshot_time"]
    found = verdicts([copy(NOW - timedelta(days=1)), failed], NOW, retention_days=3, min_retention_days=10)
    unknown = found["unknown"]
    assert not unknown.delete and unknown.reason.endswith("min_retention_days 10 (the lock) cannot tell its age")


def test_no_rule_ever_deletes_what_the_lock_holds() -> None:
    # Random copies, states and rules: nothing younger than the lock is ever deleted.
    rng = random.Random(18)
    states = ["available"] * 6 + ["failed", "incompatible-restore", "copying", "deleting"]
    locked = 0
    for _ in range(40):
        copies = [
            copy(
                NOW - timedelta(hours=rng.uniform(0, 24 * 800)),
                source=rng.choice(["a", "b"]),
                status=rng.choice(states),
            )
            for _ in range(rng.randint(1, 60))
        ]
        lock = rng.randint(1, 400)
        tiers = {
            t: rng.randint(1, 6)
            for t in ("keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")
            if rng.random() < 0.5
        }
        found = verdicts(
            copies,
            NOW,
            retention_days=rng.randint(1, 100),
            keep_last=rng.randint(1, 4),
            min_retention_days=lock,
            **tiers,
        )
        young = [v for v in found.values() if v.data_time > NOW - timedelta(days=lock)]
        assert not any(v.delete for v in young)
        locked += sum(v.rules == (LOCK,) for v in young)
    assert locked > 50  # the lock did hold copies the other rules expired


def test_the_incremental_base_of_a_copy_in_progress_stays_with_the_tiers_on() -> None:
    copies = [
        copy(NOW - timedelta(hours=1), status="copying"),
        copy(NOW - timedelta(days=400), status="pending"),
        copy(NOW - timedelta(days=40)),  # the newest available: the base
        copy(NOW - timedelta(days=40, hours=1)),
        copy(NOW - timedelta(days=90)),
    ]
    found = verdicts(copies, NOW, retention_days=7, keep_last=1, keep_monthly=3)
    base = found[days_ago(40)]
    assert not base.delete and base.rules == ("incremental_base", "keep_last", "keep_monthly")
    # The newest copy in progress is the one named.
    assert base.reason.startswith("newest available copy of orders, the incremental base of orders-20270615-11")
    # Copies in progress are never deleted, however old, and hold no slot: May's is the base.
    assert found[days_ago(400)].reason == "copy in progress (pending)" and not found[days_ago(400)].delete
    assert found[days_ago(40 + 1 / 24)].delete and found[days_ago(90)].delete


def test_the_lock_and_the_tiers_are_off_when_pruning_is() -> None:
    from snapshot_copy.retention import decide
    from snapshot_copy.tiers import Tiers

    from .test_tiers import OWNER

    decided = decide([copy(LATER - timedelta(days=999))], "db", OWNER, LATER, None, 1, Tiers(daily=1), 5)
    assert decided.verdicts == []
