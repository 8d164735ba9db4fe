"""The power-design chapter, the verdict cards' and the claims page's power statements, from :mod:`.power`'s table.

The chapter (``notebooks/power_design.py``) calls :func:`power_for`: the stored table in ``data/power-design/``
when it was computed at this survey's design by this code (:func:`vsr_analysis.simulate.power.stored_problem`),
else the same engine run now with fewer replicates (a user's own file: its design).  The chapter writes the MDE
table it shows to ``results/power-design/mde.csv``; the verdict cards and the claims page read it back and state
each claim's minimum detectable effect with :func:`vsr_analysis.claims.power_statement.mde_phrase`.
"""

from __future__ import annotations

import math

import pandas as pd

from vsr_analysis.claims.power_statement import (  # noqa: F401 - the chapter's names, defined with the cards'
    MDE_TABLE,
    PAGE,
    fmt_effect,
    is_share_scale,
    mde_phrase,
    releasable,
)


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
    """The MDE table as the chapter shows it: one row per claim (the exploratory ones at α only), readable."""
    rows = []
    for r in mde.to_dict("records"):
        r = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        scale = str(r.get("effect_scale", ""))
        computed = r.get("kind") is not None
        rows.append(
            {
                "claim": r["claim"],
                "effect (knob)": scale,
                "no effect at": fmt_effect(r.get("null_effect"), scale) if computed else "–",
                "MDE at α (± MC SE)": fmt_effect(r.get("mde_alpha"), scale, r.get("mde_se_alpha")) if computed else "–",
                "MDE at Holm's bound (± MC SE)": (
                    fmt_effect(r.get("mde_holm"), scale, r.get("mde_se_holm"))
                    if computed and r.get("holm_adjusted")
                    else "not in the family"
                    if computed
                    else "–"
                ),
                "supported at no effect (α)": fmt_effect(r.get("size_alpha"), "probability") if computed else "–",
            }
        )
    return pd.DataFrame(rows)


def curves_figure(curves: pd.DataFrame, mde: pd.DataFrame):
    """Power against effect, one panel per effect scale (stacked), solid at α, dashed at Holm's bound."""
    import matplotlib.pyplot as plt

    from vsr_analysis.stats.figure_style import WIDTH, legend_below, set_style, wrap

    set_style()
    scales = list(dict.fromkeys(mde.dropna(subset=["kind"])["effect_scale"]))
    fig, axes = plt.subplots(len(scales), 1, figsize=(WIDTH, 3.2 * len(scales)), squeeze=False)
    for ax, scale in zip(axes[:, 0], scales):
        ids = list(mde[mde["effect_scale"] == scale]["claim"])
        for cid in ids:
            c = curves[curves["claim"] == cid]
            x = c["effect"].to_numpy(dtype=float)
            holm = mde[mde["claim"] == cid]
            if is_share_scale(scale) and "null_effect" in holm and not str(scale).startswith("probability"):
                x = abs(x - float(holm["null_effect"].iloc[0]))  # distance from the rule's level
            x = 100 * x if is_share_scale(scale) else x
            (line,) = ax.plot(x, c["power_alpha"], marker="o", ms=3, label=cid)
            if bool(holm["holm_adjusted"].iloc[0]):
                ax.plot(x, c["power_holm"], ls="--", color=line.get_color())
        ax.axhline(0.8, color="grey", ls=":", lw=1)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("Power")
        xlabel = scale
        if is_share_scale(scale):
            xlabel = "percentage points beyond the rule's level" if scale.startswith("true share") else f"{scale} (%)"
        ax.set_xlabel(wrap(xlabel, 45))
        legend_below(ax, ncol=min(4, len(ids)))
    fig.tight_layout()
    return fig
