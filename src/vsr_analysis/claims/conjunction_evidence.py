"""A conjunction of group comparisons: one-sided component tests, the intersection-union p-value, and their evidence.

"Recently merged, large, central and network-oriented municipalities have come further" claims four things, each
about a *group*: the merged, the large, the central, the network-oriented have come further than the others.
That is a marginal comparison, so each component is tested on its own characteristic alone
(:func:`marginal_component_tests`: one weighted proportional-odds model per characteristic, HC0, no county fixed
effects): a one-sided Wald test, an equivalence test (TOST) against the smallest effect of interest, and its own
ledger entry (its ``part_of`` claims). The conjunction is supported only when all four are: by the intersection-union principle
(Berger 1982) its p-value is the *largest* of the four one-sided p-values, with no further adjustment. The "not
supported" routes (a component significantly negative, or shown negligible) are a union over the four
components, so their p-values are Bonferroni-multiplied by four.

The joint model (all four together, county fixed effects) answers another question, which characteristic
matters beyond the others; chapters show it as an explanation (:func:`component_tests` on its coefficients),
never as the verdict.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vsr_analysis.stats.intervals import tost_from_estimate
from vsr_analysis.stats.ordinal_model import fit_ordinal


def component_ids() -> dict[str, str]:
    """Ledger ids of the conjunctions' component claims, by model term: every claim of ``claims.yml`` whose analysis
    names the conjunction it is ``part_of`` and its ``term``."""
    from vsr_analysis.claims.spec import cached_claims

    return {
        c.analysis.parameters["term"]: c.id
        for c in cached_claims().claims
        if c.analysis.parameters.get("part_of") and "term" in c.analysis.parameters
    }


#: What the group-comparison conjunction's evidence says its tests are (the chapter and ``vsr simulate`` record the same words).
IUT_METHOD = (
    "intersection-union test: largest of four one-sided Wald p-values (HC0), each characteristic alone in a "
    "weighted proportional-odds model of maturity_stage (no county fixed effects)"
)
PART_METHOD = (
    "one-sided Wald test (HC0) of {term} > 0, {term} alone in a weighted proportional-odds model of "
    "maturity_stage (no county fixed effects)"
)


def component_tests(
    estimates: pd.Series, ses: pd.Series, terms: Sequence[str], sesoi: float, alpha: float
) -> pd.DataFrame:
    """One row per term: estimate, SE, 95 % CI, one-sided p (greater / less), TOST p."""
    rows, ids = [], component_ids()
    for t in terms:
        b, se = float(estimates[t]), float(ses[t])
        z = b / se
        rows.append(
            {
                "term": t,
                "claim": ids.get(t, t),
                "estimate": b,
                "se": se,
                "ci_low": b - 1.959963984540054 * se,
                "ci_high": b + 1.959963984540054 * se,
                "p_greater": float(stats.norm.sf(z)),
                "p_less": float(stats.norm.cdf(z)),
                "p_equivalence": float(tost_from_estimate(b, se, sesoi, alpha)["p_value"]),
            }
        )
    return pd.DataFrame(rows)


def marginal_component_tests(
    data: pd.DataFrame,
    terms: Sequence[str],
    *,
    sesoi: float,
    alpha: float,
    weights: str | None = "weight",
    fixed_effects: Sequence[str] = (),
    outcome: str = "maturity_stage",
) -> pd.DataFrame:
    """The group-comparison conjunction's primary tests: each characteristic alone in a weighted proportional-odds model of ``outcome``.

    One :func:`~vsr_analysis.stats.ordinal_model.fit_ordinal` per term (HC0; ``fixed_effects`` empty for the
    marginal comparison the finding states), each on the units with an outcome and that term; the table of
    :func:`component_tests` with the number of units of each fit in ``n``.
    """
    tables = []
    for t in terms:
        fit = fit_ordinal(data, outcome, [t], weights=weights, fixed_effects=list(fixed_effects) or None)
        tables.append(component_tests(fit.params, fit.bse, [t], sesoi, alpha).assign(n=int(fit.n)))
    return pd.concat(tables, ignore_index=True)


def conjunction_evidence(table: pd.DataFrame, n: int, method: str, *, part_method: str | None = None) -> dict:
    """The evidence a conjunction records: primary (intersection-union p), rule inputs with routes, and one part per component.

    A per-component ``n`` column (:func:`marginal_component_tests`) gives each part its own n; ``n`` is the
    conjunction's.  ``part_method`` describes one component's test (``{term}`` is filled in).
    """
    k = len(table)
    part_method = part_method or "one-sided Wald test (HC0) of {term} > 0 in the conjunction's model"
    components = {r.term: {"estimate": r.estimate, "p_value": r.p_greater} for r in table.itertuples()}
    routes = {}
    parts = {}
    for r in table.itertuples():
        routes[f"opposite:{r.term}"] = min(1.0, k * r.p_less)
        routes[f"equivalence:{r.term}"] = min(1.0, k * r.p_equivalence)
        parts[r.term] = {
            "claim": r.claim,
            "primary": {
                "method": part_method.format(term=r.term),
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "p_value": r.p_greater,
            },
            "n": int(getattr(r, "n", n)),
            "rule_inputs": {"route_p_values": {"opposite": r.p_less, "equivalence": r.p_equivalence}},
        }
    worst = table.loc[table["p_greater"].idxmax()]
    primary = {
        "method": method,
        "estimate": float(worst["estimate"]),
        "ci_low": None,
        "ci_high": None,
        "p_value": float(table["p_greater"].max()),
        "weakest_component": str(worst["term"]),
    }
    return {"primary": primary, "rule_inputs": {"components": components, "route_p_values": routes}, "parts": parts}


def characteristics_evidence(
    data: pd.DataFrame,
    terms: Sequence[str],
    *,
    sesoi: float,
    alpha: float,
    weights: str | None = "weight",
    fixed_effects: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict]:
    """The group-comparison conjunction's primary analysis: the four marginal component tests and the evidence the ledger reads.

    Returns the component table (:func:`marginal_component_tests`) and the evidence (``primary``,
    ``rule_inputs``, ``parts``, ``n``); ``n`` is the smallest number of units in a component's fit.
    """
    table = marginal_component_tests(
        data, terms, sesoi=sesoi, alpha=alpha, weights=weights, fixed_effects=fixed_effects
    )
    n = int(table["n"].min())
    method = IUT_METHOD if not fixed_effects else IUT_METHOD.replace("no county", "with " + ", ".join(fixed_effects))
    part = PART_METHOD if not fixed_effects else PART_METHOD.replace("no county", "with " + ", ".join(fixed_effects))
    return table, {**conjunction_evidence(table, n, method, part_method=part), "n": n}


def marginal_ames(
    data: pd.DataFrame,
    terms: Sequence[str],
    cut,
    *,
    weights: str | None = "weight",
    fixed_effects: Sequence[str] = (),
) -> pd.DataFrame:
    """Each characteristic alone (as in :func:`marginal_component_tests`): its average marginal effect on
    P(stage >= ``cut``), one row per term."""
    tables = []
    for t in terms:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_ordinal(data, "maturity_stage", [t], weights=weights, fixed_effects=list(fixed_effects) or None)
        tables.append(fit.ame(cut, [t]))
    return pd.concat(tables, ignore_index=True)


def collinearity(data: pd.DataFrame, terms: Sequence[str], weights: str | None = "weight") -> dict:
    """Weighted correlation of log population and centrality, and each term's variance inflation factor."""
    d = data[[*terms, *([weights] if weights else [])]].dropna()
    w = d[weights].to_numpy(float) if weights else np.ones(len(d))
    X = d[list(terms)].to_numpy(float)
    mean = np.average(X, axis=0, weights=w)
    C = np.cov((X - mean).T, aweights=w)
    corr = C / np.sqrt(np.outer(np.diag(C), np.diag(C)))
    vif = np.diag(np.linalg.inv(corr))
    idx = {t: i for i, t in enumerate(terms)}
    r = float(corr[idx["log_population"], idx["centrality"]]) if {"log_population", "centrality"} <= set(idx) else None
    return {"r_size_centrality": r, "vif": dict(zip(terms, vif.tolist())), "n": len(d)}


