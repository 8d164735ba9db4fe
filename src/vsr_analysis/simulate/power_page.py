"""The power-design chapter, the verdict cards' and the claims page's power statements, from :mod:`.power`'s table.

The chapter (``notebooks/power_design.py``) calls :func:`power_for`: the stored table in ``data/power-design/``
when it was computed at this survey's design by this code (:func:`vsr_analysis.simulate.power.stored_problem`),
else the same engine run now with fewer replicates (a user's own file: its design).  The chapter writes the MDE
table it shows to ``results/power-design/mde.csv``; the verdict cards and the claims page read it back
(:func:`read_mde`) and state each claim's minimum detectable effect with :func:`mde_phrase`.

Only light imports at the top: the book's post-processing imports this module.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

PAGE = "power-design"
MDE_TABLE = "mde"

#: The knob's effect scale for a share (a percentage in the text).
_SHARE_SCALES = ("true share", "probability")


def _is_share_scale(scale: str) -> bool:
    return str(scale).startswith(_SHARE_SCALES)


def _fmt(value, scale: str, se=None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if _is_share_scale(scale):
        text = f"{100 * float(value):.1f} %"
        return text + (f" (± {100 * float(se):.1f})" if se is not None and se == se else "")
    text = f"{float(value):.2f}"
    return text + (f" (± {float(se):.2f})" if se is not None and se == se else "")


def _present(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def mde_phrase(row: dict) -> str:
    """What the rule detects with 80 % power, in words, from one row of the MDE table."""
    scale = str(row.get("effect_scale", ""))
    if not _present(row.get("kind")):
        return f"not computed ({scale})"
    status = row.get("status_alpha")
    if status == "beyond_grid":
        return (
            "not within the effects simulated (the rule needs a larger effect than the grid's largest for 80 % power)"
        )
    at_alpha = _fmt(row.get("mde_alpha"), scale)
    if _is_share_scale(scale):
        what = f"a {scale} of {at_alpha}"
        if "null_effect" in row and _present(row.get("null_effect")) and not str(scale).startswith("probability"):
            what += f" (the rule's level: {_fmt(row['null_effect'], scale)})"
    else:
        what = f"a coefficient of {at_alpha} {scale.replace('log-odds', 'log-odds', 1)}"
        sd = row.get("term_sd")
        if _present(sd) and float(sd) > 0 and _present(row.get("mde_alpha")):
            per_unit = float(row["mde_alpha"]) / float(sd)
            what += f" ({per_unit:.2f} per unit of it, odds ratio {math.exp(per_unit):.2f})"
    text = f"{what} at α"
    if bool(row.get("holm_adjusted", True)):
        holm = _fmt(row.get("mde_holm"), scale) if row.get("status_holm") != "beyond_grid" else "beyond the grid"
        text += f", {holm} at Holm's most stringent level (its Holm level lies between the two)"
    else:
        text += " (no p-value enters its rule's supported route, so no Holm level applies)"
    return text


def releasable(mde: pd.DataFrame, confidential: bool) -> pd.DataFrame:
    """The MDE table as it may be published: on a confidential file without the SD of a term among the respondents
    (for a 0/1 survey item it would tell the share answering 1, and 0 that all answered alike); the MDE per SD,
    a statistic of simulated outcomes, stays."""
    return mde.drop(columns=["term_sd"], errors="ignore") if confidential else mde


def read_mde(results_dir: Path | None) -> pd.DataFrame | None:
    """The MDE table the power chapter of this run wrote (None: the chapter was not part of the run)."""
    if results_dir is None:
        return None
    path = Path(results_dir) / PAGE / f"{MDE_TABLE}.csv"
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={"claim": str}, keep_default_na=True).drop(columns=["data"], errors="ignore")


def mde_row(mde: pd.DataFrame | None, claim_id: str) -> dict | None:
    if mde is None:
        return None
    rows = mde[mde["claim"] == claim_id]
    if rows.empty:
        return None
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rows.iloc[0].to_dict().items()}


def power_for(data, *, reps: int, seed: int, workers: int | None = 0):
    """(curves, mde, source sentence): the stored table when it is current for ``data``'s design, else the engine
    run now at ``data``'s design with ``reps`` replicates per grid point (in this process for ``workers=0``)."""
    from vsr_analysis import paths
    from vsr_analysis.simulate import power

    folder = paths.project_root() / power.STORED_DIR
    problem = power.stored_problem(folder, data)
    if problem is None:
        import json

        prov = json.loads((folder / power.PROVENANCE_FILE).read_text(encoding="utf-8"))
        curves = power.read_table(folder / power.CURVE_FILE)
        mde = power.read_table(folder / power.MDE_FILE)
        commit = ((prov.get("git") or {}).get("commit") or "unknown")[:12]
        return (
            curves,
            mde,
            (
                f"These results are the **stored power table** in `{power.STORED_DIR}/`, made by `{prov['command']}` at "
                f"commit `{commit}` with {prov['reps']:,} replicates per grid point "
                f"({prov['evaluations']:,} evaluations, {prov['cpu_seconds_per_evaluation']:.3f} CPU seconds each). The "
                "build checked that it was computed at this survey's design by this code, claims.yml and run spec "
                "(same fingerprint)."
            ),
        )
    plan = power.make_plan(data.spec, reps, seed)
    result = power.compute(plan, data, workers=workers)
    return (
        result.curves,
        result.mde,
        (
            f"These results were computed **while this page was built**, at this survey's design, with {reps} "
            f"replicates per grid point ({result.evaluations:,} evaluations; the stored table is not used because "
            f"{problem}). The command `vsr simulate --power --survey SPEC --reps N` computes a more precise table."
        ),
    )


