"""Figures of the share chapters (F6, F7): shares by group, and the stages of the municipalities with the SDGs in
their management system.  Functions return a matplotlib figure (or None when there is nothing to draw)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vsr_analysis.stats.descriptives import as_float, interval_errors


def shares_by_group_figure(tables: dict[str, pd.DataFrame], threshold: float, title: str, ylabel: str):
    """One panel per table (columns: the group label, municipalities, share, ci_low, ci_high; last row = all)."""
    sns.set_theme(style="whitegrid", palette="colorblind")
    colors = sns.color_palette("colorblind")
    fig, axes = plt.subplots(1, len(tables), figsize=(10, 4.2), sharey=True, squeeze=False)
    for ax, (label, tab) in zip(axes[0], tables.items()):
        t = tab[(tab["municipalities"] > 0) & tab["share"].notna()].reset_index(drop=True)
        xs = np.arange(len(t))
        is_total = (t[label] == "all").to_numpy()
        err = interval_errors(t["share"], t["ci_low"], t["ci_high"], 100)
        for mask, fmt, color, name in ((~is_total, "o", colors[0], "group"), (is_total, "D", colors[1], "all")):
            if mask.any():
                ax.errorbar(xs[mask], 100 * t["share"][mask], yerr=err[:, mask], fmt=fmt, color=color, capsize=3,
                            label=name)  # fmt: skip
        ax.axhline(100 * threshold, color=colors[3], ls="--", lw=1.2, label=f"level in the claim ({threshold:.0%})")
        ax.set_xticks(xs)
        ax.set_xticklabels(t[label], rotation=30, ha="right", fontsize=8)
        ax.set_xlabel(label.capitalize())
        ax.set_title(f"By {label}")
    axes[0][0].set_ylabel(ylabel)
    axes[0][0].set_ylim(0, 100)
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=11)
    return fig


def management_by_stage_figure(resp: pd.DataFrame, stage_labels: dict):
    """Weighted stage distribution of the respondents with sdg_in_management = 1 (None if there are none)."""
    from vsr_analysis.stats.dispersion import weighted_distribution

    mg = resp[as_float(resp["sdg_in_management"]) == 1]
    y = as_float(mg["maturity_stage"])
    ok = np.isfinite(y)
    if not ok.any():
        return None
    dm = weighted_distribution(y[ok], mg["weight"].to_numpy(dtype=float)[ok], levels=list(range(6)))
    colors = sns.color_palette("colorblind")
    names = [f"{s}\n{stage_labels[s]}" for s in range(6)]
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ax.bar(names, 100 * dm["share"], color=colors[0])
    ax.errorbar(names, 100 * dm["share"], yerr=interval_errors(dm["share"], dm["ci_low"], dm["ci_high"], 100),
                fmt="none", ecolor="black", capsize=3, lw=1)  # fmt: skip
    ax.set_xlabel("Maturity stage (self-classification)")
    ax.set_ylabel("Share (%, weighted)")
    ax.set_title("Stages of the municipalities with the SDGs in their management system")
    ax.tick_params(axis="x", labelsize=8)
    return fig