def forest(ax, tables: dict[str, pd.DataFrame], labels: dict[str, str], palette) -> None:
    """Coefficients with 95 % intervals, one marker per table (e.g. joint model / each alone)."""
    terms = list(next(iter(tables.values()))["term"])
    ypos = np.arange(len(terms))[::-1]
    offsets = np.linspace(-0.15, 0.15, len(tables))
    for (name, tab), off, color in zip(tables.items(), offsets, palette):
        t = tab.set_index("term").loc[terms]
        err = np.vstack([t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]])
        ax.errorbar(t["estimate"], ypos + off, xerr=err, fmt="o", capsize=3, color=color, label=name)
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(ypos)
    ax.set_yticklabels([labels.get(t, t) for t in terms])
    ax.set_xlabel("Coefficient (log-odds of a higher stage), 95 % CI")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(tables), frameon=False)


def component_robustness(
    data: pd.DataFrame,
    frame: pd.DataFrame,
    fit,
    terms: Sequence[str],
    fixed_effects: Sequence[str],
    *,
    alpha: float,
    m: int = 20,
    reps: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """Each component under the three robustness variants of ``model_robustness``, with its one-sided p.

    ``supported at α`` is the component's one-sided test at the unadjusted level (for the linear model: the sign
    and significance of the stage-scale coefficient).
    """
    from vsr_analysis.claims.model_robustness import clustered_row, cr2_row, imputed_row

    rows = []
    for t in terms:
        others = [o for o in terms if o != t]
        rows.append(clustered_row(data, fit, t, reps=reps, seed=seed))
        rows.append(cr2_row(data, t, others))
    _, pooled = imputed_row(data, frame, terms[0], terms[1:], fixed_effects, m=m, seed=seed, extra_terms=terms)
    for t in terms:
        p = pooled[t]
        rows.append(
            {"model": f"multiple imputation (MICE, PMM, m = {m}, re-raked, Rubin's rules)", "term": t,
             "n": len(data), "estimate": p["estimate"], "se": p["se"], "ci_low": p["ci_low"],
             "ci_high": p["ci_high"], "p_value": p["p_value"], "note": f"fraction of missing information {p['fmi']:.2f}"}
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out["p_one_sided"] = np.where(out["estimate"] > 0, out["p_value"] / 2, 1 - out["p_value"] / 2)
    out["supported at α"] = out["p_one_sided"] < alpha
    return out.sort_values(["term", "model"], kind="stable").reset_index(drop=True)
