"""The county authorities' chapter (``notebooks/county_authorities``): the municipal shares set beside the counts, the
sentences on national guidance and on what could not be shown, the figure, each claim's power table, and the
replica's county truth.

The counts and tests are :mod:`vsr_analysis.stats.county_tables` and :mod:`vsr_analysis.claims.county_evidence`
(shared with ``vsr simulate``); these functions only assemble, draw and word what they return, from the tables as
released wherever a number could be hidden.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vsr_analysis.claims import county_evidence as ce
from vsr_analysis.claims.share_reporting import numeric
from vsr_analysis.stats.county_tables import ITEM_COUNT_COLUMNS, describe_count, hidden_note, item_cells, item_counts
from vsr_analysis.stats.descriptives import as_float, interval_errors
from vsr_analysis.stats.dispersion import weighted_distribution
from vsr_analysis.stats.figure_style import legend_below, wrap


def publish_item_counts(
    ctx, name: str, counties: pd.DataFrame, items: list, labels: dict, municipalities: pd.DataFrame, caption: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the full table, the table as released): the county authorities' counts of each item with exact intervals
    beside the raked municipal share, published through the chapter's disclosure rule with each count cell
    declared, as every county table of the book is."""
    table = item_counts(counties, items, labels, municipalities=municipalities)
    ctx.table(name, table, caption, count_columns=ITEM_COUNT_COLUMNS, cells=item_cells(table, items, counties))
    return table, ctx.released(name)


def municipal_stage_shares(resp: pd.DataFrame, stage_labels: dict, frame_size: int) -> np.ndarray:
    """The raked share of municipalities at each stage of ``stage_labels`` (finite population ``frame_size``)."""
    dm = weighted_distribution(
        as_float(resp["maturity_stage"]),
        resp["weight"].to_numpy(),
        levels=list(stage_labels),
        population_size=frame_size,
    )
    return dm["share"].to_numpy()


def guidance_text(shown_bars: pd.DataFrame, bars: pd.DataFrame, label: str, hidden: dict) -> str:
    """How many county authorities name national support and guidance (the released row ``label``), beside the
    municipal share, and the barriers they name most often among those shown; then what the table hid."""
    guidance = shown_bars[shown_bars["item"] == label].iloc[0]
    text = describe_count(guidance, "name national support and guidance")
    muni_share = float(bars.loc[bars["item"] == label, "municipal share (weighted)"].iloc[0])
    visible = numeric(shown_bars["county share"])
    if np.isfinite(visible).any() and np.isfinite(numeric([guidance["county share"]]))[0]:
        top = shown_bars.loc[visible == np.nanmax(visible), "item"].tolist()
        text += f"; the municipal share is {muni_share:.0%}. The barrier{'s' if len(top) > 1 else ''} most often named by the county authorities among those shown: {', '.join(top)}"
    return text[0].upper() + text[1:] + ". " + hidden_note(hidden, "barrier table")


def draw_county_shares(ax: plt.Axes, shown: pd.DataFrame, ys, color) -> None:
    """The county authorities' released shares in ``shown`` as diamonds with their exact intervals, at heights
    ``ys`` (the county chapter's figure and the policy-coherence chapter's)."""
    est, lo, hi = (
        numeric(shown["county share"]),
        numeric(shown["ci_low (exact)"]),
        numeric(shown["ci_high (exact)"]),
    )
    ax.errorbar(100 * est, ys, xerr=interval_errors(est, lo, hi, 100), fmt="D", color=color, capsize=3,
                label="county authorities (exact CI)")  # fmt: skip


def county_items_figure(shown_plans: pd.DataFrame, shown_bars: pd.DataFrame) -> plt.Figure:
    """Two stacked dot plots (plans and processes, barriers): each released county share with its exact interval,
    and a tick at the raked municipal share."""
    colors = sns.color_palette("colorblind")
    fig, axes = plt.subplots(
        2,
        1,
        figsize=(5.4, 0.62 * (len(shown_plans) + len(shown_bars)) + 3.2),
        sharex=True,
        height_ratios=[len(shown_plans) + 1, len(shown_bars) + 1],
    )
    for ax, shown, title in [(axes[0], shown_plans, "Plans and processes"), (axes[1], shown_bars, "Barriers named")]:
        ys = np.arange(len(shown))[::-1]
        draw_county_shares(ax, shown, ys, colors[1])
        ax.scatter(
            100 * numeric(shown["municipal share (weighted)"]),
            ys,
            marker="|",
            s=200,
            color=colors[0],
            label="municipalities (raked)",
        )
        ax.set_yticks(ys)
        ax.set_yticklabels([wrap(i, 24) for i in shown["item"]])
        ax.set_xlim(0, 100)
        ax.set_xlabel("Share (%)")
        ax.set_title(title)
    fig.tight_layout()
    legend_below(axes[1])
    return fig


def claim_power(
    frame, answering, claim, evidence: dict, *, design, alpha: float, differences
) -> tuple[str, pd.DataFrame, str]:
    """What the claim's test could detect: (the sentences, the power table, its caption). A non-inferiority claim
    also gets its census variant (none when its evidence is not estimable)."""
    if claim.analysis.kind == "share_noninferiority":
        detect = ce.what_it_could_detect(frame, answering, claim, design=design, alpha=alpha, differences=differences)
        census = None if evidence.get("not_estimable") else ce.census_variant(frame, answering, claim, design=design)
        text = ce.noninferiority_text(claim, evidence, detect, census, alpha)
        power, against = ce.power_table(detect), "the municipal share held as estimated"
    else:
        detect = ce.share_could_detect(answering, claim, alpha=alpha, differences=differences)
        text = ce.share_detect_text(claim, detect)
        power, against = ce.power_table(detect, "the level"), "rates around the rule's level"
    caption = f"{claim.id}: how often its test shows the claim, by the county authorities' true rate ({against}; unadjusted α)"
    return text, power, caption


def simulated_truth_table(truth: dict, labels: dict) -> pd.DataFrame:
    """SIMULATED: the replica's county probability of each item beside the drawn counts (``truth["counties"]``)."""
    exp = truth["expected_shares"]
    rows = [
        {
            "item": labels.get(i, i),
            "simulated probability": exp[i],
            "county authorities answering": r["answering"],
            "county authorities with it": r["with_it"],
        }
        for i, r in truth["realised"].items()
        if i in exp
    ]
    return pd.DataFrame(rows)


def not_shown_text(not_shown: list[tuple[str, dict]], confidential: bool) -> str:
    """How many count cells the disclosure rule suppressed, table by table (``stats.county_tables.hidden_cells``)."""
    total = sum(h["hidden"] for _, h in not_shown)
    cells = sum(h["cells"] for _, h in not_shown)
    return (
        f"{total} of {cells} count cells are suppressed under the disclosure rule"
        + (": " + "; ".join(f"{what}: {h['hidden']} of {h['cells']}" for what, h in not_shown) + "." if total else ".")
        + (
            " On a confidential file the counts hidden here are known to the file's owner only."
            if confidential
            else " Synthetic data are exempt from the rule, so everything is shown."
        )
    )
