"""F8's ranking: the paired difference of two raked shares (against R's survey package) and the share_ranking rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from vsr_analysis.claims.ledger import decide, rule_share_ranking
from vsr_analysis.claims.ranking_evidence import pair_name, pairs, ranking_evidence
from vsr_analysis.claims.spec import load_claims
from vsr_analysis.stats.calibration_variance import linearised_share, raked_design
from vsr_analysis.stats.raking import rake
from vsr_analysis.stats.shares import paired_difference_test

FIXTURE = "tests/fixtures/raked_share_design.csv"  # the default synthetic replica (vsr-narrative, seed 2021)
MARGINS = ["size_band", "centrality_group", "merged_2017_2020"]

# Reference, computed once with R 4.2.2 and survey 4.1.1 (Debian r-base-core, r-cran-survey) from the fixture:
#   f <- read.csv(FIXTURE, colClasses = c(knr = "character")); factor() the three margins
#   r <- f[f$responded == 1, ]; r$a <- r$sdg_in_master_plan; r$b <- r$sdg_in_management
#   r$both <- !is.na(r$a) & !is.na(r$b)
#   d <- svydesign(ids = ~1, data = r, weights = ~1)
#   pt <- colSums(model.matrix(~ size_band + centrality_group + merged_2017_2020, f))
#   cal <- calibrate(d, ~ size_band + centrality_group + merged_2017_2020, population = pt,
#                    calfun = "raking", epsilon = 1e-12, maxit = 500)
#   m <- svymean(~a + b, subset(cal, both), na.rm = TRUE); ct <- svycontrast(m, c(1, -1))
#   c(coef(m), coef(ct), SE(ct)); sum(r$both)
R_SHARES = (0.494161751082001, 0.285731851733641)
R_DIFFERENCE = (0.208429899348361, 0.031417026241312)
R_N_BOTH = 270


@pytest.fixture(scope="module")
def frame():
    f = pd.read_csv(FIXTURE, dtype={"knr": str})
    f["responded"] = f["responded"].astype(bool)
    f["weight"] = rake(f, "responded", MARGINS).fillna(0.0)
    return f


def _items(frame):
    resp = frame[frame["responded"]]
    return resp["sdg_in_master_plan"].astype(float), resp["sdg_in_management"].astype(float)


def test_paired_difference_equals_r_survey_contrast(frame):
    a, b = _items(frame)
    design = raked_design(frame, MARGINS, None)
    t = paired_difference_test(a, b, design, variance="with_replacement")
    assert t["n"] == R_N_BOTH
    assert (t["share_a"], t["share_b"]) == pytest.approx(R_SHARES, abs=1e-10)
    assert (t["estimate"], t["se"]) == pytest.approx(R_DIFFERENCE, abs=1e-10)
    # without degrees of freedom the test is the normal one on d / SE, and the interval d ± z SE
    assert t["p_value"] == pytest.approx(norm.sf(R_DIFFERENCE[0] / R_DIFFERENCE[1]), rel=1e-8)
    assert t["ci_high"] - t["estimate"] == pytest.approx(norm.ppf(0.975) * R_DIFFERENCE[1], rel=1e-8)


def test_pairing_counts_the_covariance(frame):
    """The paired SE differs from the SE two independent shares would have, and a share against itself is 0."""
    a, b = _items(frame)
    design = raked_design(frame, MARGINS, None)
    both = np.isfinite(a.to_numpy()) & np.isfinite(b.to_numpy())
    sa = linearised_share(a, design, both, variance="with_replacement")["se"]
    sb = linearised_share(b, design, both, variance="with_replacement")["se"]
    paired = paired_difference_test(a, b, design, variance="with_replacement")["se"]
    assert paired < np.hypot(sa, sb)  # the two items are positively correlated (the ladder)
    same = paired_difference_test(a, a, design, variance="with_replacement")
    assert same["estimate"] == 0 and same["p_value"] == 1.0


def test_primary_difference_has_degrees_of_freedom(frame):
    a, b = _items(frame)
    propensity = np.full(len(frame), frame["responded"].mean())
    design = raked_design(frame, MARGINS, propensity)
    t = paired_difference_test(a, b, design)
    assert t["df"] is not None and t["df"] > 1
    plain = paired_difference_test(a, b, design, variance="with_replacement")
    assert t["se"] < plain["se"]  # the Poisson factor 1 - pi removes what the whole frame answering leaves certain
    assert t["estimate"] == pytest.approx(plain["estimate"])


def _evidence(differences: dict[tuple[str, str], float]) -> dict:
    comps, routes = {}, {}
    for (a, b), d in differences.items():
        p = float(norm.sf(d / 0.03))
        comps[pair_name(a, b)] = {"estimate": d, "p_value": p}
        routes[f"opposite:{pair_name(a, b)}"] = min(1.0, len(differences) * float(norm.cdf(d / 0.03)))
    p_max = max(c["p_value"] for c in comps.values())
    return {"primary": {"p_value": p_max}, "rule_inputs": {"components": comps, "route_p_values": routes}}, p_max


TOP, RANKED = ["t1", "t2"], ["t1", "t2", "o1", "o2"]


def test_ranking_rule_supported_only_when_every_named_item_leads():
    ev, p = _evidence({pair: 0.15 for pair in pairs(TOP, RANKED)})
    assert rule_share_ranking(ev, 0.05, p, {}).verdict == "supported"


def test_ranking_rule_not_supported_when_a_named_item_is_below_another():
    differences = {pair: 0.15 for pair in pairs(TOP, RANKED)}
    differences[("t2", "o1")] = -0.15  # named item t2 is named clearly less often than the unnamed o1
    ev, p = _evidence(differences)
    d = rule_share_ranking(ev, 0.05, p, {})
    assert d.verdict == "not supported" and "t2 > o1" in d.reason
    differences[("t2", "o1")] = -0.01  # below, but not shown: inconclusive, never supported
    ev, p = _evidence(differences)
    d = rule_share_ranking(ev, 0.05, p, {})
    assert d.verdict == "inconclusive" and "t2 > o1" in d.reason


def test_ranking_evidence_on_a_frame_where_a_named_item_trails():
    """End to end through ranking_evidence and the ledger: a named item named less often than an unnamed one
    gives 'not supported'; the same frame with the item raised gives 'supported'."""
    rng = np.random.default_rng(8)
    n = 356
    frame = pd.DataFrame({"responded": rng.random(n) < 0.75, "band": rng.integers(0, 3, n).astype(str)})
    frame["weight"] = rake(frame, "responded", ["band"]).fillna(0.0)
    for item, p in {"t1": 0.7, "t2": 0.15, "o1": 0.45, "o2": 0.2}.items():
        frame[item] = (rng.random(n) < p).astype(float)
    design = raked_design(frame, ["band"], np.full(n, 0.75))
    claim = {"rule": "share_ranking", "rule_parameters": {}}
    table, ev = ranking_evidence(frame, TOP, RANKED, design=design)
    assert list(table["pair"]) == [pair_name(a, b) for a, b in pairs(TOP, RANKED)]
    assert ev["primary"]["p_value"] == pytest.approx(table["p_value"].max())
    assert decide(claim, ev, 0.05, ev["primary"]["p_value"]).verdict == "not supported"
    frame["t2"] = (rng.random(n) < 0.65).astype(float)
    _, ev = ranking_evidence(frame, TOP, RANKED, design=design)
    assert decide(claim, ev, 0.05, ev["primary"]["p_value"]).verdict == "supported"


def test_f8_and_f10_declarations():
    """F8 ranks the four named barriers above every other barrier of the instrument; F10 is policy coherence alone."""
    from vsr_analysis.data.codebook import load_codebook

    claims = load_claims()
    f8, f10 = claims["F8"], claims["F10"]
    named = ("barrier_capacity", "barrier_competence", "barrier_methods_tools", "barrier_political_ownership")
    assert f8.analysis.kind == "share_ranking" and tuple(f8.analysis["top"]) == named
    assert set(f8.outcome.ranked) == set(load_codebook().items_in_group("barriers"))
    assert len(pairs(f8.analysis["top"], f8.outcome.ranked)) == 12
    assert f10.outcome.item == "barrier_policy_coherence" and not f10.outcome.any_of
    assert "county" not in f8.entry["hypothesis"].lower()


def test_a_seed_of_the_ranking_is_labelled_by_its_realised_shares():
    """vsr simulate labels each seed by the frame's realised shares: the ranking holds when the smallest named
    share exceeds the largest other share."""
    from vsr_analysis.simulate.truth import ranking_margin, realised_holds, realised_value

    f8 = load_claims()["F8"]
    named, others = list(f8.analysis["top"]), [i for i in f8.outcome.ranked if i not in f8.analysis["top"]]
    rates = {**{i: 0.6 for i in named}, **{i: 0.3 for i in others}}
    n = 356
    complete = pd.DataFrame({i: (np.arange(n) < rate * n).astype(float) for i, rate in rates.items()})
    margin, spread = realised_value(f8, complete)
    shares = {i: float(complete[i].mean()) for i in rates}
    assert spread is None and margin == pytest.approx(ranking_margin(f8, shares)) and margin > 0
    assert realised_holds(f8, margin) is True
    complete[named[-1]] = (np.arange(n) < 0.2 * n).astype(float)  # one named barrier below the others
    margin, _ = realised_value(f8, complete)
    assert margin < 0 and realised_holds(f8, margin) is False


def test_a_comparison_with_a_small_joint_cell_hides_its_interval_on_a_confidential_file():
    from vsr_analysis.claims.barrier_release import RANKING_JOINT, hide_joint_values

    resp = pd.DataFrame({"a": [1.0] * 10 + [0.0] * 10, "b": [1.0] * 2 + [0.0] * 18, "c": ([1.0] * 5 + [0.0] * 5) * 2})
    table = pd.DataFrame(
        {"named": ["a", "a"], "other": ["b", "c"], "difference": [0.4, 0.1], **{c: [0.1, 0.2] for c in RANKING_JOINT}}
    )
    assert hide_joint_values(table, resp, confidential=False).equals(table)
    shown = hide_joint_values(table, resp, confidential=True)
    assert (shown.loc[0, RANKING_JOINT] == "..").all()  # a and b: only 2 units name both
    assert (shown.loc[1, RANKING_JOINT] != "..").all() and shown["difference"].tolist() == [0.4, 0.1]
