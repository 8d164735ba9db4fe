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


def calibration_figure(table: pd.DataFrame):
    """Observed response rate against mean predicted propensity per group (the diagonal = calibrated)."""
    sns.set_theme(style="whitegrid", palette="colorblind")
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="calibrated")
    ax.plot(table["mean_predicted"], table["observed_rate"], "o-", label="quintile groups of π̂")
    lo = float(min(table["mean_predicted"].min(), table["observed_rate"].min(), 1.0)) - 0.05
    ax.set_xlim(max(0, lo), 1)
    ax.set_ylim(max(0, lo), 1)
    ax.set_xlabel("Mean predicted response probability (out of fold)")
    ax.set_ylabel("Observed response rate")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def coverage_figure(table: pd.DataFrame):
    """Coverage of the share claims' 95 % intervals per scenario and variance, with the 0.93-0.97 band."""
    sns.set_theme(style="whitegrid", palette="colorblind")
    scen = list(dict.fromkeys(table["scenario"]))
    fig, axes = plt.subplots(1, len(scen), figsize=(3.2 * len(scen), 3.8), sharey=True, squeeze=False)
    names = {"poisson": "1 − π̂ (primary)", "with_replacement": "no factor", "global_fpc": "global 1 − n/N"}
    for ax, s in zip(axes[0], scen):
        sub = table[table["scenario"] == s]
        ax.axhspan(0.93, 0.97, color="grey", alpha=0.2, lw=0)
        ax.axhline(0.95, color="grey", lw=0.8)
        for k, (v, lab) in enumerate(names.items()):
            t = sub[sub["variance"] == v]
            xs = np.arange(len(t)) + (k - 1) * 0.22
            ax.errorbar(xs, t["coverage"], yerr=1.96 * t["mc_se"], fmt="os^"[k], capsize=2, label=lab)
        ax.set_xticks(np.arange(len(sub["claim"].unique())))
        ax.set_xticklabels(sub["claim"].unique())
        ax.set_title(s, fontsize=9)
    axes[0][0].set_ylabel("Coverage of the 95 % interval")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    return fig