def mde_display(mde: pd.DataFrame) -> pd.DataFrame:
    """The MDE table as the chapter shows it: one row per confirmatory claim, readable."""
    rows = []
    for r in mde.to_dict("records"):
        r = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        scale = str(r.get("effect_scale", ""))
        computed = r.get("kind") is not None
        rows.append(
            {
                "claim": r["claim"],
                "effect (knob)": scale,
                "no effect at": _fmt(r.get("null_effect"), scale) if computed else "–",
                "MDE at α (± MC SE)": _fmt(r.get("mde_alpha"), scale, r.get("mde_se_alpha")) if computed else "–",
                "MDE at Holm's bound (± MC SE)": (
                    _fmt(r.get("mde_holm"), scale, r.get("mde_se_holm"))
                    if computed and r.get("holm_adjusted")
                    else "not in the family"
                    if computed
                    else "–"
                ),
                "supported at no effect (α)": _fmt(r.get("size_alpha"), "probability") if computed else "–",
            }
        )
    return pd.DataFrame(rows)


def curves_figure(curves: pd.DataFrame, mde: pd.DataFrame):
    """Power against effect, one panel per effect scale (stacked), solid at α, dashed at Holm's bound."""
    import matplotlib.pyplot as plt

    from vsr_analysis.stats.figure_style import WIDTH, legend_below, set_style

    set_style()
    scales = list(dict.fromkeys(mde.dropna(subset=["kind"])["effect_scale"]))
    fig, axes = plt.subplots(len(scales), 1, figsize=(WIDTH, 3.2 * len(scales)), squeeze=False)
    for ax, scale in zip(axes[:, 0], scales):
        ids = list(mde[mde["effect_scale"] == scale]["claim"])
        for cid in ids:
            c = curves[curves["claim"] == cid]
            x = c["effect"].to_numpy(dtype=float)
            holm = mde[mde["claim"] == cid]
            if _is_share_scale(scale) and "null_effect" in holm and not str(scale).startswith("probability"):
                x = abs(x - float(holm["null_effect"].iloc[0]))  # distance from the rule's level
            x = 100 * x if _is_share_scale(scale) else x
            (line,) = ax.plot(x, c["power_alpha"], marker="o", ms=3, label=cid)
            if bool(holm["holm_adjusted"].iloc[0]):
                ax.plot(x, c["power_holm"], ls="--", color=line.get_color())
        ax.axhline(0.8, color="grey", ls=":", lw=1)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("Power")
        xlabel = scale
        if _is_share_scale(scale):
            xlabel = "percentage points beyond the rule's level" if scale.startswith("true share") else f"{scale} (%)"
        ax.set_xlabel(xlabel)
        legend_below(ax, ncol=min(4, len(ids)))
    fig.tight_layout()
    return fig
