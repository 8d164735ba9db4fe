"""The share claims' package functions: definitions agree with the run spec, F7's item-only measure, no crash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.claims import share_evidence as se
from vsr_analysis.inputs.runspec import load_runspec, template_parameters
from vsr_analysis.stats.shares import weighted_share, wilson


def test_share_claim_definitions_match_the_run_spec():
    """Every claim the share template runs declares in claims.yml the outcome its parameter set names."""
    from vsr_analysis.claims.spec import load_claims

    spec = load_runspec()
    outcomes = se.share_claim_outcomes()
    checked = 0
    for claim in load_claims().claims:
        pset = spec.get(claim.parameter_set)
        params = {**template_parameters(pset.template), **pset.parameters}
        if "subset_item" not in params:  # not the share template
            continue
        checked += 1
        want = outcomes[claim.id]
        assert params["claim"] == claim.id
        assert params["item"] == want["item"]
        assert params["min_stage"] == want["min_stage"]
        assert params["subset_item"] == want["subset_item"]
    assert checked >= 2


def test_share_claim_outcomes_come_from_the_declaration(tmp_path):
    """A share claim's outcome is read from claims.yml: a changed declaration changes what is tested."""
    import yaml

    from vsr_analysis import paths
    from vsr_analysis.claims.spec import load_claims

    doc = yaml.safe_load(paths.claims_spec_path().read_text(encoding="utf-8"))
    f6 = next(c for c in doc["claims"] if c["id"] == "F6")
    f6["outcome"] = {"item": "maturity_stage", "min_stage": 2, "domain": "sdg_in_planning_strategy"}
    path = tmp_path / "claims.yml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    outcomes = se.share_claim_outcomes(load_claims(path))
    assert outcomes["F6"] == {"item": "maturity_stage", "min_stage": 2, "subset_item": "sdg_in_planning_strategy"}
    assert "F9" not in outcomes  # below its level: own evidence
    assert "F8" not in outcomes  # a ranking of the barriers, not one share against a level
    # F10 is one item against a level from above (policy coherence alone, no longer any of two items)
    assert outcomes["F10"] == {"item": "barrier_policy_coherence", "min_stage": None, "subset_item": None}


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
