"""The existence claim's figures: the scatter with its ceilings (simulated data only) or binned counts (confidential runs).

On a confidential run no figure may draw a unit at its register value with its survey answer, so the chapter
shows respondents counted by register band x stage instead, with cells of 1-2 suppressed by the same rule as the
tables (:func:`vsr_analysis.build.disclosure.suppress_small_cells`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.stats.figure_style import legend_below, wrap


def scatter_with_ceilings(ax, x_raw, y, ce, cr, cut: float, *, log_scale: bool, seed: int, palette) -> None:
    """Unit points (jittered stages), the CE-FDH step and the CR-FDH line, the threshold.  Synthetic data only."""
    x = np.log10(x_raw) if log_scale else np.asarray(x_raw, dtype=float)
    from_x = (lambda v: 10**v) if log_scale else (lambda v: v)
    jitter = np.random.default_rng(seed).uniform(-0.12, 0.12, size=len(y))
    ax.scatter(x_raw, y + jitter, s=14, alpha=0.6, color=palette[0], label="municipality (simulated)")
    xs = np.linspace(x.min(), x.max(), 300)
    ax.step(from_x(xs), ce.ceiling_y(xs), where="post", color=palette[1], lw=2, label="CE-FDH ceiling")
    ax.plot(
        from_x(xs), np.clip(cr.ceiling_y(xs), y.min(), y.max()), color=palette[2], lw=2, ls="--", label="CR-FDH ceiling"
    )
    ax.axvline(cut, color="grey", lw=1, ls=":", label="threshold")
    if log_scale:
        ax.set_xscale("log")
    ax.set_ylabel("Maturity stage\n(0 = not started … 5 = measuring)")


def binned_heatmap(ax, counts: pd.DataFrame) -> None:
    """Band x stage counts as a shaded grid; suppressed cells ("<3") are shown as text on a blank cell."""
    stages = [c for c in counts.columns if c.startswith("stage ")]
    values = counts[stages].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    ax.imshow(np.ma.masked_invalid(values.T), origin="lower", aspect="auto", cmap="Blues")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(i, j, str(counts[stages[j]].iloc[i]), ha="center", va="center")
    ax.set_xticks(range(len(counts)))
    ax.set_xticklabels([str(b).replace("–", "–\n") for b in counts["band"]])
    ax.set_yticks(range(len(stages)))
    ax.set_yticklabels([s.replace("stage ", "") for s in stages])
    ax.set_ylabel("Maturity stage")


def binned_release(respondents, frame, condition: str) -> tuple[pd.DataFrame, list[dict]]:
    """The confidential figure's data: respondents by register band x stage, and what each count counts (for the
    disclosure engine, ``Context.table(cells=...)``): the respondents of the band at that stage."""
    from vsr_analysis.claims.necessity_evidence import BAND_COLUMNS, band_order, binned_counts

    band = BAND_COLUMNS.get(condition, "size_band")
    table = binned_counts(respondents, band, band_order(frame, band, condition))
    knr = respondents["knr"].astype(str)
    stages = [int(c.removeprefix("stage ")) for c in table.columns if c.startswith("stage ")]
    # margins other chapters publish: the stage chapter's respondents at each stage, and the respondents of each band
    # (the barrier chapter and the share chapters' tables by group); the engine protects this table as if they were known
    cells = [
        {"context": True, "column": f"stage {s}", "item": "maturity_stage", "levels": [s], "members": knr.tolist()}
        for s in stages
    ]
    for value in table["band"]:
        members = knr[respondents[band].astype(str) == str(value)].tolist()
        cells.append({"context": True, "column": f"band {value}", "item": "maturity_stage", "levels": stages,
                      "members": members})  # fmt: skip
    for row, value in zip(table.index, table["band"]):
        members = knr[respondents[band].astype(str) == str(value)].tolist()
        for col in [c for c in table.columns if c.startswith("stage ")]:
            level = int(col.removeprefix("stage "))
            cells.append({"row": row, "column": col, "item": "maturity_stage", "levels": [level], "members": members})
    return table, cells


def necessity_figure(ax, respondents, frame, condition: str, condition_label: str, cut: float, *, log_scale: bool,
                     ce, cr, seed: int, palette, confidential: bool,
                     released: pd.DataFrame | None = None) -> tuple[str, str]:  # fmt: skip
    """Binned counts on a confidential run, the scatter with ceilings otherwise; returns (alt text, caption).

    On a confidential run the grid is drawn from ``released``, the binned table as the chapter published it
    (``Context.released``), never from the respondents: a figure shows no number its table hides."""
    if confidential:
        if released is None:
            raise ValueError("a confidential run draws the binned counts from the released table only")
        binned_heatmap(ax, released)
        ax.set_xlabel(wrap(f"Register band of {condition_label}", 40))
        return (
            f"Grid of respondent counts by band of {condition_label} and maturity stage; small cells suppressed",
            "Respondents by band and stage, as in the released table; suppressed cells read '..' (disclosure control).",
        )
    x_raw = respondents[condition].astype(float).to_numpy()
    y = respondents["maturity_stage"].astype(float).to_numpy()
    scatter_with_ceilings(ax, x_raw, y, ce, cr, cut, log_scale=log_scale, seed=seed, palette=palette)
    ax.set_xlabel(wrap(condition_label[:1].upper() + condition_label[1:], 40))
    legend_below(ax, ncol=2)  # below the axes, so that no point is hidden behind it
    return (
        f"Scatter plot of maturity stage against {condition_label} with CE-FDH and CR-FDH ceilings and the threshold",
        "Each point is a responding municipality of the simulated replica (stages jittered). An empty upper-left "
        f"corner would mean that the top stages need a minimum {condition_label}.",
    )
