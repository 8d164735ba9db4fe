"""A generated replica against what it should be: the scenario's targets and the true coefficients.

:func:`marginal_statistics` (shares among responding municipalities), :func:`targets_table` (each stated target
against the model's expected and the file's realised value, with a sampling margin) and
:func:`truth_vs_estimates` (a fitted ordinal model's coefficients next to the true ones).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from vsr_analysis.synth.model import ScenarioModel, register_frame
from vsr_analysis.synth.scenario import COVARIATES, SHARE_STATISTICS, load_scenario


def marginal_statistics(survey: pd.DataFrame) -> dict[str, tuple[float | None, int]]:
    """Shares among responding *municipalities* (non-missing answers): name -> (estimate, n)."""
    m = survey[survey["unit_type"].astype(str) == "municipality"] if "unit_type" in survey else survey
    out: dict[str, tuple[float | None, int]] = {}
    for name, (col, fn) in SHARE_STATISTICS.items():
        if col not in m:
            continue
        values = m[col].dropna().astype(int).to_numpy()
        out[name] = (float(fn(values).mean()) if len(values) else None, int(len(values)))
    return out


def targets_table(
    scenario: str | dict, rows: pd.DataFrame, truth: dict, frame: pd.DataFrame | None = None, alpha: float = 0.01
) -> pd.DataFrame:
    """The scenario's targets against one generated file.

    For each target: the stated range (``low``-``high``; ``min``/``max`` for counts), the model's ``expected``
    value, the ``realised`` value in ``rows`` and its ``n``, and ``margin``: the sampling margin
    ``z * SE`` with the binomial SE ``sqrt(p (1 - p) / n)`` at the nearest point of the target range (for counts
    the Poisson-binomial SD of the count from the model).  ``z`` is two-sided with a Bonferroni split of
    ``alpha`` over the targets.  ``within`` = the realised value lies in the range widened by the margin;
    ``expected_within`` = the model's expected value lies in the (unwidened) range, a calibration check.
    """
    from scipy.stats import norm

    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    fr = register_frame(frame)
    model = ScenarioModel(sc, fr)
    targets = sc["targets"]
    z = float(norm.ppf(1 - alpha / (2 * len(targets))))
    stats = marginal_statistics(rows)
    muni = rows[rows["unit_type"].astype(str) == "municipality"]
    pop = dict(zip(fr["knr"], model.population))
    out = []
    for name, t in targets.items():
        kind = t["kind"]
        rec: dict[str, Any] = {"target": name, "kind": kind, "statistic": t.get("statistic", kind)}
        if kind in ("share", "response_rate"):
            if kind == "share":
                realised, n = stats[t["statistic"]]
                expected = truth["expected_marginals"]["respondents"][t["statistic"]]
            else:
                rm = truth["response_model"]
                realised, n, expected = rm["realised_rate"], rm["n_frame"], rm["expected_rate"]
            p_star = min(max(realised, t["low"]), t["high"])
            margin = z * math.sqrt(p_star * (1 - p_star) / n) if n else float("inf")
            rec.update(
                low=t["low"],
                high=t["high"],
                expected=expected,
                realised=realised,
                n=n,
                margin=margin,
                within=t["low"] - margin <= realised <= t["high"] + margin,
                expected_within=t["low"] <= expected <= t["high"],
            )
        else:
            below = model.median_population if t["population_below"] == "median" else t["population_below"]
            mask = model.population < below
            p_top = model.respond_at_top(t["min_stage"])
            expected = float(p_top[mask].sum())
            sd = float(math.sqrt((p_top * (1 - p_top))[mask].sum()))
            stage = muni["maturity_stage"]
            realised = int(
                sum(
                    1
                    for k, st in zip(muni["knr"], stage)
                    if not pd.isna(st) and int(st) >= t["min_stage"] and pop[str(k)] < below
                )
            )
            lo, hi = t.get("min"), t.get("max")
            margin = z * sd
            ok = (lo is None or realised >= lo - margin) and (hi is None or realised <= hi + margin)
            rec.update(
                low=lo,
                high=hi,
                expected=round(expected, 6),
                realised=realised,
                n=int(mask.sum()),
                margin=margin,
                within=bool(ok),
                expected_within=(lo is None or expected >= lo) and (hi is None or expected <= hi),
            )
        rec["reason"] = " ".join(t["reason"].split())
        rec["sources"] = ", ".join(t["sources"])
        out.append(rec)
    return pd.DataFrame(out)


def truth_vs_estimates(fit: Any, truth: dict, terms: Sequence[str] | None = None) -> pd.DataFrame:
    """A fitted ordinal model's coefficients next to the true ones: term, truth, estimate, se, CI, covered."""
    table = fit.coef_table().set_index("term")
    terms = [t for t in (terms or COVARIATES) if t in table.index]
    rows = []
    for term in terms:
        true = truth["coefficients"][term]
        r = table.loc[term]
        rows.append(
            {
                "term": term,
                "truth": true,
                "estimate": float(r["estimate"]),
                "se": float(r["se"]),
                "ci_low": float(r["ci_low"]),
                "ci_high": float(r["ci_high"]),
                "covered": bool(r["ci_low"] <= true <= r["ci_high"]),
            }
        )
    return pd.DataFrame(rows)
