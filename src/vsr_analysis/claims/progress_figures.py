"""The progress-measuring chapter's figure: how common each rung of the maturity ladder is, and the share measuring
progress at each stage.

Drawn from the tables as released (``ctx.released``), so a cell hidden by the disclosure rule is never drawn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vsr_analysis.claims.share_reporting import numeric
from vsr_analysis.stats.descriptives import interval_errors
from vsr_analysis.stats.figure_style import legend_below, wrap


def ladder_figure(
    rungs: pd.DataFrame, by_stage: pd.DataFrame, *, item: str, threshold: float, outside_share: float
) -> plt.Figure:
    """Two stacked panels: top, the raked share holding each rung (``item``'s bar highlighted) with its interval;
    bottom, the share measuring progress at each self-classified stage. Both carry the claim's level ``threshold``
    (dashed) and the outside figure ``outside_share`` (dotted, for orientation only).

    ``rungs`` has ``item``, ``rung``, ``stage that implies it``, ``share (weighted)``, ``ci_low``, ``ci_high``;
    ``by_stage`` has ``stage``, ``stage name``, ``share``, ``ci_low``, ``ci_high`` (released values: ".." is drawn
    as a gap)."""
    colors = sns.color_palette("colorblind")
    fig, axes = plt.subplots(2, 1, figsize=(5.4, 10), height_ratios=[len(rungs) + 1, len(by_stage) + 1])
    ys = np.arange(len(rungs))[::-1]
    est = numeric(rungs["share (weighted)"])
    axes[0].barh(ys, 100 * est, color=[colors[1] if i == item else colors[0] for i in rungs["item"]])
    axes[0].errorbar(
        100 * est,
        ys,
        xerr=interval_errors(est, numeric(rungs["ci_low"]), numeric(rungs["ci_high"]), 100),
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    axes[0].set_yticks(ys)
    axes[0].set_yticklabels(
        [wrap(f"{r} (stage {s})", 22) for r, s in zip(rungs["rung"], rungs["stage that implies it"])]
    )
    axes[0].set_xlabel("Share of municipalities (%, raked)")
    axes[0].set_title("The rungs of the ladder")
    xs = np.arange(len(by_stage))[::-1]
    est_s = numeric(by_stage["share"])
    axes[1].errorbar(
        100 * est_s,
        xs,
        xerr=interval_errors(est_s, numeric(by_stage["ci_low"]), numeric(by_stage["ci_high"]), 100),
        fmt="o",
        color=colors[0],
        capsize=3,
    )
    axes[1].set_yticks(xs)
    axes[1].set_yticklabels([wrap(f"{s} {n}", 22) for s, n in zip(by_stage["stage"], by_stage["stage name"])])
    axes[1].set_ylabel("Maturity stage")
    axes[1].set_xlabel("Measuring progress (%, weighted)")
    axes[1].set_xlim(0, 100)
    axes[1].set_title("Measuring progress by stage")
    for ax in axes:
        ax.axvline(
            100 * outside_share,
            color=colors[3],
            ls=":",
            lw=1.2,
            label=f"Nordic VSR 2024: {outside_share:.0%} (context)",
        )
        ax.axvline(100 * threshold, color=colors[2], ls="--", lw=1.2, label=f"level in the claim ({threshold:.0%})")
    fig.tight_layout()
    legend_below(axes[1])
    return fig
