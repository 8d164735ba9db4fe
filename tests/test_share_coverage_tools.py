"""The coverage benchmark's vectorised propensity model equals the package's scikit-learn one (SIMULATED DATA)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_share_coverage as bench  # noqa: E402

from vsr_analysis.claims.share_evidence import frame_propensity  # noqa: E402
from vsr_analysis.data.analysis_frame import add_analysis_columns  # noqa: E402
from vsr_analysis.data.frame import build_frame  # noqa: E402
from vsr_analysis.data.register import load_register  # noqa: E402
from vsr_analysis.synth import replica  # noqa: E402


@pytest.mark.slow
def test_batched_propensity_equals_response_propensity():
    register = load_register()
    frames = [
        add_analysis_columns(build_frame(rows, register))
        for _, rows, _ in replica.simulate_with_frame("unequal-response", [3, 4], frame=register)
    ]
    resp = np.array([f["responded"].to_numpy(dtype=bool) for f in frames])
    batched = bench.batched_propensity(frames[0], resp)
    for i, f in enumerate(frames):
        assert np.max(np.abs(frame_propensity(f).prob.to_numpy() - batched[i])) < 1e-6


@pytest.mark.slow
def test_simulate_with_frame_matches_generate_and_the_benchmark_runs():
    register = load_register()
    ((seed, rows, complete),) = replica.simulate_with_frame("vsr-narrative", [5], frame=register)
    want, _ = replica.generate("vsr-narrative", 5, frame=register)
    assert rows.reset_index(drop=True).equals(want.reset_index(drop=True))
    assert len(complete) == len(register) and complete["responded"].sum() == (want["unit_type"] == "municipality").sum()
    table = bench.run(3, ["vsr-narrative"])
    # every share claim on the municipalities (F8 is a ranking of the barriers, not a share against a level)
    assert set(table["claim"]) == {"F2", "F6", "F7", "F9", "F10"} and (table["seeds"] == 3).all()
    assert set(table["variance"]) == {*bench.VARIANCES, "oracle", *(f"poisson_df{c}" for c in bench.DF_CONSTANTS)}
    assert table["coverage"].between(0, 1).all()


def test_fast_rake_equals_rake():
    from vsr_analysis.data.analysis_frame import RAKING_MARGINS
    from vsr_analysis.stats.raking import rake

    register = load_register()
    ((_, rows, _),) = replica.simulate_with_frame("unequal-response", [9], frame=register)
    base = add_analysis_columns(build_frame(rows, register))
    fast = bench._fast_rake(base)(base["responded"].to_numpy())
    slow = rake(base, "responded", list(RAKING_MARGINS)).fillna(0.0).to_numpy()
    assert np.max(np.abs(fast - slow)) < 1e-9


def test_df_constant_rows_rebuild_the_primary_interval():
    """The benchmark's poisson_df2/poisson_df3 rows re-derive the interval from the primary's df; with c = 1 they
    must give the primary interval back, and a larger c a narrower one (more degrees of freedom)."""
    from vsr_analysis.stats.calibration_variance import calibration_constraints, raked_design
    from vsr_analysis.stats.shares import calibrated_share_test

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"responded": np.r_[np.ones(120, bool), np.zeros(30, bool)]})
    frame["weight"] = np.where(frame["responded"], rng.uniform(0.5, 4.0, len(frame)), 0.0)
    design = raked_design(frame, [], rng.uniform(0.3, 0.9, len(frame)))
    y = (rng.uniform(size=120) < 0.85).astype(float)
    t = calibrated_share_test(y, design, 0.8)
    cap = design.n - calibration_constraints(design)
    assert t["df"] < cap
    assert bench._with_df_constant(t, 1, cap) == pytest.approx((t["ci_low"], t["ci_high"]), abs=1e-12)
    lo3, hi3 = bench._with_df_constant(t, 3, cap)
    assert t["ci_low"] < lo3 and hi3 < t["ci_high"]


def test_df_constant_summary_names_the_extreme_cells():
    from vsr_analysis.claims.share_evidence import df_constant_summary

    table = pd.DataFrame({
        "scenario": ["a", "b", "a", "b", "a"],
        "claim": ["F2", "F7", "F2", "F7", "F2"],
        "variance": ["poisson", "poisson", "poisson_df3", "poisson_df3", "oracle"],
        "coverage": [0.95, 0.96, 0.925, 0.94, 0.5],
    })  # fmt: skip
    out = df_constant_summary(table).set_index("degrees of freedom")
    assert list(out.index) == ["1/Σs² (the rule)", "3/Σs²"]  # no poisson_df2 rows, and the oracle is not a df row
    assert out.loc["3/Σs²", "cells in 0.93–0.97"] == 1
    assert out.loc["3/Σs²", "lowest at"] == "F2, a" and out.loc["3/Σs²", "lowest"] == 0.925
    assert out.loc["1/Σs² (the rule)", "highest at"] == "F7, b"
