"""The coverage benchmark's vectorised propensity model equals the package's scikit-learn one (SIMULATED DATA)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
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
    assert set(table["claim"]) == {"F2", "F6", "F7", "F8", "F9", "F10"} and (table["seeds"] == 3).all()
    assert set(table["variance"]) == {*bench.VARIANCES, "oracle"}
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
