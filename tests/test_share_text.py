"""The prose of a share's precision never prints a whole number that the disclosure scan could take for a
respondent's population (a design-effective n above the frame's 356 once did, on a confidential run)."""

import re

import pytest

from vsr_analysis.build.disclosure import FRAME_SIZE, numbers_in_text
from vsr_analysis.claims.share_text import design_effect_text


@pytest.mark.parametrize("n, n_eff", [(302, 1331.0), (302, 1331.4), (120, 4210.0), (356, 99999.0)])
def test_a_large_design_effective_n_is_said_as_a_ratio(n, n_eff):
    text = design_effect_text(n, n_eff)
    assert [v for v in numbers_in_text(text) if v > FRAME_SIZE] == []
    ratio = float(re.search(r"design effect ([0-9.]+)", text).group(1))
    assert ratio == pytest.approx(n / n_eff, rel=5e-3)


def test_no_sampling_error_and_no_estimate_are_said_in_words():
    assert "no sampling error" in design_effect_text(40, float("inf"))
    assert "no estimate" in design_effect_text(0, None)
