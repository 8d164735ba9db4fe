"""vsr_analysis.stats.marginal_effects: one term's effect in the ordinal model, with OR, AME and TOST."""

from __future__ import annotations

import numpy as np
import pytest

from test_models import COVS, make_frame
from vsr_analysis.stats import marginal_effects as effects
from vsr_analysis.stats import ordinal_model as models
from vsr_analysis.stats.intervals import tost_from_estimate


@pytest.fixture(scope="module")
def frame():
    return make_frame(n=400, seed=3)


def test_term_effect_matches_fit(frame):
    eff = effects.ordinal_term_effect(
        frame,
        "network_member",
        [c for c in COVS if c != "network_member"],
        weights="weight",
        fixed_effects=["county_code"],
        cut=4,
        sesoi=0.2,
    )
    fit = models.fit_ordinal(
        frame,
        "maturity_stage",
        ["network_member"] + [c for c in COVS if c != "network_member"],
        weights="weight",
        fixed_effects=["county_code"],
    )
    row = fit.coef_table().set_index("term").loc["network_member"]
    assert eff.estimate == pytest.approx(row["estimate"])
    assert eff.p_value == pytest.approx(row["p_value"])
    assert eff.odds_ratio == pytest.approx(np.exp(row["estimate"]))
    assert eff.ame == pytest.approx(fit.ame(cut=4, terms=["network_member"])["estimate"].iloc[0])
    assert eff.equivalence_p == pytest.approx(tost_from_estimate(row["estimate"], row["se"], 0.2)["p_value"])
    assert eff.weighted and eff.n == fit.n
    assert eff.estimate > 0  # true effect 0.6
    row = eff.summary()
    assert row["term"] == "network_member" and "ame_p_ge_4" in row


def test_term_in_controls_is_ignored(frame):
    eff = effects.ordinal_term_effect(frame, "centrality", COVS)
    assert eff.fit.covariates.count("centrality") == 1
    assert not eff.weighted
