"""The analysis frame's raking weights, by the pre-specified rule (margins in
:data:`vsr_analysis.data.analysis_frame.RAKING_MARGINS`, dropped in ``MARGIN_DROP_ORDER`` while raking cannot meet
them all).  :func:`vsr_analysis.loading.load_frame` weights every frame a notebook loads with :func:`add_weights`;
the chapters' robustness analyses re-rake with :func:`rake_by_rule`.
"""

from __future__ import annotations

import pandas as pd

from vsr_analysis.data.analysis_frame import MARGIN_DROP_ORDER, RAKING_MARGINS, AnalysisFrame
from vsr_analysis.stats.raking import RakingError, design_effect, effective_n, rake_collapsing_empty


def rake_by_rule(frame: pd.DataFrame, respondent="responded"):
    """Raking weights by the pre-specified rules: ``RAKING_MARGINS``, a margin cell without respondents merged with
    its neighbour, and margins dropped in ``MARGIN_DROP_ORDER`` while raking cannot meet them all.

    Returns ``(weights, margins used, collapsed columns, margins dropped)``; every re-raking (the chapters'
    robustness analyses) uses the same rule."""
    band_order = frame.groupby("size_band")["population_2021"].min().sort_values().index.tolist()
    margins, dropped = list(RAKING_MARGINS), []
    while True:
        try:
            w, used, collapsed = rake_collapsing_empty(frame, respondent, margins, orders={"size_band": band_order})
            return w, used, collapsed, dropped
        except RakingError:
            drop = next(m for m in MARGIN_DROP_ORDER if m in margins)
            margins.remove(drop)
            dropped.append(drop)


def add_weights(data: AnalysisFrame) -> None:
    """Rake respondents to the frame's margins; weight 0 for non-respondents; record the design effect."""
    frame = data.frame
    w, used, collapsed, dropped = rake_by_rule(frame)
    for col in collapsed.columns:
        frame[col] = collapsed[col]
    frame["weight"] = w.reindex(frame.index).fillna(0.0).astype(float)
    resp = frame.loc[frame["responded"], "weight"]
    data.weight_info = {
        "margins": list(used),
        "dropped_margins": dropped,
        "respondents": int(frame["responded"].sum()),
        "frame": int(len(frame)),
        "design_effect": float(design_effect(resp)),
        "effective_n": float(effective_n(resp)),
        "min_weight": float(resp.min()),
        "max_weight": float(resp.max()),
    }
