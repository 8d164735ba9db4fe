"""Issue 29, every valid file builds: the package-level parts (weights, the sheet hint is in the corpus).

The whole-build checks of the four valid files (a county without respondents, a covariate without variation,
one respondent, all answers at one stage) are in ``test_valid_files_build.py`` (slow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.data.analysis_frame import (
    MARGIN_DROP_ORDER,
    RAKING_MARGINS,
    AnalysisFrame,
    add_analysis_columns,
)
from vsr_analysis.data.frame import build_frame, county_rows
from vsr_analysis.data.register import load_register
from vsr_analysis.stats.frame_weights import add_weights
from vsr_analysis.stats.raking import RakingError, rake_collapsing_empty
from vsr_analysis.synth.simulation import generate


@pytest.fixture(scope="module")
def replica() -> pd.DataFrame:
    return generate("vsr-narrative", 5)[0]


def _weighted(survey: pd.DataFrame) -> AnalysisFrame:
    register = load_register()
    frame = add_analysis_columns(build_frame(survey, register))
    data = AnalysisFrame(spec="test", frame=frame, counties=county_rows(survey), synthetic=False)
    add_weights(data)
    return data


def test_a_county_without_respondents_is_weighted_by_the_prespecified_rule(replica):
    register = load_register()
    failing = []
    for county in sorted(register["county_code"].unique()):
        knrs = set(register.loc[register["county_code"] == county, "knr"])
        survey = replica[~replica["knr"].isin(knrs)]
        frame = add_analysis_columns(build_frame(survey, register))
        band_order = frame.groupby("size_band")["population_2021"].min().sort_values().index.tolist()
        try:
            rake_collapsing_empty(frame, "responded", list(RAKING_MARGINS), orders={"size_band": band_order})
        except RakingError:
            failing.append(county)
        data = _weighted(survey)  # never raises: the rule drops margins instead
        info = data.weight_info
        assert info["dropped_margins"] == list(MARGIN_DROP_ORDER[: len(info["dropped_margins"])])
        assert (county in failing) == bool(info["dropped_margins"])
        # the margins kept are met: weighted respondents equal the frame in every cell
        f = data.frame
        for margin in info["margins"]:
            frame_counts = f.groupby(margin).size()
            weighted = f[f["responded"]].groupby(margin)["weight"].sum().reindex(frame_counts.index, fill_value=0)
            np.testing.assert_allclose(weighted.to_numpy(), frame_counts.to_numpy(), atol=0.01)
        assert f.loc[f["responded"], "weight"].gt(0).all()
    # the case of issue 29 is among them (a county whose absence leaves no weights that meet all margins)
    assert failing, "no county's absence makes full raking fail on this replica: the rule is not exercised"


def test_one_respondent_gets_weights(replica):
    data = _weighted(replica[replica["unit_type"] == "municipality"].head(1))
    assert data.weight_info["respondents"] == 1
    assert data.frame.loc[data.frame["responded"], "weight"].sum() == pytest.approx(356)


def test_a_chapter_that_ended_in_words_gives_its_reason_to_the_ledger(tmp_path):
    import json

    from vsr_analysis.claims.ledger import claim_evidence, decide, load_claims_spec

    spec = load_claims_spec()
    f3 = next(c for c in spec["claims"] if c["id"] == "F3")
    part = next(c for c in spec["claims"] if c.get("evidence_part") and c["parameter_set"] == f3["parameter_set"])
    reason = "the maturity stage or a characteristic does not vary enough among the 12 municipalities used"
    empty = {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
    evidence = {"claim": "F3", "survey": "file:x:0", "primary": {"method": "not estimable", **empty}, "n": 12,
                "rule_inputs": {}, "parts": {part["evidence_part"]: {"primary": dict(empty), "rule_inputs": {}, "n": 12}},
                "not_estimable": reason}  # fmt: skip
    (tmp_path / f3["parameter_set"]).mkdir()
    (tmp_path / f3["parameter_set"] / "evidence.json").write_text(json.dumps(evidence))
    for claim in (f3, part):
        ev = claim_evidence(tmp_path, claim)
        decision = decide(claim, ev, 0.05, None)
        assert decision.verdict == "inconclusive" and reason in decision.reason, claim["id"]
