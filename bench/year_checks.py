"""The year's invariants, judged by the world's ground truth (who made each snapshot), not by the functions'
own view of it:

1. copied: every source snapshot taken before the end had an available copy of ours, or a dead letter with
   a reason (not a bare redrive); and at the end every one whose data is inside the retention window has
   an available copy now, or such a dead letter. (A snapshot its owner deleted with the database before
   any copy could start is counted apart, `source_deleted_before_copy`.)
2. deleted: every deletion by a function removed this deployment's copy (never an operator's or another
   deployment's), and an expired one: its data older than the retention, and not one of the keep_last
   newest available copies of its source at that moment, nor one a calendar tier of the pruner's settings
   (KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, KEEP_YEARLY: the last N calendar periods up to now) keeps.
3. quota: the manual snapshots of each kind never exceeded the quota (the world counts each add past it,
   which RDS would have refused; the peak is reported).
4. keep rules, every day: each source keeps min(keep_last, copies it ever had) available copies of ours,
   and no copy of ours outlives the retention by more than the pruner's slack (it runs daily; a missed run
   or an outage may leave a copy a day or two longer: 3 days).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from snapshot_copy.kinds import KINDS

from .year_faults import DAY
from .year_world import Copy

PRUNER_SLACK_DAYS = 3.0


def watch_deletions(run: Any) -> None:
    """Invariant 2, judged at the moment of each deletion."""
    s, world, rec = run.s, run.world, run.rec

    def on_delete(copy: Copy, by: str) -> None:
        if by in ("operator", "other"):
            if copy.maker != by:
                rec.violate("deleted", f"{by} deleted {copy.identifier} made by {copy.maker}")
            return
        if copy.maker != "ours":
            rec.violate("deleted", f"the {by} deleted {copy.identifier}, made by {copy.maker} (not this deployment)")
            return
        if copy.view["Status"] in ("failed", "incompatible-restore"):
            return  # a broken copy of ours: restores nothing
        age_days = (world.sim.now - (copy.taken or world.sim.now)) / DAY
        if age_days <= s.retention_days:
            rec.violate(
                "deleted", f"the {by} deleted {copy.identifier}, data {age_days:.1f} days old (inside retention)"
            )
            return
        newer = sum(
            1
            for other in world._our_copies_of(copy.kind, copy.source)
            if other.view["Status"] == "available" and (other.taken or 0) > (copy.taken or 0)
        )
        tier = tier_keeping(run, copy)
        if tier is not None:
            rec.violate("deleted", f"the {by} deleted {copy.identifier}, which keep_{tier} keeps")
        if newer < s.keep_last:
            rec.violate(
                "deleted", f"the {by} deleted {copy.identifier}, one of the {s.keep_last} newest of {copy.source}"
            )

    world.on_delete = on_delete
    ever: dict[tuple[str, str], int] = defaultdict(int)

    def on_available(copy: Copy) -> None:
        ever[(copy.kind, copy.source)] += 1

    world.on_copy_available = on_available
    run.ever_available = ever


def _period_index(when: datetime, tier: str) -> int:
    """A number per day, ISO week, month or year (UTC) that grows by one from each period to the next."""
    if tier == "daily":
        return when.toordinal()
    if tier == "weekly":
        return (when.toordinal() - when.isoweekday()) // 7  # Mondays' weeks, as ISO counts them
    return when.year * 12 + when.month if tier == "monthly" else when.year


def tier_keeping(run: Any, copy: Copy) -> str | None:
    """The calendar tier of the pruner's settings (KEEP_DAILY ... KEEP_YEARLY) that keeps `copy`, judged
    here apart from the pruner's code: each tier keeps the newest available copy of a source in each of the
    last N periods (UTC, by data time) up to the current one."""
    world = run.world
    candidates = [c for c in world._our_copies_of(copy.kind, copy.source) if c.view["Status"] == "available"]
    candidates.append(copy)
    for tier, periods in run.prune_config.tiers.items():
        oldest = _period_index(world.when(world.sim.now), tier) - (periods - 1)
        newest: dict[int, Copy] = {}
        for other in sorted(candidates, key=lambda c: (c.taken or 0, c.identifier), reverse=True):
            key = _period_index(world.when(other.taken or 0), tier)
            if key >= oldest:
                newest.setdefault(key, other)
        if any(kept is copy for kept in newest.values()):
            return tier
    return None


def check_keep_rules(run: Any) -> None:
    """Invariant 4, at the end of each day."""
    s, world, rec = run.s, run.world, run.rec
    now = world.sim.now
    for (kind, source), count in run.ever_available.items():
        available = [c for c in world._our_copies_of(kind, source) if c.view["Status"] == "available"]
        if len(available) < min(s.keep_last, count):
            rec.violate(
                "keep_rules",
                f"day {now / DAY:.0f}: {source} has {len(available)} available copies, "
                f"keep_last {s.keep_last} (had {count})",
            )
        newest = sorted(available, key=lambda c: c.taken or 0, reverse=True)[s.keep_last :]
        for copy in newest:
            age = (now - (copy.taken or now)) / DAY
            if age > s.retention_days + PRUNER_SLACK_DAYS and not s.ownership_04 and not tier_keeping(run, copy):
                rec.violate(
                    "keep_rules",
                    f"day {now / DAY:.0f}: {copy.identifier} is {age:.1f} days old, "
                    f"past the retention of {s.retention_days} days",
                )


def check_copied(run: Any) -> dict[str, int]:
    """Invariant 1, at the end. Returns the counts the figures print."""
    s, world, rec = run.s, run.world, run.rec
    now = world.sim.now
    reasons: dict[str, str] = {}
    for entry in run.dlq.entries:  # (a share copy's letter is its original's: world.origin_of)
        if entry.code not in ("-", ""):
            reasons.setdefault(world.origin_of.get(entry.snapshot_arn, entry.snapshot_arn), entry.code)
    available_now = {
        c.source_arn
        for kind in KINDS
        for c in world.copies[kind].values()
        if c.maker == "ours" and c.view["Status"] == "available"
    }
    copied = lost = dead = gone = lost_now = 0
    for snap in rec_snapshots(run):
        if snap.arn in world.stats.first_available:
            copied += 1
        elif snap.arn in reasons:
            dead += 1
        elif snap.arn in rec.source_gone and rec.source_gone[snap.arn] - snap.taken < 2 * DAY:
            gone += 1
        else:
            lost += 1
            rec.violate("copied", f"{snap.arn} (taken day {snap.taken / DAY:.2f}) never had a copy nor a reason")
            continue
        inside = now - snap.taken < s.retention_days * DAY
        if inside and snap.arn not in available_now and snap.arn not in reasons and snap.arn not in rec.source_gone:
            lost_now += 1
            rec.violate("copied", f"{snap.arn} (day {snap.taken / DAY:.2f}, inside retention) has no copy at the end")
    return {
        "copied": copied,
        "dead_lettered_with_reason": dead,
        "lost": lost + lost_now,
        "source_deleted_before_copy": gone,
        "lost_within_retention_at_end": lost_now,
    }


def check_quota(run: Any) -> None:
    """Invariant 3, from the world's count of adds past a kind's quota."""
    for line in run.world.stats.over_quota:
        run.rec.violate("quota", line)


def rec_snapshots(run: Any) -> list[Any]:
    return run.rec.snapshots
