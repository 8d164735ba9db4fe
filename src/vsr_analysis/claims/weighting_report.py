"""The weighting chapter (``notebooks/weighting``): the weights in words and in a histogram, the calibration of the
response model in words, the scenarios' response probabilities, the coverage benchmark's misses, and the check
against response-propensity weights.

The methods are :mod:`vsr_analysis.stats.raking`, :mod:`vsr_analysis.stats.propensity` and
:mod:`vsr_analysis.claims.share_evidence`; these functions only tabulate and word what they return.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from vsr_analysis.data.analysis_frame import MARGIN_DROP_ORDER, RAKING_MARGINS
from vsr_analysis.stats.propensity import compare_weights, propensity_weights
from vsr_analysis.stats.raking import design_effect
from vsr_analysis.stats.shares import weighted_share

#: Quantiles of the response probabilities over the frame that the chapter tabulates.
QUANTILES = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]


def weights_text(info: dict) -> str:
    """Response, design effect, effective n and range of the raking weights (``AnalysisFrame.weight_info``)."""
    return (
        f"{info['respondents']} of {info['frame']} municipalities responded "
        f"({info['respondents'] / info['frame']:.0%}). Design effect **{info['design_effect']:.3f}**, "
        f"effective sample size **{info['effective_n']:.0f}**; weights range from {info['min_weight']:.2f} to "
        f"{info['max_weight']:.2f}."
    )


def margin_notes(info: dict) -> list[str]:
    """Notes on margins merged (cells without respondents) or dropped by the pre-specified rule; [] when none."""
    notes = []
    if list(info["margins"]) != list(RAKING_MARGINS):
        notes.append(f"*Margins used after merging cells without respondents: {', '.join(info['margins']) or 'none'}.*")
    if info.get("dropped_margins"):
        notes.append(
            f"*Raking could not meet every margin with these respondents; by the pre-specified rule (margins "
            f"dropped in the order {', '.join(MARGIN_DROP_ORDER)} until raking converges) "
            f"{', '.join(info['dropped_margins'])} were dropped.*"
        )
    return notes


def weights_figure(resp: pd.DataFrame) -> plt.Figure:
    """Histogram of the respondents' raking weights (``weight``)."""
    fig, ax = plt.subplots(figsize=(5.4, 3.8))
    sns.histplot(resp["weight"], bins=25, ax=ax, color=sns.color_palette("colorblind")[0])
    ax.set_xlabel("Raking weight")
    ax.set_ylabel("Responding municipalities")
    ax.set_title("Distribution of the raking weights")
    return fig


def calibration_text(method: str, prob, cal: dict) -> str:
    """The response model, the range of its probabilities ``prob`` and its out-of-fold calibration ``cal``
    (``stats.propensity.calibration_check``)."""
    return (
        f"Model: {method}. Response probabilities range from {prob.min():.2f} to "
        f"{prob.max():.2f}. Out of fold: Brier score **{cal['brier']:.4f}** against "
        f"{cal['brier_constant']:.4f} for a constant rate; calibration slope **{cal['slope']:.2f}**, "
        f"intercept {cal['intercept']:.2f}."
    )


def response_quantiles(probabilities: dict[str, pd.Series]) -> pd.DataFrame:
    """SIMULATED: each scenario's true response probabilities over the frame (scenario -> one per municipality,
    ``synth.replica.response_probabilities``) at :data:`QUANTILES`."""
    table = {"quantile over the 356": QUANTILES}
    for name, probs in probabilities.items():
        table[name] = probs.quantile(QUANTILES).to_numpy()
    return pd.DataFrame(table)


def coverage_text(coverage: pd.DataFrame) -> list[str]:
    """The coverage benchmark in words: the range under missing at random and how many cells lie in 0.93–0.97,
    then one line per cell outside the band, with the oracle's coverage and the estimate's bias."""
    primary = coverage[coverage["variance"] == "poisson"]
    lines = [
        f"Intervals under missing at random: coverage from **{primary['coverage'].min():.3f}** to "
        f"**{primary['coverage'].max():.3f}** over {int(primary['seeds'].min())} seeds per scenario; "
        f"{int(primary['coverage'].between(0.93, 0.97).sum())} of {len(primary)} claim × scenario cells "
        "lie in 0.93–0.97."
    ]
    missed = primary[~primary["coverage"].between(0.93, 0.97)]
    oracle = coverage[coverage["variance"] == "oracle"].set_index(["scenario", "claim"])["coverage"]
    for _, m in missed.iterrows():
        o = oracle.get((m["scenario"], m["claim"]))
        side = "above the band: wider than needed" if m["coverage"] > 0.97 else "below the band"
        lines.append(
            f"- {m['claim']} under `{m['scenario']}`: under missing at random {m['coverage']:.3f} ({side})"
            + (
                ""
                if o is None
                else f"; oracle {o:.3f} ({'also outside' if not 0.93 <= o <= 0.97 else 'inside'} the band)"
            )
            + f"; bias of the estimate {round(m['bias'], 4) + 0.0:+.4f}."
        )  # + 0.0: no "-0.0000"
    return lines


def weighting_comparison(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The shares at stage ≥ 1 and ≥ 4 unweighted, raked and with response-propensity weights (log population,
    centrality, merger, county fixed effects), and how the two sets of weights agree: (table, agreement)."""
    pw, _ = propensity_weights(
        frame, "responded", ["log_population", "centrality", "merged_2017_2020"], fixed_effects=["county_code"]
    )
    agreement = compare_weights(frame["weight"].where(frame["responded"]), pw)
    resp = frame[frame["responded"]].assign(propensity_weight=pw[frame["responded"]])
    started = (resp["maturity_stage"] >= 1).astype(float).where(resp["maturity_stage"].notna())
    top = (resp["maturity_stage"] >= 4).astype(float).where(resp["maturity_stage"].notna())
    rows = []
    for label, column in (("unweighted", None), ("raking", "weight"), ("response propensity", "propensity_weight")):
        w = None if column is None else resp[column]
        rows.append(
            {
                "weights": label,
                "design effect": 1.0 if column is None else design_effect(resp[column]),
                "share at stage ≥ 1": weighted_share(started, w).estimate,
                "share at stage ≥ 4": weighted_share(top, w).estimate,
            }
        )
    return pd.DataFrame(rows), agreement


def agreement_text(agreement: dict) -> str:
    """How the raking and the response-propensity weights agree (``stats.propensity.compare_weights``)."""
    return (
        f"The two sets of weights correlate at r = **{agreement['correlation']:.2f}** over the "
        f"{agreement['n']} respondents (their ratio ranges from {agreement['ratio_min']:.2f} to "
        f"{agreement['ratio_max']:.2f})."
    )
