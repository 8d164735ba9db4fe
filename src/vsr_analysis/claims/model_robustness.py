"""Robustness rows for the model-based claims: few-cluster variances and multiple imputation.

Every row re-estimates the claim's coefficient one way and reports estimate, SE, 95 % CI, p-value and the
pre-specified rule's decision at the unadjusted level; only the primary row enters the ledger.

* county-clustered: the primary fit with a county-clustered variance (CR1), the p-value from the wild cluster
  score bootstrap with Webb weights (``stats.cluster_robust``), because eleven counties are too few for the
  normal reference;
* linear model, CR2: a weighted linear model of the stage with county fixed effects, CR2 standard errors and
  Bell-McCaffrey (Satterthwaite) degrees of freedom — the small-cluster correction R's ``clubSandwich`` computes;
  on the stage scale, so its decision is only the sign and significance;
* multiple imputation: MICE by predictive mean matching (m completed data sets, ``stats.imputation``), the
  raking weights recomputed on each completed data set, Rubin's rules.  (The raking margins are register variables, so the
  recomputed weights equal the original ones today; the step is kept so that a margin taken from the survey
  would be handled correctly.)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from vsr_analysis.stats.cluster_robust import cr2_linear, rows_used, wild_score_bootstrap
from vsr_analysis.stats.fixed_effects import largest_level, with_reference
from vsr_analysis.stats.imputation import mice, rubin
from vsr_analysis.stats.ordinal_model import fit_ordinal

CLUSTER = "county_code"


def with_large_reference(respondents: pd.DataFrame, frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Respondents with the county column recoded so that the frame's largest county is the reference.

    Pre-specified fallback for a file without any respondent of that county: the next largest county of the
    frame (by its number of municipalities, ties by code) that has respondents."""
    ref = largest_level(frame, CLUSTER)
    present = set(respondents[CLUSTER].dropna().astype(str))
    if ref not in present and present:
        sizes = frame[CLUSTER].astype(str).value_counts()
        ref = sorted(present, key=lambda level: (-int(sizes.get(level, 0)), level))[0]
    return with_reference(respondents, CLUSTER, ref), ref


def _fit(data, terms, weights, fixed_effects):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_ordinal(data, "maturity_stage", list(terms), weights=weights, fixed_effects=fixed_effects)


def _row(label, term, estimate, se, low, high, p, n, note=""):
    return {"model": label, "term": term, "n": n, "estimate": estimate, "se": se, "ci_low": low,
            "ci_high": high, "p_value": p, "note": note}  # fmt: skip


def clustered_row(data: pd.DataFrame, fit, term: str, *, reps: int = 9999, seed: int = 0) -> dict:
    clusters = data.loc[rows_used(data, fit), CLUSTER]
    out = wild_score_bootstrap(fit, clusters, term, reps=reps, seed=seed)
    from scipy import stats

    q = stats.t.ppf(0.975, out["clusters"] - 1)
    return _row(
        f"county-clustered (CR1 SE, t({out['clusters'] - 1}) interval, wild cluster bootstrap p)",
        term, out["estimate"], out["se"], out["estimate"] - q * out["se"], out["estimate"] + q * out["se"],
        out["p_value"], fit.n, f"{out['clusters']} counties, {reps} Webb-weight draws",
    )  # fmt: skip


def cr2_row(data: pd.DataFrame, term: str, controls: Sequence[str], weights: str = "weight") -> dict:
    cols = ["maturity_stage", term, *controls, CLUSTER, weights]
    d = data[cols].dropna()
    d = d[pd.to_numeric(d[weights]) > 0]
    county = d[CLUSTER].astype(str)
    levels = sorted(county.unique())[1:]  # the first sorted level is the reference (see with_large_reference)
    X = np.column_stack(
        [np.ones(len(d)), d[[term, *controls]].to_numpy(float)] + [(county == lv).to_numpy(float) for lv in levels]
    )
    tab = cr2_linear(X, d["maturity_stage"].to_numpy(float), county, d[weights].to_numpy(float))
    r = tab.iloc[1]
    return _row(
        "linear model of the stage, county FE, CR2 + Bell–McCaffrey df",
        term, r["estimate"], r["se"], r["ci_low"], r["ci_high"], r["p_value"], len(d),
        f"stage points per unit; Satterthwaite df {r['df']:.1f}",
    )  # fmt: skip


def imputed_row(
    data: pd.DataFrame,
    frame: pd.DataFrame,
    term: str,
    controls: Sequence[str],
    fixed_effects: Sequence[str],
    *,
    m: int = 20,
    seed: int = 0,
    extra_terms: Sequence[str] = (),
) -> tuple[dict, dict]:
    """MICE (PMM, ``m`` data sets), weights re-raked on each completed set, Rubin's rules for ``term``.

    Returns the robustness row and, for ``extra_terms``, pooled results per term (a conjunction's components).
    """
    from vsr_analysis.stats.frame_weights import rake_by_rule

    columns = list(dict.fromkeys(["maturity_stage", term, *controls, *extra_terms]))
    respondents = data
    completed = mice(respondents, columns, m=m, seed=seed)
    pooled_terms = list(dict.fromkeys([term, *extra_terms]))
    est = {t: [] for t in pooled_terms}
    var = {t: [] for t in pooled_terms}
    for filled in completed:
        full = frame.copy()
        full["responded"] = full.index.isin(filled.index)
        filled = filled.assign(weight=rake_by_rule(full)[0].reindex(filled.index))
        fit = _fit(
            filled,
            [term, *[c for c in controls if c != term], *[t for t in extra_terms if t != term and t not in controls]],
            "weight",
            fixed_effects,
        )
        for t in pooled_terms:
            est[t].append(float(fit.params[t]))
            var[t].append(float(fit.cov.loc[t, t]))
    pooled = {t: rubin(est[t], var[t]) for t in pooled_terms}
    p = pooled[term]
    n_missing = int(data[columns].isna().any(axis=1).sum())
    row = _row(
        f"multiple imputation (MICE, PMM, m = {m}, re-raked, Rubin's rules)",
        term, p["estimate"], p["se"], p["ci_low"], p["ci_high"], p["p_value"], len(respondents),
        f"{n_missing} respondents with a missing item kept; fraction of missing information {p['fmi']:.2f}",
    )  # fmt: skip
    return row, pooled


def decide_rows(rows: list[dict], claim: dict, alpha: float, sesoi: float | None = None) -> pd.DataFrame:
    """The rule's decision for each row (unadjusted α); TOST from the row's estimate and SE when ``sesoi``."""
    from vsr_analysis.claims.ledger import decide
    from vsr_analysis.stats.intervals import tost_from_estimate

    out = []
    for r in rows:
        r = dict(r)
        if r.get("estimate") is None or not np.isfinite(r.get("se", np.nan)):
            r["decision"] = "not estimable"
        elif r["model"].startswith("linear model"):
            sig = r["p_value"] < alpha
            r["decision"] = ("positive" if r["estimate"] > 0 else "negative") + (
                " and significant" if sig else ", not significant"
            )
        else:
            eq = tost_from_estimate(r["estimate"], r["se"], sesoi, alpha)["p_value"] if sesoi else None
            ev = {"primary": {"estimate": r["estimate"], "p_value": r["p_value"]},
                  "rule_inputs": {"route_p_values": {"equivalence": eq}}}  # fmt: skip
            r["decision"] = decide(claim, ev, alpha, r["p_value"]).verdict
        out.append(r)
    return pd.DataFrame(out)
