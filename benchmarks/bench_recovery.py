"""Benchmark: parameter recovery of the ordinal model on the synthetic replica, over many seeds.

A script, not a test: ``.venv/bin/python benchmarks/bench_recovery.py [--seeds 200]`` generates the survey for
seeds 0..N-1 of each scenario, fits ``vsr_analysis.stats.ordinal_model.fit_ordinal`` on the responding municipalities (complete
cases) and prints, per coefficient: the truth, the mean estimate, bias, RMSE, mean standard error (HC0) against
the standard deviation of the estimates, and the coverage of the 95 % confidence interval with its Monte Carlo
standard error.

Two models are fitted:

* the **generating model** (all five covariates, ``log_population, centrality, merged_2017_2020,
  network_member, political_anchoring``): its coefficients are the truth in ``<file>.truth.json``; unit
  non-response depends only on register covariates in the model and item non-response is completely at random,
  so the estimates should be unbiased up to small-sample bias and the coverage nominal;
* the **primary model of who came furthest** (the four structural covariates, political anchoring left out): for information
  only. Its coefficients are *not* the structural truth: anchoring is correlated with size and network
  membership (omitted-variable bias), and leaving out an independent predictor from a logit model shrinks the
  others towards zero (non-collapsibility). Coverage is reported against the structural truth to show the size
  of that gap.

:func:`run` returns the tables for ``benchmarks/run_benchmarks.py``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from vsr_analysis.data.frame import build_frame
from vsr_analysis.data.register import load_register
from vsr_analysis.stats.ordinal_model import fit_ordinal
from vsr_analysis.synth import replica as synth


def _respondents(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    full = build_frame(rows, frame)
    full = full[full["responded"]].reset_index(drop=True)
    return pd.concat([full, synth.covariates(full)[["log_population", "centrality"]]], axis=1)


def recovery(
    scenario: str, seeds: int, covariates=synth.COVARIATES, frame: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict]:
    frame = load_register() if frame is None else frame
    sc = synth.load_scenario(scenario)
    est, se, cov = [], [], []
    truth = None
    n_used = []
    t0 = time.perf_counter()
    for seed in range(seeds):
        rows, truth = synth.generate(sc, seed, frame=frame)
        fit = fit_ordinal(_respondents(rows, frame), "maturity_stage", list(covariates))
        tab = synth.truth_vs_estimates(fit, truth, covariates)
        est.append(tab["estimate"].to_numpy())
        se.append(tab["se"].to_numpy())
        cov.append(tab["covered"].to_numpy())
        n_used.append(fit.n)
    elapsed = time.perf_counter() - t0
    est, se, cov = np.array(est), np.array(se), np.array(cov, dtype=float)
    beta = np.array([truth["coefficients"][c] for c in covariates])
    table = pd.DataFrame(
        {
            "term": list(covariates),
            "truth": beta,
            "mean_estimate": est.mean(axis=0),
            "bias": est.mean(axis=0) - beta,
            "rmse": np.sqrt(((est - beta) ** 2).mean(axis=0)),
            "mean_se": se.mean(axis=0),
            "sd_estimate": est.std(axis=0, ddof=1),
            "coverage_95": cov.mean(axis=0),
            "coverage_mcse": np.sqrt(cov.mean(axis=0) * (1 - cov.mean(axis=0)) / seeds),
        }
    )
    info = {
        "scenario": scenario,
        "seeds": seeds,
        "mean_n": float(np.mean(n_used)),
        "seconds": elapsed,
        "overall_coverage": float(cov.mean()),
        "overall_coverage_mcse": float(math.sqrt(cov.mean() * (1 - cov.mean()) / cov.size)),
    }
    return table, info


def run(seeds: int = 200) -> dict[str, tuple[pd.DataFrame, dict]]:
    frame = load_register()
    return {
        "vsr-narrative, generating model": recovery("vsr-narrative", seeds, frame=frame),
        "vsr-narrative, primary model of who came furthest (anchoring omitted; not the structural truth)": recovery(
            "vsr-narrative", seeds, synth.PRIMARY_COVARIATES, frame=frame
        ),
        "null, generating model": recovery("null", seeds, frame=frame),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="seeds per scenario (default 200)")
    args = parser.parse_args(argv)
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        for title, (table, info) in run(args.seeds).items():
            print(
                f"\n== {title}: {info['seeds']} seeds, mean n = {info['mean_n']:.1f} respondents, "
                f"{info['seconds']:.1f} s ({1000 * info['seconds'] / info['seeds']:.0f} ms per seed)"
            )
            print(table.to_string(index=False))
            print(
                f"overall 95 % CI coverage: {info['overall_coverage']:.3f} "
                f"(Monte Carlo SE {info['overall_coverage_mcse']:.3f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
