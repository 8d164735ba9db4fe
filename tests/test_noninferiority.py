"""The county claims' statistics and rules (issue 26): the MOVER non-inferiority test of a county share against
the raked municipal share, the rule ``noninferior``, and the truth a scenario gives F8-county and F10-county.

Reference values come from an independent implementation, statsmodels 0.14's Newcombe interval
(``statsmodels.stats.proportion.confint_proportions_2indep(..., method="newcomb", compare="diff")``), written in with
the call that produced each; the p-value references were found by a root search (``scipy.optimize.brentq``) on that
interval's limit, not with this package's code."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from vsr_analysis.claims.ledger import decide, rule_noninferior
from vsr_analysis.claims.spec import ClaimSpecError, load_claims, parse_claim
from vsr_analysis.simulate.truth import model_truth
from vsr_analysis.stats.noninferiority import (
    ShareInterval,
    mover_difference,
    noninferiority_test,
    power,
    smallest_count_shown,
)
from vsr_analysis.stats.shares import calibrated_share_test
from vsr_analysis.synth import estimands, replica

# confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=a) -> (low, high)
NEWCOMBE = [
    ((7, 11, 40, 200, 0.1), (0.18884296788341076, 0.6295688609273242)),
    ((3, 11, 120, 300, 0.1), (-0.2922089837975921, 0.12462058505693935)),
    ((11, 11, 5, 250, 0.05), (0.7198688788325249, 0.9914276756159418)),
    ((0, 10, 30, 180, 0.1), (-0.2172213944881173, 0.050126680001682494)),
]


@pytest.mark.parametrize(("args", "expected"), NEWCOMBE)
def test_the_interval_is_newcombes_for_two_binomial_samples(args, expected):
    k1, n1, k2, n2, a = args
    _, low, high = mover_difference(ShareInterval.binomial(k1, n1), ShareInterval.binomial(k2, n2), 1 - a)
    assert (low, high) == pytest.approx(expected, abs=1e-12)


def test_the_p_value_inverts_the_interval():
    # brentq(lambda a: confint_proportions_2indep(5, 11, 60, 240, method="newcomb", compare="diff", alpha=2 * a)[0]
    #        + 0.1, 1e-12, 0.5 - 1e-12, xtol=1e-15)
    t = noninferiority_test(ShareInterval.binomial(5, 11), ShareInterval.binomial(60, 240), 0.1)
    assert t["p_value"] == pytest.approx(0.004006047233774302, rel=1e-8)
    # the same on the upper limit: the county authorities shown lower by more than the margin
    # brentq(lambda a: confint_proportions_2indep(0, 11, 90, 200, ..., alpha=2 * a)[1] + 0.1, ...)
    t = noninferiority_test(ShareInterval.binomial(0, 11), ShareInterval.binomial(90, 200), 0.1)
    assert t["p_inferior"] == pytest.approx(0.008591794660038631, rel=1e-8)
    assert t["p_value"] > 0.5 and t["ci_high"] < -0.1


def test_one_sided_decision_and_interval_agree():
    """p < alpha exactly when the lower limit of the 1 - 2 alpha interval clears -margin."""
    muni = ShareInterval.binomial(50, 200)
    for k in range(12):
        t = noninferiority_test(ShareInterval.binomial(k, 11), muni, 0.1, alpha=0.05)
        assert (t["p_value"] < 0.05) == (t["ci_low"] > -0.1)
        assert (t["p_inferior"] < 0.05) == (t["ci_high"] < -0.1)


def test_the_design_based_municipal_side_keeps_its_interval():
    """The municipal share from the raked design, recomputed at 95 %, is the share chapters' own interval."""
    from vsr_analysis.claims.share_evidence import share_design
    from vsr_analysis.simulate.replica_frame import analysis_frame

    data = analysis_frame(replica.load_scenario("vsr-narrative"), 7)
    design = share_design(data.frame, data.weight_info["margins"])
    y = data.frame.loc[data.frame["responded"].astype(bool), "barrier_policy_coherence"].astype(float)
    test = calibrated_share_test(y.to_numpy(), design, 0.5)
    share = ShareInterval.from_calibrated_test(test)
    assert share.df == test["df"] and share.interval(0.95) == pytest.approx(
        (test["ci_low"], test["ci_high"]), abs=1e-12
    )
    # narrower at 90 %, and the Korn-Graubard factor makes it wider than a plain Wilson interval at the same n
    low90, high90 = share.interval(0.90)
    assert test["ci_low"] < low90 < high90 < test["ci_high"]
    plain = ShareInterval(share.estimate, share.n_effective)
    assert plain.interval(0.9)[1] - plain.interval(0.9)[0] < high90 - low90


def test_a_known_municipal_share_leaves_only_the_county_side():
    exact = ShareInterval(0.2, math.inf)
    assert exact.interval(0.9) == (0.2, 0.2)
    county = ShareInterval.binomial(4, 11)
    _, low, _ = mover_difference(county, exact, 0.9)
    assert low == pytest.approx(county.interval(0.9)[0] - 0.2)


def test_what_the_test_can_detect():
    muni = ShareInterval.binomial(60, 240)
    k = smallest_count_shown(11, muni, 0.1, 0.05)
    assert noninferiority_test(ShareInterval.binomial(k, 11), muni, 0.1)["p_value"] < 0.05
    assert noninferiority_test(ShareInterval.binomial(k - 1, 11), muni, 0.1)["p_value"] >= 0.05
    assert power(0.6, 11, muni, 0.1, 0.05) == pytest.approx(stats.binom.sf(k - 1, 11, 0.6))
    rates = np.linspace(0, 1, 11)
    powers = [power(r, 11, muni, 0.1, 0.05) for r in rates]
    assert powers == sorted(powers) and powers[0] == 0.0


