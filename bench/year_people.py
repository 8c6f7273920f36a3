"""The other people in the destination: an operator's own snapshots (some before the deployment, an audit's
CopyTags=True keeps of our copies each month, a migration's snapshots that fill the manual snapshot quota for
the quota fault's window) and a second deployment copying other sources of the same source region.

Their snapshots are made in the world directly (instant, `available`): they are what the functions must
leave alone, not what is under test. A mixin of YearRun: it uses its simulator, world, rates and plan.
"""

from __future__ import annotations

from typing import Any

from snapshot_copy.kinds import KINDS
from snapshot_copy.naming import target_identifier
from snapshot_copy.tagging import copy_tags

from .fake_rds import ACCOUNT
from .year_faults import DAY, HOUR
from .year_world import SOURCE_REGION, Copy

OTHER_DEPLOYMENT = "rds-snapshot-copy-dev"
OTHER_KEEP_DAYS = 90


class People:
    s: Any
    sim: Any
    world: Any
    rates: Any
    plan: Any
    rng: Any
    other_sources: int

    def _operator(self) -> None:
        r, sim = self.rates, self.sim
        if r.operator_snapshots:
            for kind in KINDS:
                for number in range(max(5, self.s.sources // 10)):
                    self._foreign(kind, f"before-upgrade-{kind}-{number:02d}", "operator", [], None)
            for day in range(15, self.s.days, 30):
                sim.at(day * DAY + 9 * HOUR, self._keep_some)
        window = self.plan.window("manual snapshot quota reached")
        if window is not None:
            t = window.start
            while t < window.end:
                sim.at(t, self._fill_quota)
                t += HOUR
            sim.at(window.end, self._unfill_quota)
        if r.second_deployment:
            for day in range(self.s.days):
                sim.at(day * DAY + 5 * HOUR, lambda day=day: self._other_deployment(day))

    def _foreign(
        self,
        kind: str,
        identifier: str,
        maker: str,
        tags: list[dict[str, str]],
        taken: float | None,
        source: str = "",
        source_arn: str | None = None,
    ) -> None:
        table = KINDS[kind]
        if identifier in self.world.copies[kind] or self.world.manual_count(kind) >= self.world.quota[kind]:
            return
        view = {
            table.identifier_key: identifier,
            table.source_identifier_key: source,
            "SnapshotType": "manual",
            "Status": "available",
            "TagList": tags,
            "SnapshotCreateTime": self.world.when(self.sim.now if taken is None else taken),
        }
        if kind == "db" and taken is not None:
            view["OriginalSnapshotCreateTime"] = self.world.when(taken)
        copy = Copy(kind, identifier, maker, source_arn, source, taken, view, self.sim.now, self.sim.now)
        self.world.add_copy(copy, in_progress=False)

    def _keep_some(self) -> None:
        """Monthly, the operator keeps three of our copies for an audit: CopyTags=True carries all our tags."""
        for kind in KINDS:
            ours = [
                c for c in self.world.copies[kind].values() if c.maker == "ours" and c.view["Status"] == "available"
            ]
            for copy in self.rng.sample(ours, min(3, len(ours))):
                name = f"audit-keep-{copy.identifier}"[: KINDS[kind].max_identifier_length]
                self._foreign(
                    kind,
                    name,
                    "operator",
                    [dict(t) for t in copy.view["TagList"]],
                    copy.taken,
                    copy.source,
                    copy.source_arn,
                )

    def _fill_quota(self) -> None:
        for kind in KINDS:
            room = self.world.quota[kind] - self.world.manual_count(kind)
            for number in range(room):
                self._foreign(kind, f"migration-{kind}-{int(self.sim.now)}-{number}", "operator", [], None)

    def _unfill_quota(self) -> None:
        for kind in KINDS:
            for identifier in [i for i in self.world.copies[kind] if i.startswith("migration-")]:
                self.world.delete_copy(kind, identifier, "operator")

    def _other_deployment(self, day: int) -> None:
        """Another deployment (split by source_filter) copies a source of each kind per 40 of ours daily (at least
        one), and keeps its copies 90 days."""
        w = self.world
        for kind in KINDS:
            table = KINDS[kind]
            for number in range(self.other_sources):
                source = f"dev-{kind}-{number}"
                stamp = w.when(self.sim.now).strftime("%Y-%m-%d-%H-%M")
                ident = f"rds:{source}-{stamp}"
                arn = table.arn("aws", SOURCE_REGION, ACCOUNT, ident)
                tags = copy_tags([], SOURCE_REGION, arn, OTHER_DEPLOYMENT, w.when(self.sim.now))
                self._foreign(kind, target_identifier(ident, arn, kind), "other", tags, self.sim.now, source, arn)
            for identifier, copy in list(w.copies[kind].items()):
                if (
                    copy.maker == "other"
                    and copy.taken is not None
                    and self.sim.now - copy.taken > OTHER_KEEP_DAYS * DAY
                ):
                    w.delete_copy(kind, identifier, "other")
