"""Operating characteristics: per scenario x claim, how often each verdict comes out, and interval coverage.

From the per-seed records (one row per seed x claim) this computes, per scenario, claim and truth label (a share
claim's seeds are labelled by their own realised frame share, so one scenario can give a claim a "holds" row and
a "fails" row, each over its own seeds):

* ``supported``, ``not_supported``, ``inconclusive``: the share of seeds with each verdict of the ledger's rule
  (Holm-adjusted across the confirmatory claims of the run), with Monte Carlo standard errors
  ``sqrt(p (1 - p) / n_seeds)`` (``*_se``);
* ``supported_unadjusted``: the share *supported* at the unadjusted level (the rule on its own);
* ``coverage``: the share of seeds whose primary 95 % interval contains the true value of the estimand, where
  the scenario gives one (``n_coverage`` seeds), with its Monte Carlo SE;
* ``mean_estimate``, ``mean_true_value`` and ``errors`` (seeds whose analysis raised: counted inconclusive);
* ``supported_mar`` and ``coverage_mar`` (with ``*_se`` and ``n_coverage_mar``): the same for the interval
  under missing at random of a share claim on the municipalities (finite-population factor 1 - pi_i per unit),
  reported beside the interval the claim is decided on (``claims.yml``: ``analysis.variance``, the assumption-light
  one), NaN for the other claims.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

VERDICT_COLUMNS = {"supported": "supported", "not supported": "not_supported", "inconclusive": "inconclusive"}


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n) if n > 0 else float("nan")


def operating_characteristics(per_seed: pd.DataFrame) -> pd.DataFrame:
    rows = []
    claim_order = list(dict.fromkeys(per_seed["claim"]))
    for (scenario, claim, truth), g in per_seed.groupby(["scenario", "claim", "truth"], sort=False):
        n = len(g)
        row: dict = {"scenario": scenario, "claim": claim, "truth": truth, "n_seeds": n}
        for verdict, col in VERDICT_COLUMNS.items():
            p = float((g["verdict"] == verdict).mean())
            row[col] = p
            row[f"{col}_se"] = _se(p, n)
        p = float((g["verdict_unadjusted"] == "supported").mean())
        row["supported_unadjusted"] = p
        row["supported_unadjusted_se"] = _se(p, n)
        cov = g["covered"].dropna().astype(bool)
        row["n_coverage"] = int(len(cov))
        row["coverage"] = float(cov.mean()) if len(cov) else np.nan
        row["coverage_se"] = _se(row["coverage"], len(cov)) if len(cov) else np.nan
        est = pd.to_numeric(g["estimate"], errors="coerce")
        tv = pd.to_numeric(g["true_value"], errors="coerce")
        row["mean_estimate"] = float(est.mean()) if est.notna().any() else np.nan
        row["mean_true_value"] = float(tv.mean()) if tv.notna().any() else np.nan
        row["errors"] = int((g["error"].fillna("").astype(str) != "").sum())
        row.update(_mar(g))
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["_c"] = out["claim"].map({c: i for i, c in enumerate(claim_order)})
    out["_t"] = out["truth"].map({"holds": 0, "fails": 1}).fillna(2)
    return out.sort_values(["scenario", "_c", "_t"], kind="mergesort").drop(columns=["_c", "_t"]).reset_index(drop=True)


def _mar(g: pd.DataFrame) -> dict:
    """The columns of the interval under missing at random for one group: supported share and coverage over the seeds that
    have it (share claims on the municipalities; NaN elsewhere and in runs made before these columns existed)."""
    verdicts = g["verdict_mar"].dropna() if "verdict_mar" in g else pd.Series(dtype=object)
    verdicts = verdicts[verdicts.astype(str) != ""]
    cov = g["covered_mar"].dropna().astype(bool) if "covered_mar" in g else pd.Series(dtype=bool)
    p = float((verdicts == "supported").mean()) if len(verdicts) else np.nan
    c = float(cov.mean()) if len(cov) else np.nan
    return {
        "supported_mar": p,
        "supported_mar_se": _se(p, len(verdicts)) if len(verdicts) else np.nan,
        "n_coverage_mar": int(len(cov)),
        "coverage_mar": c,
        "coverage_mar_se": _se(c, len(cov)) if len(cov) else np.nan,
    }


def reading(row: pd.Series) -> str:
    """A plain-language sentence for one scenario x claim row, computed from its numbers."""
    claim, scenario = row["claim"], row["scenario"]
    n = int(row["n_seeds"])
    sup, nsup, inc = (100 * row[c] for c in ("supported", "not_supported", "inconclusive"))
    if row["truth"] == "holds":
        lead = (
            f"When {claim} is true (scenario {scenario}), its rule says *supported* in {sup:.0f} % of {n} simulations"
        )
        tail = f", *not supported* in {nsup:.0f} % and *inconclusive* in {inc:.0f} %."
    elif row["truth"] == "fails":
        lead = (
            f"When {claim} is false (scenario {scenario}), its rule says *not supported* in {nsup:.0f} % of {n} "
            f"simulations, *inconclusive* in {inc:.0f} %"
        )
        tail = f" and wrongly *supported* in {sup:.0f} % (± {100 * row['supported_se']:.1f} Monte Carlo SE)."
    else:
        lead = f"Scenario {scenario} does not state whether {claim} holds; {sup:.0f} % *supported*"
        tail = f", {nsup:.0f} % *not supported*, {inc:.0f} % *inconclusive* of {n} simulations."
    text = lead + tail
    if row.get("n_coverage", 0) and not pd.isna(row.get("coverage")):
        text += (
            f" Its 95 % interval covers the true value in {100 * row['coverage']:.0f} % of simulations "
            f"(± {100 * row['coverage_se']:.1f})."
        )
    return text


def read_table(path) -> pd.DataFrame:
    """Read an output CSV of ``vsr simulate``: only empty cells are missing (a scenario may be called "null")."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])