def _evidence(low, high, p_inferior):
    return {"primary": {"estimate": (low + high) / 2, "ci_low": low, "ci_high": high},
            "rule_inputs": {"route_p_values": {"inferior": p_inferior}}}  # fmt: skip


def test_rule_noninferior_supported_not_supported_inconclusive():
    params = {"margin": 0.1}
    assert rule_noninferior(_evidence(-0.05, 0.3, 0.99), 0.05, 0.01, params).verdict == "supported"
    # a p-value at alpha is not below it
    assert rule_noninferior(_evidence(-0.05, 0.3, 0.99), 0.05, 0.05, params).verdict == "inconclusive"
    lower = rule_noninferior(_evidence(-0.5, -0.2, 0.003), 0.05, 0.99, params)
    assert lower.verdict == "not supported" and "lower by more than the margin" in lower.reason
    wide = rule_noninferior(_evidence(-0.4, 0.2, 0.3), 0.05, 0.6, params)
    assert wide.verdict == "inconclusive" and "not shown" in wide.reason
    assert rule_noninferior({"primary": {}, "rule_inputs": {}}, 0.05, None, params).verdict == "inconclusive"
    # the adjusted route, when the ledger gives one, is what counts
    adjusted = _evidence(-0.5, -0.2, 0.003)
    adjusted["rule_inputs"]["route_p_adjusted"] = {"inferior": 0.2}
    assert rule_noninferior(adjusted, 0.05, 0.99, params).verdict == "inconclusive"


def test_the_reason_writes_shares_in_whole_percent_points():
    reason = rule_noninferior(_evidence(-0.0412345, 0.312345, 0.99), 0.05, 0.0123456, {"margin": 0.1}).reason
    assert "-4 % to 31 %" in reason and "0412" not in reason and "3123" not in reason


def test_the_county_claims_are_declared_and_decided_by_their_rules():
    claims = load_claims()
    f8c, f10c = claims["F8-county"], claims["F10-county"]
    assert f8c.population.units == f10c.population.units == "county_authorities"
    assert f8c.analysis.kind == "share_vs_threshold" and f10c.analysis.kind == "share_noninferiority"
    assert not f8c.confirmatory and not f10c.confirmatory and f10c.on_share_scale
    entry = f10c.as_dict()
    ev = {"primary": {"estimate": 0.2, "ci_low": 0.02, "ci_high": 0.4, "p_value": 0.001}, "rule_inputs": {}}
    assert decide(entry, ev, 0.05, 0.001).verdict == "supported"
    withheld = {**ev, "not_estimable": "not published"}
    assert decide(entry, withheld, 0.05, 0.001).verdict == "inconclusive"


def test_a_noninferiority_claim_needs_a_margin_and_a_known_comparison():
    base = load_claims()["F10-county"].as_dict()
    with pytest.raises(ClaimSpecError, match="margin"):
        parse_claim({**base, "rule_parameters": {}})
    with pytest.raises(ClaimSpecError, match="against"):
        parse_claim({**base, "analysis": {"kind": "share_noninferiority", "against": "regions"}})


@pytest.mark.parametrize("scenario", ["vsr-narrative", "state-coherent", "county-coherence-low"])
def test_the_truth_is_the_county_rate_against_the_municipal_share(scenario):
    claims = load_claims()
    doc = replica.load_scenario(scenario)
    county = estimands.expected_share(doc, item="barrier_policy_coherence", units="county_authorities")
    municipal = estimands.expected_share(doc, item="barrier_policy_coherence")
    holds, value = model_truth(claims["F10-county"], doc)
    margin = float(claims["F10-county"].rule_parameters["margin"])
    assert value == pytest.approx(county - municipal) and holds is (county - municipal > -margin)
    guidance = estimands.expected_share(doc, item="barrier_national_guidance", units="county_authorities")
    assert model_truth(claims["F8-county"], doc) == (guidance > claims["F8-county"].threshold, guidance)


def test_each_county_claim_is_false_in_some_scenario():
    claims = load_claims()
    truths = {s: {c: model_truth(claims[c], replica.load_scenario(s))[0] for c in ("F8-county", "F10-county")}
              for s in ("vsr-narrative", "state-coherent", "county-coherence-low")}  # fmt: skip
    for cid in ("F8-county", "F10-county"):
        assert {t[cid] for t in truths.values()} == {True, False}


def test_what_the_share_test_on_the_county_authorities_can_detect():
    """F8-county's exact test with 11 answering: P(K >= 9 | 11, 1/2) = (C(11,9) + C(11,10) + C(11,11)) / 2^11 =
    67/2048 < 0.05, P(K >= 8) = 232/2048 > 0.05 (R: binom.test(9, 11, 0.5, alternative = "greater")$p.value)."""
    import pandas as pd

    from vsr_analysis.claims import county_evidence as ce

    claim = load_claims()["F8-county"]
    assert math.comb(11, 9) + math.comb(11, 10) + 1 == 67
    counties = pd.DataFrame({"barrier_national_guidance": [1.0] * 5 + [0.0] * 6})
    detect = ce.share_could_detect(counties, claim, alpha=0.05, differences=[0.0, 0.4])
    assert detect["n"] == 11 and detect["smallest_count"] == 9
    assert detect["power"][0]["power"] == pytest.approx(67 / 2048)
    assert detect["power"][1]["power"] == pytest.approx(stats.binom.sf(8, 11, 0.9))
    assert "at least 9 of the 11" in ce.share_detect_text(claim, detect)
