"""The pruner's benchmark drives the real prune(): its figures follow from the fleet it models, and its two
years of retention from the rules (as snapshot_copy.sizing counts them) and the stated transfer model."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from bench.prune import ALLOCATED_GIB, CHANGE_RATE, RETENTION_RULES, main, simulate_retention


def test_the_figures_follow_the_fleet() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        report = main(["--copies", "1000", "3000", "--simulated-days", "40"])
    assert json.loads(out.getvalue().splitlines()[-1]) == report
    runs = {(r["copies"], r["scenario"]): r for r in report["runs"]}
    for (copies, _), r in runs.items():
        # One listing call per 100 snapshots of each kind (plus a last, partial page), one delete per expiry.
        assert copies // 100 <= r["listing_calls"] <= copies // 100 + 2
        assert r["delete_calls"] == r["deleted"] > 0
        assert r["api_calls"] == r["listing_calls"] + r["delete_calls"] + r["quota_calls"]
        assert not r["incomplete"]
        # Every copy of the fleet is this deployment's (its name and tags as the copier makes them).
        assert r["examined"] == r["kept"] + r["deleted"] == r["made"] > copies * 0.95
    # The backlog has far more to delete than a day's expiries, for the same number of copies.
    assert runs[(1000, "backlog")]["deleted"] > 10 * runs[(1000, "steady")]["deleted"]


def test_a_short_timeout_stops_deleting_and_says_so() -> None:
    with redirect_stdout(io.StringIO()):
        report = main(["--copies", "3000", "--timeout", "60", "--simulated-days", "40"])
    backlog = next(r for r in report["runs"] if r["scenario"] == "backlog")
    assert backlog["incomplete"] and backlog["simulated_seconds"] <= 60


def test_two_years_of_daily_copies_hold_what_sizing_says_and_copy_incrementally() -> None:
    default = simulate_retention("default", RETENTION_RULES["default"])
    gfs = simulate_retention("gfs", RETENTION_RULES["gfs"])
    # The default rules: 35 days of copies after each prune, a 36th before it.
    assert default["held_second_year"] == {"db": [35, 35], "cluster": [35, 35]}
    assert default["peak"] == {"db": 36, "cluster": 36} and default["sizing"]["peak"] == 36
    # GFS (7 daily, 4 weekly, 12 monthly): 19 to 21 copies, however long it runs; 22 at the peak.
    assert gfs["held_second_year"] == {"db": [19, 21], "cluster": [19, 21]}
    assert gfs["peak"] == {"db": 22, "cluster": 22}
    assert gfs["sizing"] == {"copies": 21, "low": 19, "peak": 22}
    assert gfs["sources_within_quota"] == {"db": 4, "cluster": 4}  # 100 // 22
    for sim in (default, gfs):
        # The newest copy always stays: only the very first DB copy is full; Aurora always copies in full.
        assert sim["full_copies"] == {"db": 1, "cluster": 730}
        assert sim["incremental_copies"] == {"db": 729, "cluster": 0}
        assert sim["transfer_gib"]["db"] == ALLOCATED_GIB + 729 * ALLOCATED_GIB * CHANGE_RATE
        assert sim["transfer_gib"]["cluster"] == sim["transfer_gib_all_full"]["cluster"] == 730 * ALLOCATED_GIB
