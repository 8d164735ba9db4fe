"""The share claims' package functions: definitions agree with the run spec, F7's item-only measure, no crash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.build.runspec import load_runspec, template_parameters
from vsr_analysis.claims import share_evidence as se
from vsr_analysis.stats.shares import weighted_share, wilson


def test_share_claim_definitions_match_the_run_spec():
    spec = load_runspec()
    for name, claim in (("f6-master-plan", "F6"), ("f7-operationalised", "F7")):
        pset = spec.get(name)
        params = {**template_parameters(pset.template), **pset.parameters}
        want = se.SHARE_CLAIMS[claim]
        assert params["claim"] == claim
        assert params["item"] == want["item"]
        assert params["min_stage"] == want["min_stage"]
        assert params["subset_item"] == want["subset_item"]


def test_items_without_management_needs_both_stage3_items():
    d = pd.DataFrame(
        {"sdg_in_planning_strategy": [1, 1, 0, None, None, 1], "sdg_in_master_plan": [1, 0, 1, 0, None, None]}
    )
    out = se.items_without_management(d)
    assert out[:4].tolist() == [1.0, 0.0, 0.0, 0.0]  # one absent item is enough to say no
    assert np.isnan(out[4]) and np.isnan(out[5])  # unknown when an item is missing and none is absent


def test_wilson_tolerates_a_rounding_error_above_n():
    # the weighted share of an all-yes domain can come out a hair above 1 (w.x and sum w summed differently);
    # this raised "need 0 <= k <= n" on a valid file with 302 respondents
    n = 40.0
    iv = wilson(n * (1 + 1e-15), n)
    assert iv.estimate == 1.0 and iv.high == 1.0
    rng = np.random.default_rng(3)
    for _ in range(200):
        w = rng.lognormal(0, 1, 37)
        ws = weighted_share(np.ones(37), w, population_size=60)
        assert ws.estimate <= 1.0 and abs(ws.estimate - 1.0) < 1e-12 and 0 < ws.low <= 1.0
