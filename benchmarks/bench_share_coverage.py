"""Benchmark: coverage of the primary 95 % intervals of every share claim of claims.yml over many replica seeds.

SIMULATED DATA.  A script, not a test: ``.venv/bin/python benchmarks/bench_share_coverage.py --seeds 1000``.
For each scenario and seed it generates the survey (:func:`vsr_analysis.synth.replica.simulate_with_frame`,
which also returns every frame municipality's complete answers), rakes the respondents to the frame's margins
exactly as the chapters do, estimates response propensities, and computes each share claim's interval three
ways: the primary (linearised raked share, response as Poisson sampling with factor 1 - pi_i, residual sum of
squares divided by n - q for q calibration constraints, Wilson interval at Korn & Graubard's degrees-of-freedom-
adjusted effective n with the design effect's df = 1 / sum s_i^2), without any finite-population factor, and with
the old global factor 1 - n/N (both as R ``survey`` computes them: n - 1, no degrees-of-freedom adjustment).
Rows ``poisson_df2`` and ``poisson_df3`` are the primary with df = 2 / sum s_i^2 and 3 / sum s_i^2, the range
the theory gives (:func:`vsr_analysis.stats.calibration_variance.design_effect_df` says why the primary takes 1).
Coverage = share of seeds whose interval contains the *frame's* true share (all 356 municipalities, before unit
and item non-response).

A fourth row, ``oracle``, is a diagnosis, not a method the chapters could use: the Hajek estimator weighted by
the scenario's *true* response probabilities (known only in a simulation), with the Poisson-sampling variance
sum (1 - pi_i) (y_i - p)^2 / pi_i^2 / N^2 and a Wald interval.  Where even it misses 0.93-0.97, the failure lies in
how little the respondents say about the frame (probabilities near 0 give a few respondents huge weights and a
skewed estimator), not in the variance formula of the raked estimator.

Speed: the benchmark fits the propensity model for all seeds of a chunk at once (:func:`batched_propensity`:
:func:`vsr_analysis.stats.penalised_logit.cross_validated_logit` with one outcome row per seed, folds from the
same ``StratifiedKFold``); tests/test_share_coverage_tools.py checks it against
:func:`vsr_analysis.stats.propensity.response_propensity`.

Writes ``benchmarks/output/share_coverage.csv`` (one row per scenario x claim x variance) unless ``--no-save``.
The scenarios in which response depends on the maturity stage itself are left out (see ``SCENARIOS``).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import StratifiedKFold

from vsr_analysis.claims.coherence_evidence import ITEMS as STATE_BARRIER_ITEMS
from vsr_analysis.claims.ledger import load_claims_spec
from vsr_analysis.claims.share_evidence import (
    PROPENSITY_COVARIATES,
    PROPENSITY_FIXED_EFFECTS,
    domain_mask,
    observed_mask,
    outcome,
    share_claim_outcomes,
)
from vsr_analysis.claims.spec import cached_claims
from vsr_analysis.data.analysis_frame import RAKING_MARGINS, add_analysis_columns
from vsr_analysis.data.frame import build_frame
from vsr_analysis.data.register import load_register
from vsr_analysis.stats.calibration_variance import calibration_constraints, raked_design
from vsr_analysis.stats.descriptives import as_float
from vsr_analysis.stats.penalised_logit import cross_validated_logit
from vsr_analysis.stats.propensity import PENALTY_GRID, _design_matrix
from vsr_analysis.stats.raking import ipf, rake
from vsr_analysis.stats.shares import calibrated_share_test, wilson
from vsr_analysis.synth import replica
from vsr_analysis.synth.model import response_stage_coefficient

#: the share claims as claims.yml declares them (claim id -> item, min_stage, subset_item)
SHARE_CLAIMS = share_claim_outcomes()
OUT = Path(__file__).resolve().parent / "output" / "share_coverage.csv"
#: the scenarios whose response depends on the register alone (missing at random given it), the assumption under
#: which the variance formula is checked here; in the not-at-random ones (``response.maturity_stage``) a unit's true
#: response probability depends on its realised stage, so the oracle row would not be one (their coverage is shown
#: by the operating-characteristics chapter, from ``vsr simulate``)
SCENARIOS = tuple(s for s in replica.available_scenarios() if not response_stage_coefficient(replica.load_scenario(s)))
VARIANCES = ("poisson", "with_replacement", "global_fpc")
#: The design effect's degrees of freedom are c / sum s_i^2 with c between 2 and 3 in theory; the primary takes
#: c = 1 (stats.calibration_variance.design_effect_df).  Rows ``poisson_df2`` and ``poisson_df3`` show the others.
DF_CONSTANTS = (2, 3)

#: The share claims tested from below (``rule: share_below`` in claims.yml) use the same calibrated test on the
#: complement, which does not change the interval's coverage: their outcome as a function of a frame of answers.
#: (The coherence share, a claim on one item tested from above, is one of SHARE_CLAIMS.)
EXTRA_OUTCOMES = {
    c.id: (lambda item: lambda d: as_float(d[item]))(c.outcome.item)
    for c in cached_claims().of_kind("share_vs_threshold", units="municipalities")
    if c.rule == "share_below" and c.outcome.item and not c.outcome.any_of and not c.population.subgroup
}


def batched_propensity(frame: pd.DataFrame, responded: np.ndarray, seed_of_folds: int = 0) -> np.ndarray:
    """Response propensities (S, n) for S response patterns, by the same method as ``response_propensity``.

    ``responded`` is (S, n) boolean.  For each pattern: stratified 5-fold cross-validation (folds as in
    ``response_propensity``) over :data:`PENALTY_GRID` by mean held-out log-loss, then a refit on all units.
    """
    X = _design_matrix(frame, PROPENSITY_COVARIATES, PROPENSITY_FIXED_EFFECTS)
    Y = responded.astype(float)
    S, n = Y.shape
    folds = 5
    test_masks = np.zeros((folds, S, n), dtype=bool)
    for s in range(S):
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed_of_folds)
        for k, (_, test) in enumerate(cv.split(X, Y[s].astype(int))):
            test_masks[k, s, test] = True
    return cross_validated_logit(X, Y, test_masks, PENALTY_GRID).prob


def _fast_rake(base: pd.DataFrame):
    """Raking with the frame's cell ids computed once (same IPF as ``raking.rake``; ``raking.ipf``)."""
    ids, targets = [], []
    for m in RAKING_MARGINS:
        codes, uniques = pd.factorize(base[m], sort=True)
        ids.append(codes)
        targets.append(np.bincount(codes, minlength=len(uniques)).astype(float))

    def weights(responded: np.ndarray) -> np.ndarray:
        for cid, tgt in zip(ids, targets):
            if np.any((np.bincount(cid[responded], minlength=tgt.size) == 0) & (tgt > 0)):
                return rake(base.assign(responded=responded), "responded", list(RAKING_MARGINS)).fillna(0.0).to_numpy()
        w, _, _ = ipf([c[responded] for c in ids], targets, np.ones(int(responded.sum())), 200, 1e-10)
        out = np.zeros(len(base))
        out[responded] = w
        return out

    return weights


