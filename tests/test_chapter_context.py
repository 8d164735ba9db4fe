"""chapter.Context: the claim, alpha and the decision rule every chapter uses; the stamp's parameters."""

from types import SimpleNamespace

import yaml

from vsr_analysis import paths
from vsr_analysis.chapter import Context, stamped_parameters


def _ctx(tmp_path, param_set="largest-barriers", **parameters):
    data = SimpleNamespace(confidential=False, spec="synthetic:x:1")
    return Context(data, param_set, tmp_path, parameters)


def test_claim_alpha_and_decide(tmp_path):
    spec = yaml.safe_load((paths.project_root() / "claims.yml").read_text(encoding="utf-8"))
    # F8's chapter reads its own claim, a ranking now (its rule's decisions: tests/test_share_ranking.py)
    assert _ctx(tmp_path, claim="F8").claim["rule"] == "share_ranking"
    ctx = _ctx(tmp_path, "policy-coherence", claim="F10")
    assert ctx.claim["id"] == "F10" and ctx.claim["rule"] == "share_above"
    assert ctx.alpha == float(spec["alpha"])
    t = float(ctx.claim["rule_parameters"]["threshold"])
    assert ctx.decide({"estimate": t + 0.2, "ci_high": t + 0.3, "p_value": ctx.alpha / 2}).verdict == "supported"
    assert ctx.decide({"estimate": t - 0.2, "ci_high": t - 0.1, "p_value": 0.99}).verdict == "not supported"
    assert ctx.decide({"estimate": t, "ci_high": t + 0.1, "p_value": 0.3}).verdict == "inconclusive"


def test_claim_without_claim_parameter_is_a_clear_error(tmp_path):
    try:
        _ = _ctx(tmp_path).claim
    except KeyError as exc:
        assert "no 'claim' parameter" in str(exc)
    else:
        raise AssertionError("expected KeyError")


def test_stamp_records_every_parameter_of_the_parameters_cell():
    # the F4 template passes an explicit dict without log_scale; the stamp still records it
    namespace = {"claim": "F4", "log_scale": True, "threshold": None, "condition": "population_2021", "np": object()}
    params = stamped_parameters("size-not-a-prerequisite", {"claim": "F4"}, namespace)
    assert params["log_scale"] is True and params["condition"] == "population_2021"
    assert "np" not in params and "survey" not in params
    # a parameter set outside the run spec keeps what it was given
    assert stamped_parameters("not-in-the-run-spec", {"a": 1, "_b": 2}, namespace) == {"a": 1}
