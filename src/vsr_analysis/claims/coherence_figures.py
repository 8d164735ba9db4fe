"""The policy-coherence chapter's figure and its sentence on the county authorities, drawn and written from the
tables as released.

A cell hidden by the disclosure rule (".." in a released table) is neither drawn nor counted.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vsr_analysis.claims.county_report import draw_county_shares
from vsr_analysis.claims.share_reporting import numeric
from vsr_analysis.stats.county_tables import ITEM_COUNT_COLUMNS, describe_count, hidden_cells, hidden_note
from vsr_analysis.stats.descriptives import interval_errors
from vsr_analysis.stats.figure_style import legend_below, wrap


def county_reading(shown: pd.DataFrame) -> str:
    """The county authorities' released counts in words: each row's count, how many rows shown have a county share
    at least the municipal one (a description, not a test), and what the disclosure rule hid.

    ``shown`` is the released county table of ``stats.county_tables.item_counts`` (``item``, ``county share``,
    ``municipal share (weighted)`` and the count columns)."""
    sentences = [describe_count(row, f"name {row['item'].lower()}") for _, row in shown.iterrows()]
    c_share, m_share = numeric(shown["county share"]), numeric(shown["municipal share (weighted)"])
    ok = np.isfinite(c_share)
    reading = (
        f"In {int((c_share[ok] >= m_share[ok]).sum())} of the {int(ok.sum())} rows shown the county share is at "
        "least the municipal one (a description of 11 units, not a test)."
        if ok.any()
        else ""
    )
    return (
        "County authorities: "
        + "; ".join(sentences)
        + ". "
        + reading
        + " "
        + hidden_note(hidden_cells(shown, ITEM_COUNT_COLUMNS, "item"), "county table")
    )


def state_barriers_figure(muni: pd.DataFrame, shown: pd.DataFrame | None, threshold: float) -> plt.Figure:
    """Bars of the raked municipal share naming each barrier (95 % interval) and, when ``shown`` (the released
    county table) is given, diamonds for the county authorities with their exact intervals; a dashed line at the
    claim's level ``threshold``. ``muni`` is the released municipal table (``barrier``, ``share (weighted)``,
    ``ci_low``, ``ci_high``)."""
    colors = sns.color_palette("colorblind")
    fig, ax = plt.subplots(figsize=(5.4, 0.6 * len(muni) + 2.6))
    ys = np.arange(len(muni))[::-1]
    est = numeric(muni["share (weighted)"])
    ax.barh(ys + 0.18, 100 * est, height=0.35, color=colors[0], label="municipalities (raked)")
    ax.errorbar(
        100 * est,
        ys + 0.18,
        xerr=interval_errors(est, numeric(muni["ci_low"]), numeric(muni["ci_high"]), 100),
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    if shown is not None:
        pos = {lab: y for lab, y in zip(muni["barrier"], ys)}
        draw_county_shares(ax, shown, np.array([pos[lab] for lab in shown["item"]]) - 0.18, colors[1])
    ax.axvline(100 * threshold, color=colors[3], ls="--", lw=1.2, label=f"level in the claim ({threshold:.0%})")
    ax.set_yticks(ys)
    ax.set_yticklabels([wrap(b, 20) for b in muni["barrier"]])
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share naming the barrier (%)")
    ax.set_title(wrap("State-level barriers: municipalities and county authorities", 40))
    legend_below(ax)  # below the data
    return fig
