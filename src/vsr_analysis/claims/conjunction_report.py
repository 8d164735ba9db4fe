"""The group-comparison chapter, its words and figure: the component labels, sentences on the group comparisons and
on the overlap of size and centrality, the forest plot, and the specification curves of the partial effects.

The analyses themselves are :mod:`vsr_analysis.claims.conjunction_evidence` (shared with ``vsr simulate``); this
module only turns their tables into what the chapter shows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from vsr_analysis.claims import conjunction_evidence as conj
from vsr_analysis.stats import specification_curve as speccurve
from vsr_analysis.stats.figure_style import legend_below, wrap

#: Each characteristic in words, as the chapter's tables and figure name it.
CHARACTERISTIC_WORDS = {
    "log_population": "large: log population",
    "centrality": "central: centrality (index / 100)",
    "merged_2017_2020": "merged 2017–2020",
    "network_member": "member of an SDG network",
}


def component_labels(parts: dict[str, dict]) -> dict[str, str]:
    """Term -> "<component claim id> <words>" for every characteristic; ``parts`` maps each term (the components'
    ``evidence_part``) to its claims.yml entry."""
    return {term: f"{parts[term]['id']} {words}" for term, words in CHARACTERISTIC_WORDS.items()}


def components_text(comp: pd.DataFrame, labels: dict[str, str], alpha: float, claim: str) -> str:
    """Which components carry the claim at the unadjusted level, and the intersection–union p-value (the largest
    one-sided p) with the component it comes from. ``comp`` is ``characteristics_evidence``'s component table."""
    carried = [labels[t] for t in comp.loc[comp["p_greater"] < alpha, "term"]]
    return (
        f"At the unadjusted level, the components that carry the claim are: **{', '.join(carried) or 'none'}**. "
        f"The intersection–union p-value (the largest one-sided p) is **{comp['p_greater'].max():.3g}** "
        f"({labels[comp.loc[comp['p_greater'].idxmax(), 'term']]}); the ledger adjusts it at {claim}'s place in the "
        "Holm family."
    )


def collinearity_text(col: dict) -> str:
    """The overlap of size and centrality in words, from ``conjunction_evidence.collinearity``."""
    return (
        f"**Size and centrality overlap.** Among the respondents the weighted correlation of log population "
        f"and centrality is **{col['r_size_centrality']:.2f}**; their variance inflation factors are "
        f"{col['vif']['log_population']:.1f} and {col['vif']['centrality']:.1f}. In the joint model each is "
        "estimated from what the other leaves over, so the survey's 356 municipalities say little about whether "
        "centrality matters beyond size (or size beyond centrality), although each group comparison can be clear: "
        "a weak partial coefficient is no evidence against the finding, which is about the groups."
    )


def forest_figure(comp: pd.DataFrame, joint: pd.DataFrame, labels: dict[str, str], claim: str, palette) -> plt.Figure:
    """The components' coefficients with 95 % intervals, each alone (the primary tests) beside the joint model."""
    fig, ax = plt.subplots(figsize=(5.4, 4.6))
    conj.forest(
        ax,
        {"each alone (primary)": comp, "all four with county FE (explanation)": joint},
        {k: wrap(v, 20) for k, v in labels.items()},
        palette,
    )
    ax.set_xlabel(wrap(ax.get_xlabel(), 36))
    legend_below(ax)  # one entry per line, below the data
    ax.set_title(wrap(f"{claim}'s components: coefficients with 95 % intervals", 40))
    return fig


def specification_summary(resp: pd.DataFrame, models: Sequence[str], cuts: Sequence[int]) -> pd.DataFrame:
    """One row per focal characteristic (size, centrality): how the specifications of
    ``stats.specification_curve.default_specs`` agree with the joint model (warnings of the many fits silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curves = {
            focal: speccurve.specification_curve(
                speccurve.prepare_columns(resp),
                speccurve.default_specs(focal, models_=tuple(models), cuts=tuple(cuts)),
            )
            for focal in ("size", "centrality")
        }
    return pd.DataFrame([{"characteristic": focal, **speccurve.summarise(c)} for focal, c in curves.items()])
