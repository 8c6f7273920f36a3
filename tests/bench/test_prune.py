"""The pruner's benchmark drives the real prune(): its figures follow from the fleet it models."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from bench.prune import main


def test_the_figures_follow_the_fleet() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        report = main(["--copies", "1000", "3000"])
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
        report = main(["--copies", "3000", "--timeout", "60"])
    backlog = next(r for r in report["runs"] if r["scenario"] == "backlog")
    assert backlog["incomplete"] and backlog["simulated_seconds"] <= 60
