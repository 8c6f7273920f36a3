"""The year as one picture (matplotlib, the development extra): four panels over the same days, with the
fault windows shaded in all of them.

1. the worst recovery-point age of any source, per hour (from the reconciler's runs), against the RPO;
2. copies in progress in the destination (both kinds);
3. the manual snapshot quota in use (the fuller kind), against the quota alarm's threshold;
4. the days each alarm was firing (one row per alarm of alarms.tf).
"""

from __future__ import annotations

from typing import Any

from .year_faults import DAY, HOUR

COLOURS = {
    "deployment start": "#dddddd",
    "source-region outage": "#f4a582",
    "destination copy stall": "#92c5de",
    "manual snapshot quota reached": "#fddbc7",
    "reconciler not running": "#b2abd2",
    "key disabled": "#d6604d",
}


def plot(series: dict[str, Any], report: dict[str, Any], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 1, figsize=(12, 10), sharex=True, gridspec_kw={"height_ratios": [3, 2, 2, 2]})
    end_days = report["days"]
    for ax in axes:
        for name, start, finish in series["windows"]:
            ax.axvspan(
                start / DAY,
                finish / DAY,
                color=COLOURS.get(name, "#eeeeee"),
                alpha=0.6,
                lw=0,
                label=name if ax is axes[0] else None,
            )
        ax.set_xlim(0, end_days)
        ax.grid(True, alpha=0.3)

    hours = series["worst_age_by_hour"]
    axes[0].plot(
        [h * HOUR / DAY for h, _ in hours],
        [v for _, v in hours],
        lw=0.8,
        color="black",
        label="worst recovery-point age, h",
    )
    axes[0].axhline(series["rpo_hours"], color="red", ls="--", lw=1, label=f"RPO {series['rpo_hours']:g} h")
    axes[0].set_ylabel("hours")
    axes[0].set_ylim(0, max(4 * series["rpo_hours"], min(240.0, max((v for _, v in hours), default=0.0) * 1.1)))
    axes[0].legend(loc="upper left", fontsize=7, ncol=4)
    axes[0].set_title(
        f"{report['days']} days of {report['sources']} sources (half Aurora), seed {report['seed']}, every fault on: "
        f"{report['copies_made']} copies, "
        f"{report['copies_lost']} lost, invariants broken: {report['invariants']['broken']}",
        fontsize=10,
    )

    samples = series["samples"]
    axes[1].plot([t / DAY for t, _, _ in samples], [n for _, n, _ in samples], lw=0.7, color="tab:blue")
    axes[1].set_ylabel("copies in progress")

    axes[2].plot([t / DAY for t, _, _ in samples], [q for _, _, q in samples], lw=0.8, color="tab:green")
    axes[2].axhline(series["quota_threshold"], color="red", ls="--", lw=1, label="quota alarm threshold")
    axes[2].set_ylabel("quota used, %")
    axes[2].set_ylim(0, 105)
    axes[2].legend(loc="upper left", fontsize=7)

    names = sorted(series["episodes"])
    for row, name in enumerate(names):
        for start, finish in series["episodes"][name]:
            width = max((finish - start) / DAY, 0.15)  # a five-minute episode stays visible
            axes[3].barh(row, width, left=start / DAY, height=0.6, color="tab:red")
    axes[3].set_yticks(range(len(names)))
    axes[3].set_yticklabels([n.replace("_", " ") for n in names], fontsize=7)
    axes[3].set_xlabel("day")
    axes[3].set_title("alarms firing", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
