"""Response-propensity weights recover a known response mechanism."""

import numpy as np
import pandas as pd

from vsr_analysis.stats.propensity import compare_weights, propensity_weights


def _frame(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(0.5 + 1.0 * x)))
    return pd.DataFrame({"x": x, "responded": rng.uniform(size=n) < p, "true_p": p})


def test_weights_sum_to_the_frame_and_track_the_true_propensity():
    frame = _frame()
    w, p = propensity_weights(frame, "responded", ["x"])
    assert w[~frame["responded"]].isna().all()
    assert np.isclose(w.sum(), len(frame))
    assert np.corrcoef(p, frame["true_p"])[0, 1] > 0.99


def test_weighting_removes_the_response_bias_in_a_mean():
    frame = _frame()
    w, _ = propensity_weights(frame, "responded", ["x"])
    resp = frame[frame["responded"]]
    naive = resp["x"].mean()
    weighted = np.average(resp["x"], weights=w[frame["responded"]])
    assert abs(weighted - frame["x"].mean()) < abs(naive - frame["x"].mean()) / 3


def test_compare_weights():
    a = pd.Series([1.0, 2.0, np.nan, 4.0])
    out = compare_weights(a, a * 2)
    assert out["correlation"] == 1.0 and out["ratio_min"] == 0.5 == out["ratio_max"] and out["n"] == 3