def _summarise(records: list[dict]) -> pd.DataFrame:
    raw = pd.DataFrame(records)
    table = (
        raw.groupby(["scenario", "claim", "variance"], sort=False)
        .agg(seeds=("covered", "size"), coverage=("covered", "mean"), mean_width=("width", "mean"),
             bias=("error", "mean"), rmse=("error", lambda e: float(np.sqrt(np.mean(np.square(e))))))
        .reset_index()
    )  # fmt: skip
    table["mc_se"] = np.sqrt(table["coverage"] * (1 - table["coverage"]) / table["seeds"])
    return table


def run(seeds: int = 1000, scenarios=SCENARIOS, chunk: int = 100, start: int = 0, save=None) -> pd.DataFrame:
    """Coverage table over seeds ``start .. start + seeds - 1``; with ``save`` (a path) the table so far is
    written after every ``chunk`` seeds, so an interrupted run leaves what it finished."""
    spec = load_claims_spec()
    claims = [*SHARE_CLAIMS, *(c for c in EXTRA_OUTCOMES if c not in SHARE_CLAIMS)]
    thresholds = {c["id"]: float(c["rule_parameters"]["threshold"]) for c in spec["claims"] if c["id"] in claims}
    register = load_register()
    items = sorted(
        {d["item"] for d in SHARE_CLAIMS.values()}
        | {d["subset_item"] for d in SHARE_CLAIMS.values()} - {None}
        | {"measures_progress", *STATE_BARRIER_ITEMS}
    )
    records: list[dict] = []
    for scenario in scenarios:
        t0 = time.perf_counter()
        base = None
        # the scenario's true response probabilities, in the register's knr order (the oracle row)
        true_pi = replica.response_probabilities(scenario, register)
        for lo in range(start, start + seeds, chunk):
            sims = list(
                replica.simulate_with_frame(scenario, range(lo, min(lo + chunk, start + seeds)), frame=register)
            )
            if base is None:
                base = add_analysis_columns(build_frame(sims[0][1], register)).drop(
                    columns=items
                )  # register, frame order
                weights_of = _fast_rake(base)
            frames, truths = [], []
            for _, rows, complete in sims:
                muni = rows[rows["unit_type"].astype(str) == "municipality"].set_index("knr")
                fr = base.copy()
                fr["responded"] = fr["knr"].isin(muni.index).to_numpy()
                for item in items:
                    fr[item] = muni[item].reindex(fr["knr"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
                fr["weight"] = weights_of(fr["responded"].to_numpy())
                frames.append(fr)
                truths.append(complete)
            resp = np.array([fr["responded"].to_numpy(dtype=bool) for fr in frames])
            props = batched_propensity(base, resp)
            for fr, complete, pi in zip(frames, truths, props):
                design = raked_design(fr, list(RAKING_MARGINS), pi)
                cap = design.n - calibration_constraints(design)
                r = fr[fr["responded"]]
                pi_r = true_pi.reindex(r["knr"].astype(str).to_numpy()).to_numpy()
                for claim in claims:
                    d = SHARE_CLAIMS.get(claim)
                    if d is None:  # a share tested from below: over the whole frame
                        y_true, dom_true = EXTRA_OUTCOMES[claim](complete), np.ones(len(complete), bool)
                        y, dom = EXTRA_OUTCOMES[claim](r), np.ones(len(r), bool)
                        seen = np.isfinite(y)
                    else:
                        y_true = outcome(complete, d["item"], d["min_stage"])
                        dom_true = domain_mask(complete, d["subset_item"])
                        y = outcome(r, d["item"], d["min_stage"])
                        dom = domain_mask(r, d["subset_item"])
                        seen = observed_mask(r, y, d["subset_item"])
                    ok_true = dom_true & np.isfinite(y_true)
                    truth = float(np.mean(y_true[ok_true])) if ok_true.any() else math.nan
                    for variance in VARIANCES:
                        t = calibrated_share_test(y, design, thresholds[claim], dom, variance=variance, observed=seen)
                        records.append(
                            _record(scenario, claim, variance, t["estimate"], t["ci_low"], t["ci_high"], truth)
                        )
                        if variance == "poisson":
                            for c in DF_CONSTANTS:
                                lo_c, hi_c = _with_df_constant(t, c, cap)
                                records.append(
                                    _record(scenario, claim, f"poisson_df{c}", t["estimate"], lo_c, hi_c, truth)
                                )
                    est, lo_, hi_ = _oracle_interval(y, dom, pi_r, float(seen.mean()) if seen.size else 1.0)
                    records.append(_record(scenario, claim, "oracle", est, lo_, hi_, truth))
            if save is not None:
                _write(_summarise(records), save)
            print(f"{scenario}: seeds {start}..{min(lo + chunk, start + seeds) - 1} done, "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
    return _summarise(records)


def _record(scenario, claim, variance, estimate, low, high, truth) -> dict:
    return {
        "scenario": scenario,
        "claim": claim,
        "variance": variance,
        "covered": low is not None and low <= truth <= high,
        "width": (high - low) if low is not None else math.nan,
        "error": (estimate - truth) if estimate is not None else math.nan,
    }


def _with_df_constant(primary: dict, c: float, cap: float):
    """The primary interval with the design effect's degrees of freedom c / sum s_i^2 instead of 1 / sum s_i^2."""
    df, n_star, p = primary.get("df"), primary.get("n_eff"), primary.get("estimate")
    if df is None or p is None or n_star is None or not math.isfinite(n_star):
        return primary["ci_low"], primary["ci_high"]
    df_c = cap if df >= cap else min(cap, c * df)
    n_c = n_star * (stats.t.ppf(0.975, df) / stats.t.ppf(0.975, df_c)) ** 2
    iv = wilson(p * n_c, n_c)
    return float(iv.low), float(iv.high)


def _oracle_interval(y: np.ndarray, domain: np.ndarray, pi: np.ndarray, rho: float):
    """Hajek share weighted by the true response probabilities, Poisson-sampling variance, Wald 95 % interval.

    Item non-response is a further phase with the observed item-response rate ``rho`` (as in the primary)."""
    d = domain & np.isfinite(y)
    if not d.any():
        return None, None, None
    w = 1.0 / pi
    nd = float(w[d].sum())
    p = float((w[d] * y[d]).sum() / nd)
    u = w[d] * (y[d] - p) / nd
    se = math.sqrt(float(np.sum((1.0 - pi[d] * rho) * u**2)))
    return p, p - 1.959964 * se, p + 1.959964 * se


def _write(table: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    table.to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")
    tmp.replace(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    table = run(args.seeds, args.scenarios, save=None if args.no_save else args.out)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    primary = table[table["variance"] == "poisson"]
    inside = primary["coverage"].between(0.93, 0.97)
    print(f"primary intervals with coverage in 0.93-0.97: {int(inside.sum())} of {len(primary)}")
    if not args.no_save:
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
