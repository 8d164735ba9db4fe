"""Figures of the share chapters: shares by group, and the stages of the municipalities with the SDGs in
their management system.  Functions return a matplotlib figure (or None when there is nothing to draw)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vsr_analysis.stats.descriptives import as_float, interval_errors
from vsr_analysis.stats.figure_style import WIDTH, legend_below, set_style, wrap


def shares_by_group_figure(tables: dict[str, pd.DataFrame], threshold: float, title: str, ylabel: str):
    """One panel per table, stacked (columns: the group label, municipalities, share, ci_low, ci_high; last row =
    all): groups down the side, the share along the bottom, so that long group names need no rotation."""
    set_style()
    colors = sns.color_palette("colorblind")
    sizes = [int(((t["municipalities"] > 0) & t["share"].notna()).sum()) for t in tables.values()]
    fig, axes = plt.subplots(len(tables), 1, figsize=(WIDTH, 1.3 * len(tables) + 0.42 * sum(sizes)), sharex=True,
                             squeeze=False, gridspec_kw={"height_ratios": [max(n, 1) for n in sizes]})  # fmt: skip
    for ax, (label, tab) in zip(axes[:, 0], tables.items()):
        t = tab[(tab["municipalities"] > 0) & tab["share"].notna()].reset_index(drop=True)
        ys = np.arange(len(t))[::-1]
        is_total = (t[label] == "all").to_numpy()
        err = interval_errors(t["share"], t["ci_low"], t["ci_high"], 100)
        for mask, fmt, color, name in ((~is_total, "o", colors[0], "group"), (is_total, "D", colors[1], "all")):
            if mask.any():
                ax.errorbar(100 * t["share"][mask], ys[mask], xerr=err[:, mask], fmt=fmt, color=color, capsize=3,
                            label=name)  # fmt: skip
        ax.axvline(100 * threshold, color=colors[3], ls="--", lw=1.2, label=f"level in the claim ({threshold:.0%})")
        ax.set_yticks(ys)
        ax.set_yticklabels([wrap(v, 18) for v in t[label]])
        ax.set_ylim(-0.6, len(t) - 0.4)
        ax.set_title(f"By {label}")
    axes[-1][0].set_xlabel(wrap(ylabel, 45))
    axes[-1][0].set_xlim(0, 100)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.suptitle(wrap(title, 50))
    fig.tight_layout()
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False)
    return fig


def management_units(resp: pd.DataFrame) -> pd.DataFrame:
    """The respondents with the SDGs in their management system and a maturity stage."""
    mg = resp[as_float(resp["sdg_in_management"]) == 1]
    return mg[np.isfinite(as_float(mg["maturity_stage"]))]


def management_by_stage_table(resp: pd.DataFrame, stage_labels: dict) -> pd.DataFrame | None:
    """Weighted stage distribution of the respondents with sdg_in_management = 1 (None if there are none):
    stage, its name, the municipalities at it, the weighted share and its Wilson interval."""
    from vsr_analysis.stats.dispersion import weighted_distribution

    mg = management_units(resp)
    if not len(mg):
        return None
    dm = weighted_distribution(
        as_float(mg["maturity_stage"]), mg["weight"].to_numpy(dtype=float), levels=list(range(6))
    )
    return pd.DataFrame(
        {
            "stage": dm["level"].astype(int),
            "stage name": [stage_labels[int(v)] for v in dm["level"]],
            "municipalities": dm["n"].astype(int),
            "share (weighted)": dm["share"],
            "ci_low": dm["ci_low"],
            "ci_high": dm["ci_high"],
        }
    )


def management_by_stage_cells(table: pd.DataFrame, resp: pd.DataFrame) -> list[dict]:
    """What each number of :func:`management_by_stage_table` counts (the disclosure engine): the units at each stage
    among those with the item, and their weighted share (the group's membership taken as known, the safe side)."""
    from vsr_analysis.claims.group_release import INTERVAL, unit_ids, weights_of

    mg = management_units(resp)
    ids, weights = unit_ids(mg), weights_of(mg)
    cells = []
    for row, stage in zip(table.index, table["stage"]):
        base = {"row": row, "item": "maturity_stage", "levels": [int(stage)], "members": ids}
        cells += [
            {**base, "column": "municipalities"},
            {**base, "column": "share (weighted)", "kind": "share", "weights": weights, "rounded_with": INTERVAL,
             "dependents": INTERVAL},
        ]  # fmt: skip
    return cells


def management_by_stage_figure(table: pd.DataFrame):
    """The stage distribution of :func:`management_by_stage_table` as released (a hidden share draws no bar)."""
    shares = pd.to_numeric(table["share (weighted)"], errors="coerce").to_numpy(dtype=float)
    low = pd.to_numeric(table["ci_low"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(table["ci_high"], errors="coerce").to_numpy(dtype=float)
    colors = sns.color_palette("colorblind")
    names = [f"{s} {wrap(n, 22)}" for s, n in zip(table["stage"], table["stage name"])]
    fig, ax = plt.subplots(figsize=(WIDTH, 4.6))
    ys = np.arange(len(table))[::-1]
    ax.barh(ys, 100 * shares, color=colors[0])
    ax.errorbar(100 * shares, ys, xerr=interval_errors(shares, low, high, 100), fmt="none", ecolor="black", capsize=3,
                lw=1)  # fmt: skip
    ax.set_yticks(ys, names)
    ax.set_ylabel("Maturity stage (self-classification)")
    ax.set_xlabel("Share (%, weighted)")
    ax.set_title(wrap("Stages of the municipalities with the SDGs in their management system", 45))
    return fig


def calibration_figure(table: pd.DataFrame):
    """Observed response rate against mean predicted propensity per group (the diagonal = calibrated)."""
    set_style()
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="calibrated")
    ax.plot(table["mean_predicted"], table["observed_rate"], "o-", label="quintile groups of π̂")
    lo = float(min(table["mean_predicted"].min(), table["observed_rate"].min(), 1.0)) - 0.05
    ax.set_xlim(max(0, lo), 1)
    ax.set_ylim(max(0, lo), 1)
    ax.set_xlabel(wrap("Mean predicted response probability (out of fold)", 36))
    ax.set_ylabel("Observed response rate")
    ax.legend(loc="upper left")
    return fig


#: The coverage figure's panels: variance in the benchmark table -> panel title.
COVERAGE_PANELS = {
    "poisson": "Under missing at random: 1 − π̂ᵢ per unit",
    "oracle": "Oracle: true response probabilities",
    "global_fpc": "Old interval: global 1 − n/N",
}


def coverage_figure(table: pd.DataFrame):
    """Coverage of the share claims' 95 % intervals as scenario x claim grids, one stacked panel per variance in
    :data:`COVERAGE_PANELS`: each cell prints the coverage; cells outside 0.93-0.97 are framed and in bold."""
    set_style()
    panels = [v for v in COVERAGE_PANELS if (table["variance"] == v).any()]
    scen = list(dict.fromkeys(table["scenario"]))
    claims = list(dict.fromkeys(table["claim"]))
    fig, axes = plt.subplots(len(panels), 1, figsize=(WIDTH, 0.6 + (0.45 * len(scen) + 1.0) * len(panels)),
                             squeeze=False)  # fmt: skip
    cmap = sns.color_palette("vlag_r", as_cmap=True)
    for ax, v in zip(axes[:, 0], panels):
        grid = (
            table[table["variance"] == v]
            .pivot(index="scenario", columns="claim", values="coverage")
            .reindex(index=scen, columns=claims)
        )
        values = grid.to_numpy(dtype=float)
        ax.imshow(values, cmap=cmap, vmin=0.85, vmax=1.05, aspect="auto")
        for (i, j), c in np.ndenumerate(values):
            if np.isnan(c):
                continue
            inside = 0.93 <= c <= 0.97
            if not inside:
                ax.add_patch(plt.Rectangle((j - 0.45, i - 0.4), 0.9, 0.8, fill=False, lw=1.6, color="black"))
            ax.text(j, i, f"{c:.3f}", ha="center", va="center", fontweight="normal" if inside else "bold")
        ax.grid(False)
        ax.set_xticks(np.arange(len(claims)), claims)
        ax.set_yticks(np.arange(len(scen)), scen)
        ax.tick_params(length=0)
        ax.set_title(COVERAGE_PANELS[v])
    fig.tight_layout()
    return fig


def stage_distribution_figure(dist: pd.DataFrame, stage_labels: dict, min_stage_share: float):
    """The stage-share claim: the weighted share at each maturity stage (rows of ``dist``: share, ci_low, ci_high) with its interval
    and the share a stage must hold, as horizontal bars (stage names read across, not rotated)."""
    colors = sns.color_palette("colorblind")
    ys = np.arange(len(dist))[::-1]
    fig, ax = plt.subplots(figsize=(WIDTH, 5.2))
    ax.barh(ys, 100 * dist["share"], color=colors[0], label="weighted share")
    ax.errorbar(100 * dist["share"], ys, xerr=interval_errors(dist["share"], dist["ci_low"], dist["ci_high"], 100),
                fmt="none", ecolor="black", capsize=4, lw=1, label="95 % interval")  # fmt: skip
    ax.axvline(100 * min_stage_share, color=colors[3], ls="--", lw=1.2,
               label=f"{min_stage_share:.0%}: a stage 'holds' municipalities")  # fmt: skip
    ax.set_yticks(ys, [f"{s} {wrap(stage_labels[s], 20)}" for s in range(len(dist))])
    ax.set_ylabel("Maturity stage (self-classification)")
    ax.set_xlabel("Share of municipalities (%, weighted)")
    ax.set_title(wrap("How far the municipalities have come with the SDGs", 45))
    legend_below(ax)
    return fig


def stage_vs_score_figure(comp: pd.DataFrame):
    """The stage-share claim: the weighted distribution of the self-classified stage beside the item-based score (columns level,
    share, measure)."""
    fig, ax = plt.subplots(figsize=(WIDTH, 4.4))
    sns.barplot(data=comp, x="level", y="share", hue="measure", palette="colorblind", ax=ax)
    ax.set_xlabel(wrap("Stage / number of component items present (0–5)", 40))
    ax.set_ylabel("Share (%, weighted)")
    ax.set_title("Self-classified stage and item-based score")
    legend_below(ax)
    return fig


def barrier_shares_figure(overall: pd.DataFrame, threshold: float | None, counties: bool):
    """The barrier ranking: the weighted share naming each barrier (bars with intervals), the county authorities' share (diamonds,
    when ``counties``) and a level (``threshold``; None: no level line); barrier names wrapped, the legend below
    the axes."""
    colors = sns.color_palette("colorblind")
    fig, ax = plt.subplots(figsize=(WIDTH, 0.55 * len(overall) + 2.2))
    ypos = np.arange(len(overall))[::-1]
    share = overall["share (weighted)"]
    ax.barh(ypos, 100 * share, color=colors[0], label="municipalities (weighted)")
    ax.errorbar(100 * share, ypos, xerr=interval_errors(share, overall["ci_low"], overall["ci_high"], 100),
                fmt="none", ecolor="black", capsize=3, lw=1)  # fmt: skip
    if counties:
        ax.scatter(100 * overall["share, regional authorities"], ypos, marker="D", color=colors[1], zorder=3,
                   label="county authorities")  # fmt: skip
    if threshold is not None:
        ax.axvline(100 * threshold, color=colors[3], ls="--", lw=1.2, label=f"half ({threshold:.0%})")
    ax.set_yticks(ypos, [wrap(b, 22) for b in overall["barrier"]])
    ax.set_xlabel("Share naming the barrier (%)")
    ax.set_xlim(0, 100)
    ax.set_title(wrap("Barriers to progress named by municipalities and county authorities", 40))
    legend_below(ax)
    return fig


def barrier_heatmap_figure(heat: pd.DataFrame):
    """The barrier ranking: the percentage naming each barrier (rows) in each group (columns), written in the cells (no colour bar:
    the numbers are there)."""
    fig, ax = plt.subplots(figsize=(WIDTH, 0.5 * len(heat) + 2.4))
    sns.heatmap(100 * heat, annot=True, fmt=".0f", cmap=sns.color_palette("light:#0173B2", as_cmap=True),
                vmin=0, vmax=100, cbar=False, ax=ax)  # fmt: skip
    ax.set_xticklabels([wrap(c, 12) for c in heat.columns], rotation=90)
    ax.set_yticklabels([wrap(b, 22) for b in heat.index], rotation=0)
    ax.set_xlabel("Size band (inhabitants) / group")
    ax.set_ylabel("")
    ax.set_title(wrap("Percentage naming each barrier, by size band and for county authorities", 40))
    return fig
