"""Issue 29, the weighted-share attack: an attacker who knows who responded can compute the raking weights (the
register's margins, the documented rule), and raking gives a few dozen distinct weights, one per weighting class.
A weighted share of a group published to six digits, with the group's count of "yes" beside it, then tells how many
units of each class said yes; a class whose count is pinned at 0 or at its size gives every unit in it away.

The attacker here is written independently of the engine's integer programs: it enumerates, per group, the count
of "yes" in each weighting class consistent with the published count and the published share at its precision.
It recovers answers from F8's barriers-by-size-band table at the CSV's old precision and none from what a
confidential build releases now.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from confidential_frames import confidential_frame
from vsr_analysis import chapter
from vsr_analysis.claims import barrier_release as br
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.stats import sdc
from vsr_analysis.stats.item_shares import item_shares_by_group
from vsr_analysis.synth.simulation import generate

#: the CSV's precision before the engine published weighted shares coarsely (6 significant digits)
OLD_DIGITS = 6


@pytest.fixture(scope="module")
def confidential() -> AnalysisFrame:
    survey = generate("vsr-narrative", 5)[0]
    data = confidential_frame(survey, "attack.csv")
    return data


def pinned_answers(weights: np.ndarray, count: int, share: float, digits: int, limit: int = 200_000) -> int:
    """How many units' answers follow from ``count`` (units saying yes) and ``share`` (their weighted share,
    rounded to ``digits`` places): units of a weighting class whose yes-count is 0 or the class size in every
    consistent assignment. Returns -1 when the classes admit more assignments than ``limit`` (not attacked)."""
    classes, sizes = np.unique(np.round(weights, 9), return_counts=True)
    if np.prod(sizes + 1, dtype=float) > limit:
        return -1
    total, half = weights.sum(), 0.5 * 10.0**-digits
    feasible = [
        combo
        for combo in itertools.product(*(range(s + 1) for s in sizes))
        if sum(combo) == count and abs(float(np.dot(classes, combo)) / total - share) <= half + 1e-12
    ]
    assert feasible, "the true assignment is always consistent"
    table = np.array(feasible)
    pinned = 0
    for j, size in enumerate(sizes):
        values = set(table[:, j])
        if len(values) == 1 and values.pop() in (0, size):
            pinned += int(size)
    return pinned


def attack(by_band: pd.DataFrame, resp: pd.DataFrame, label_to_item: dict, digits: int) -> tuple[int, int]:
    """Answers the attacker recovers from a by-size-band table (count "naming it", weighted "share"), and how many
    of the table's groups it could attack (enumerate)."""
    recovered = attacked = 0
    for _, row in by_band.iterrows():
        count = pd.to_numeric(pd.Series([row["naming it"]]), errors="coerce").iloc[0]
        share = pd.to_numeric(pd.Series([row["share"]]), errors="coerce").iloc[0]
        if row["size band"] == "all municipalities" or not (np.isfinite(count) and np.isfinite(share)):
            continue
        item = label_to_item[row["barrier"]]
        group = resp[(resp["size_band"].astype(str) == str(row["size band"])) & resp[item].notna()]
        found = pinned_answers(group["weight"].to_numpy(dtype=float), int(count), float(share), digits)
        recovered += max(found, 0)
        attacked += found >= 0
    return recovered, attacked


def _by_band(data: AnalysisFrame):
    barriers = load_codebook().items_in_group("barriers")
    by_band, _ = item_shares_by_group(data.respondents, data.frame, barriers, lambda b: b, "size_band",
                                      order_by="population_2021", population_size=len(data.frame))  # fmt: skip
    return by_band, barriers


def test_six_digit_weighted_shares_give_answers_away(confidential):
    """The attack works on what builds before the coarse precision published: a real leak, not a hypothetical."""
    by_band, barriers = _by_band(confidential)
    old = by_band.assign(share=by_band["share"].astype(float).round(OLD_DIGITS))
    recovered, attacked = attack(old, confidential.respondents, {b: b for b in barriers}, OLD_DIGITS)
    assert attacked > 0 and recovered > 0


def test_released_weighted_shares_give_nothing_away(confidential, tmp_path, monkeypatch):
    monkeypatch.setattr(chapter.myst, "markdown", lambda text: None)
    monkeypatch.setattr(chapter.display, "show_html", lambda text: None)
    monkeypatch.setitem(chapter.display.session, "scratch", None)
    monkeypatch.delenv("VSR_SDC_ENGINE", raising=False)
    (tmp_path / "stage" / "results").mkdir(parents=True)
    ctx = chapter.Context(confidential, "largest-barriers", tmp_path / "stage" / "results" / "largest-barriers", {})
    by_band, barriers = _by_band(confidential)
    ctx.table("barriers_by_size_band", by_band, "b", count_columns=["municipalities", "naming it"],
              cells=br.by_group_cells(by_band, ctx.respondents, barriers, lambda b: b, "size_band"), show=False)  # fmt: skip
    released = ctx.released("barriers_by_size_band")
    shares = pd.to_numeric(released["share"], errors="coerce").dropna()
    assert len(shares) and (shares == shares.round(sdc.WEIGHTED_SHARE_DIGITS)).all()
    for col in ("ci_low", "ci_high"):  # the interval would give the share back at full precision
        bounds = pd.to_numeric(released[col], errors="coerce").dropna()
        assert (bounds == bounds.round(sdc.WEIGHTED_SHARE_DIGITS)).all()
    recovered, attacked = attack(released, ctx.respondents, {b: b for b in barriers}, sdc.WEIGHTED_SHARE_DIGITS)
    assert attacked > 0 and recovered == 0


def test_coarsen_rounds_statistics_and_keeps_counts_and_labels():
    table = pd.DataFrame({"group": ["a", "b"], "n": [12, 40], "share (weighted)": [0.381234, sdc.HIDDEN],
                          "stage 2 (%)": [12.3456, 50.0], "p_value": [0.0123456, 3.21e-9], "estimate": [1.23456, -0.00123456]})  # fmt: skip
    out = sdc.coarsen(table, keep=["n"])
    assert out["group"].tolist() == ["a", "b"] and out["n"].tolist() == [12, 40]
    assert out.at[0, "share (weighted)"] == 0.38 and out.at[1, "share (weighted)"] == sdc.HIDDEN
    assert out["stage 2 (%)"].tolist() == [12.0, 50.0]
    assert out["p_value"].tolist() == [0.0123, 3.21e-9]
    assert out["estimate"].tolist() == [1.23, -0.00123]
