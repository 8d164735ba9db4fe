"""Issue 26: the county claims' evidence on a confidential file gives no county count away.

With 11 county authorities a census, a count of 0 or 11 ("none" or "all" named it) tells every authority's answer,
and so does anything a count can be worked out from: the claim's estimate (k / n), its interval, its p-value or the
reason the rule writes. The attacker here reads the ledger's evidence as it would be published and recovers the
count from the estimate (F8-county: k = estimate x n; F10-county: k from the difference plus the municipal share,
which F10's chapter publishes, to the nearest of the n + 1 possible county shares). It recovers the planted counts
from the evidence as computed, and nothing from what a confidential run records after the county chapter's
barrier table went through the disclosure engine (``county_evidence.protect``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from confidential_frames import confidential_frame
from vsr_analysis import chapter
from vsr_analysis.build.confidential_precision import coarsen_json
from vsr_analysis.claims import county_evidence as ce
from vsr_analysis.claims.ledger import decide
from vsr_analysis.claims.spec import load_claims
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.stats.county_tables import ITEM_COUNT_COLUMNS, item_cells, item_counts
from vsr_analysis.synth.simulation import generate

GUIDANCE, COHERENCE = "barrier_national_guidance", "barrier_policy_coherence"


def _survey(guidance_yes: int, coherence_yes: int) -> pd.DataFrame:
    survey = generate("vsr-narrative", 5)[0]
    county = survey["unit_type"] == "county"
    m = int(county.sum())
    survey.loc[county, GUIDANCE] = [1] * guidance_yes + [0] * (m - guidance_yes)
    survey.loc[county, COHERENCE] = [1] * coherence_yes + [0] * (m - coherence_yes)
    return survey


def _released_evidence(data, tmp_path, monkeypatch):
    """The county chapter's steps on ``data``: the barrier table through the engine, then the claims' evidence."""
    monkeypatch.setattr(chapter.myst, "markdown", lambda text: None)
    monkeypatch.setattr(chapter.display, "show_html", lambda text: None)
    monkeypatch.setitem(chapter.display.session, "scratch", None)
    monkeypatch.delenv("VSR_SDC_ENGINE", raising=False)
    results = tmp_path / "stage" / "results" / "county-authorities"
    results.parent.mkdir(parents=True)
    ctx = chapter.Context(data, "county-authorities", results, {})
    codebook = load_codebook()
    labels = {i.name: i.label["en"].replace("Barrier: ", "") for i in codebook}
    barriers = codebook.items_in_group("barriers")
    counties = ce.responding(data.counties)
    bars = item_counts(counties, barriers, labels, municipalities=data.respondents)
    ctx.table(
        "barriers", bars, "b", count_columns=ITEM_COUNT_COLUMNS, cells=item_cells(bars, barriers, counties), show=False
    )
    claims = ce.county_claims(load_claims(), "county-authorities")
    computed = {c.id: ce.county_evidence(data.frame, counties, c, alpha=0.05) for c in claims}
    protected = ce.protect(computed, claims, ce.hidden_items(ctx.released("barriers"), labels))
    return computed, protected, len(counties)


def _recovered(evidence: dict, claim_id: str, n: int, municipal_share: float) -> int | None:
    """The attacker: the county count the published evidence pins (None: it pins none)."""
    estimate = (evidence.get("primary") or {}).get("estimate")
    if estimate is None:
        return None
    share = estimate if claim_id == "F8-county" else estimate + round(municipal_share, 2)
    return int(np.argmin(np.abs(np.arange(n + 1) / n - share)))


@pytest.mark.parametrize(("guidance_yes", "coherence_yes"), [(11, 0), (0, 11)])
def test_a_census_of_all_or_none_is_not_given_away(guidance_yes, coherence_yes, tmp_path, monkeypatch):
    data = confidential_frame(_survey(guidance_yes, coherence_yes), "fylker.csv")
    computed, protected, n = _released_evidence(data, tmp_path, monkeypatch)
    planted = {"F8-county": guidance_yes, "F10-county": coherence_yes}
    muni = computed["F10-county"]["rule_inputs"]["municipal_share"]  # the raked share F10's chapter publishes
    # the evidence as computed gives each planted count back: a real leak, not a hypothetical one
    assert all(_recovered(coarsen_json(computed[c], True), c, n, muni) == planted[c] for c in planted)
    spec = load_claims()
    for cid, ev in protected.items():
        published = coarsen_json(ev, True)
        assert _recovered(published, cid, n, muni) is None
        assert all(published["primary"][k] is None for k in ("estimate", "ci_low", "ci_high", "p_value"))
        assert not published["rule_inputs"] and ev["not_estimable"] == ce.WITHHELD
        decision = decide(spec[cid].as_dict(), ev, 0.05, None)
        assert decision.verdict == "inconclusive" and not re.search(r"\d", decision.reason)


def test_counts_the_table_shows_are_decided_as_usual(tmp_path, monkeypatch):
    """Counts the engine releases (neither they nor their complement small) leave the evidence as it was."""
    data = confidential_frame(_survey(6, 5), "fylker.csv")
    computed, protected, _ = _released_evidence(data, tmp_path, monkeypatch)
    assert protected == computed and all(ev["primary"]["p_value"] is not None for ev in protected.values())


def test_the_difference_is_published_in_whole_percent_points():
    """A confidential run publishes F10-county's estimate like a share (claims.spec.Claim.on_share_scale)."""
    spec = load_claims()
    assert spec["F10-county"].on_share_scale and spec["F8-county"].on_share_scale
    entry = {
        "id": "F10-county",
        "primary": {"estimate": 0.123456, "ci_low": -0.0345678, "ci_high": 0.2987, "p_value": 0.0123456},
    }
    out = coarsen_json(entry, True)
    assert (
        out["primary"]["estimate"] == 0.12 and out["primary"]["ci_low"] == -0.03 and out["primary"]["p_value"] == 0.0123
    )
