"""F5 on what the instrument measures: the kinds of network and cooperation with the county authority."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.claims import network_evidence as nets
from vsr_analysis.claims.ledger import decide, load_claims_spec

CONTROLS = ["log_population", "centrality", "merged_2017_2020"]


@pytest.fixture(scope="module")
def resp():
    from vsr_analysis.claims.model_robustness import with_large_reference
    from vsr_analysis.loading import load_frame

    data = load_frame("synthetic:vsr-narrative:2021")
    return with_large_reference(data.respondents, data.frame)[0]


def test_network_kinds_count_the_kinds_of_a_member_and_zero_for_a_non_member():
    df = pd.DataFrame(
        {
            "network_member": [0, 1, 1, 1, np.nan, 0],
            "network_ks": [0, 1, 0, 1, np.nan, np.nan],
            "network_regional": [0, 1, 1, np.nan, np.nan, np.nan],
            "network_international": [0, 1, 0, 0, np.nan, np.nan],
        }
    )
    kinds = nets.with_network_kinds(df)["network_kinds"].tolist()
    assert kinds[:3] == [0, 3, 1]
    assert np.isnan(kinds[3]) and np.isnan(kinds[4])  # a member with a kind unanswered; membership unknown
    assert kinds[5] == 0  # a non-member has no kind, whatever the (skipped) kind items say


def test_f5_parts_match_statsmodels_and_are_not_f3d(resp):
    """Reference values from statsmodels 0.15.0, independently of the package's Newton engine: for each part,
    ``OrderedModel(y, X, distr="logit")`` with X = the part, log_population, centrality, merged_2017_2020 and
    ``pd.get_dummies(county_code, drop_first=True)`` on the respondents of
    ``load_frame("synthetic:vsr-narrative:2021")`` with every column and a positive weight (network_kinds from
    ``with_network_kinds``; no county separated); the weighted pseudo-log-likelihood ``sum(w * loglikeobs)``
    maximised by ``scipy.optimize.minimize(BFGS, gtol=1e-9)``; HC0 = A^-1 B A^-1 with A =
    -``statsmodels.tools.numdiff.approx_hess`` and B = sum of (w * score_obs) outer products."""
    tab, ev = nets.network_kinds_evidence(resp, controls=CONTROLS, fixed_effects=["county_code"], sesoi=0.2, alpha=0.05)
    tab = tab.set_index("term")
    reference = {
        "network_kinds": (267, 1.1242258686742561, 0.23814252965895424),
        "cooperates_with_county": (262, 1.1934642353476541, 0.2515342439704788),
    }
    for term, (n, est, se) in reference.items():
        assert tab.loc[term, "n"] == n
        assert tab.loc[term, "estimate"] == pytest.approx(est, abs=1e-5)
        assert tab.loc[term, "se"] == pytest.approx(se, rel=1e-4)
    assert ev["primary"]["p_value"] == tab["p_greater"].max()
    assert set(ev["parts"]) == set(nets.NETWORK_TERM_LABELS)
    # F5 is no longer F3d's coefficient: F3d is network_member alone, F5 neither uses that item nor that model
    from vsr_analysis.claims.conjunction_evidence import characteristics_evidence

    f3_tab, _ = characteristics_evidence(resp, ["network_member"], sesoi=0.2, alpha=0.05)
    assert f3_tab.loc[0, "estimate"] != pytest.approx(tab.loc["network_kinds", "estimate"], abs=0.05)


def test_f5_in_the_ledger_is_a_conjunction_with_an_untested_part():
    spec = {c["id"]: c for c in load_claims_spec()["claims"]}
    f5 = spec["F5"]
    assert f5["rule"] == "intersection_union" and "knowledge" in f5["untestable_part"].lower()
    ev = {
        "primary": {"estimate": 0.9, "p_value": 0.2},
        "rule_inputs": {
            "components": {"network_kinds": {"estimate": 0.9, "p_value": 0.001},
                           "cooperates_with_county": {"estimate": 0.1, "p_value": 0.2}},
            "route_p_values": {},
        },
    }  # fmt: skip
    assert decide(f5, ev, 0.05, 0.2).verdict == "inconclusive"  # one part alone does not carry the finding
    assert decide(f5, ev, 0.05, 0.001).verdict == "supported"


def test_f5_truth_rows_reproduce_the_replicas_draws():
    """The model's expected kinds of network and cooperation per municipality (simulate.truth._network_rows)
    agree with what the replica draws for its respondents, summed over 40 simulated surveys."""
    import json

    from vsr_analysis.simulate import truth
    from vsr_analysis.synth import replica

    sc = replica.load_scenario("vsr-narrative")
    doc = json.dumps({k: v for k, v in sc.items() if not k.startswith("_")}, sort_keys=True, default=str)
    rows = truth._network_rows(sc["_sha256"], doc)
    per_unit = (
        rows.assign(
            kinds_w=rows["network_kinds"] * rows["weight"], coop_w=rows["cooperates_with_county"] * rows["weight"]
        )
        .groupby("unit")[["weight", "kinds_w", "coop_w"]]
        .sum()
    )
    np.testing.assert_allclose(per_unit["weight"], 1.0, atol=1e-9)
    from vsr_analysis.simulate.replica_frame import reference_data

    knr = reference_data()[0].sort_values("knr")["knr"].to_numpy()
    expected = per_unit.set_index(pd.Index(knr[per_unit.index]))
    gaps = {"kinds": [], "coop": []}
    for seed in range(1, 41):
        survey, _ = replica.generate("vsr-narrative", seed)
        m = survey[survey["unit_type"] == "municipality"].set_index("knr")
        m = nets.with_network_kinds(m)
        both = m[["network_kinds", "cooperates_with_county"]].astype(float).join(expected).dropna()
        gaps["kinds"].append(float((both["network_kinds"] - both["kinds_w"]).sum()))
        gaps["coop"].append(float((both["cooperates_with_county"] - both["coop_w"]).sum()))
    for name, g in gaps.items():
        g = np.asarray(g)
        assert abs(g.mean()) < 3 * g.std(ddof=1) / np.sqrt(len(g)) + 1e-9, (name, g.mean(), g.std())
