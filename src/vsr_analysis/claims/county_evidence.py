"""The claims about the county authorities (the county halves of the barrier findings): their evidence, as the county chapter
and ``vsr simulate`` compute it.

Two kinds of claim (``claims.yml``, population ``county_authorities``):

* ``share_vs_threshold``: the share of the county authorities with the outcome against the rule's level, by the
  exact binomial test with a Clopper-Pearson interval (``claims.share_evidence.declared_share_test``);
* ``share_noninferiority``: the county authorities have the outcome at least as often as the municipalities, less
  the rule's ``margin`` (:func:`noninferiority_evidence`).

Inference model of the non-inferiority test: the county authorities' answers are independent Bernoulli draws with
a propensity p_c (a model-based reading: "county authorities point to ..." speaks of what a county authority tends
to say, not of eleven fixed answers, and it stays valid when some authority does not answer); the municipal share
p_m is the raked share of the municipalities with its design-based interval (the share chapters' estimator).  The
difference p_c - p_m gets the MOVER interval (:mod:`vsr_analysis.stats.noninferiority`).  The design-based reading
(the county authorities a census, their share known without sampling error, only the municipal side uncertain) is
computed beside it as a sensitivity (:func:`census_variant`), never as the verdict.

On a confidential file a count of county authorities the disclosure rule hides may not come back through the
ledger: :func:`withheld_evidence` records such a claim as not estimable, with a reason that names the rule and no
number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.claims.share_evidence import claim_outcome, declared_share_test, share_design
from vsr_analysis.claims.share_reporting import calibrated_below_test
from vsr_analysis.stats.noninferiority import ShareInterval, detectable, noninferiority_test, smallest_count_shown
from vsr_analysis.stats.shares import calibrated_share_test

#: The analysis kinds of claims about the county authorities this module computes.
COUNTY_KINDS = ("share_vs_threshold", "share_noninferiority")

WITHHELD = (
    "not published on a confidential file: the count of county authorities it rests on is a small cell under "
    "the disclosure rule"
)


def county_claims(spec, param_set: str) -> list:
    """The claims a chapter decides about the county authorities: those of ``spec`` (``claims.spec.ClaimsSpec``)
    whose parameter set is ``param_set``, in file order."""
    return [
        c for c in spec.claims
        if c.parameter_set == param_set and c.population.units == "county_authorities" and c.analysis.kind in COUNTY_KINDS
    ]  # fmt: skip


def _evidence(primary: dict, n: int, rule_inputs: dict | None = None) -> dict:
    return {"primary": primary, "n": int(n), "rule_inputs": rule_inputs or {}}


def share_evidence(counties: pd.DataFrame, claim) -> dict:
    """A share claim on the county authorities (``counties``: the responding ones): the exact binomial test."""
    t = declared_share_test(counties.iloc[0:0], claim, counties=counties)
    side = "below" if claim.rule == "share_below" else "exceeds"
    method = (
        f"Exact one-sided binomial test that the share of county authorities with {_outcome_words(claim)} {side} "
        f"{claim.threshold:g}; Clopper-Pearson 95 % interval; no weights, no model"
    )
    return _evidence({"method": method, **{k: t.get(k) for k in ("estimate", "ci_low", "ci_high", "p_value")}}, t["n"])


def _outcome_words(claim) -> str:
    o = claim.outcome
    return " or ".join(f"{i} = 1" for i in o.any_of) if o.any_of else f"{o.item} = 1"


def municipal_share(frame: pd.DataFrame, claim, design) -> dict:
    """The raked municipal share of the claim's outcome (the share chapters' calibrated test; its level unused)."""
    resp = frame[frame["responded"].astype(bool)]
    y = claim_outcome(resp, claim.outcome)
    return calibrated_share_test(y, design, 0.5)


def county_counts(counties: pd.DataFrame, claim) -> tuple[int, int]:
    """(k, n): the responding county authorities with the claim's outcome, and those that answered it."""
    y = claim_outcome(counties, claim.outcome) if len(counties) else np.array([])
    y = y[np.isfinite(y)]
    return int(y.sum()), int(y.size)


def noninferiority_evidence(frame: pd.DataFrame, counties: pd.DataFrame, claim, *, design=None, alpha: float) -> dict:
    """A ``share_noninferiority`` claim: county share minus municipal share against ``-margin`` (one-sided at
    ``alpha``, the MOVER interval at 1 - 2 ``alpha``).  ``counties``: the responding county authorities; ``design``:
    the frame's raked design (built if not given)."""
    margin = float(claim.rule_parameters["margin"])
    design = design if design is not None else share_design(frame)
    k, n = county_counts(counties, claim)
    muni = municipal_share(frame, claim, design)
    method = (
        f"One-sided non-inferiority test (margin {margin:g}) that the county authorities' share with "
        f"{_outcome_words(claim)} minus the raked municipal share exceeds -{margin:g}: county answers as Bernoulli "
        "draws (Wilson interval), the municipal share with its design-based Wilson interval at the effective n "
        f"(Korn & Graubard), combined by MOVER (Newcombe's hybrid score interval); {100 * (1 - 2 * alpha):.0f} % interval"
    )
    empty = {"method": method, "estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
    if n == 0 or muni.get("estimate") is None or muni.get("n_eff") is None:
        return {**_evidence(empty, n), "not_estimable": "no county authority or no municipality answered the item"}
    t = noninferiority_test(ShareInterval.binomial(k, n), ShareInterval.from_calibrated_test(muni), margin, alpha=alpha)
    primary = {**empty, **{key: t[key] for key in ("estimate", "ci_low", "ci_high", "p_value")}}
    inputs = {
        "margin": margin,
        "county_share": k / n,
        "municipal_share": float(muni["estimate"]),
        "route_p_values": {"inferior": t["p_inferior"]},
    }
    return _evidence(primary, n, inputs)


def census_variant(frame: pd.DataFrame, counties: pd.DataFrame, claim, *, design) -> dict | None:
    """The design-based reading of a ``share_noninferiority`` claim when every county authority answered (a census):
    the county share is known, so the claim is the municipal share below county share + margin, tested with the
    municipal side's design-based test alone.  None when the county authorities are not a census of answers."""
    from vsr_analysis.data.survey_file import COUNTY_CODES_2020

    k, n = county_counts(counties, claim)
    if n != len(COUNTY_CODES_2020):
        return None
    margin = float(claim.rule_parameters["margin"])
    resp = frame[frame["responded"].astype(bool)]
    t = calibrated_below_test(claim_outcome(resp, claim.outcome), design, min(k / n + margin, 1.0))
    d = None if t.get("estimate") is None else k / n - t["estimate"]
    low = None if t.get("ci_high") is None else k / n - t["ci_high"]
    high = None if t.get("ci_low") is None else k / n - t["ci_low"]
    return {"estimate": d, "ci_low": low, "ci_high": high, "p_value": t.get("p_value"), "n": n}


def what_it_could_detect(frame, counties, claim, *, design, alpha: float, differences) -> dict:
    """What the non-inferiority test could show with the county authorities that answered: the smallest count of
    them that would show it against the municipal share as estimated, and its power when the county rate lies
    ``differences`` above (or below) the municipal share."""
    margin = float(claim.rule_parameters["margin"])
    _, n = county_counts(counties, claim)
    muni = municipal_share(frame, claim, design)
    if n == 0 or muni.get("estimate") is None:
        return {"n": n, "smallest_count": None, "power": []}
    second = ShareInterval.from_calibrated_test(muni)
    rates = [second.estimate + float(d) for d in differences]
    rows = detectable(n, second, margin, alpha, rates)
    for row, d in zip(rows, differences):
        row["difference"] = float(d)
    return {"n": n, "smallest_count": smallest_count_shown(n, second, margin, alpha), "power": rows}


def share_could_detect(counties, claim, *, alpha: float, differences) -> dict:
    """What a share claim's exact binomial test could show with the county authorities that answered: the smallest
    count of them that makes it reject at ``alpha``, and its power when each names the outcome with probability
    the rule's level plus each of ``differences``."""
    from scipy import stats

    from vsr_analysis.stats.exact import exact_share_test

    _, n = county_counts(counties, claim)
    below = claim.rule == "share_below"
    ks = range(n, -1, -1) if below else range(n + 1)
    values = lambda k: [1.0] * k + [0.0] * (n - k)  # noqa: E731
    shown = [
        k
        for k in ks
        if n
        and exact_share_test(values(k), claim.threshold, alternative="less" if below else "greater")["p_value"] < alpha
    ]
    k_star = shown[0] if shown else None
    rows = []
    for d in differences:
        rate = min(max(claim.threshold + float(d), 0.0), 1.0)
        if k_star is None:
            p = 0.0
        else:
            p = float(stats.binom.cdf(k_star, n, rate) if below else stats.binom.sf(k_star - 1, n, rate))
        rows.append({"difference": float(d), "rate": rate, "power": p})
    return {"n": n, "smallest_count": k_star, "power": rows}


def share_detect_text(claim, detect: dict) -> str:
    """What a share claim's test could detect, in words (numbers from :func:`share_could_detect`)."""
    n, k = detect["n"], detect["smallest_count"]
    if k is None:
        return f"**{claim.id}: what the test could detect.** With {n} county authorities answering, no count of them could show the claim."
    side = "at most" if claim.rule == "share_below" else "at least"
    return (
        f"**{claim.id}: what the test could detect.** With {n} county authorities answering, the exact test shows "
        f"the claim only when {side} {k} of the {n} name it; the table below gives its power for true rates around "
        f"the level {claim.threshold:g}."
    )


def county_evidence(frame, counties, claim, *, design=None, alpha: float) -> dict:
    """The evidence of a claim about the county authorities, by its analysis kind."""
    if claim.analysis.kind == "share_noninferiority":
        return noninferiority_evidence(frame, counties, claim, design=design, alpha=alpha)
    if claim.analysis.kind == "share_vs_threshold":
        return share_evidence(counties, claim)
    raise ValueError(f"claim {claim.id}: no county evidence for analysis kind {claim.analysis.kind}")


def withheld_evidence(evidence: dict) -> dict:
    """``evidence`` as a confidential run records it when its count is a hidden cell: no number, the reason."""
    method = evidence["primary"].get("method", "")
    empty = {"method": method, "estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
    return {"primary": empty, "n": evidence["n"], "rule_inputs": {}, "not_estimable": WITHHELD}


def items_of(claim) -> tuple[str, ...]:
    """The county items a claim's count rests on (a cell of the county chapter's tables each)."""
    return claim.outcome.items


def responding(counties: pd.DataFrame) -> pd.DataFrame:
    """The county authorities that answered the survey (all rows when the frame has no ``responded`` column)."""
    if "responded" in counties:
        return counties[counties["responded"].astype(bool)]
    return counties


def hidden_items(shown: pd.DataFrame, labels: dict[str, str]) -> set[str]:
    """Items whose count of county authorities a *released* ``item_counts`` table hides (a suppressed count cell
    in its row); ``labels``: item -> the label in the table's ``item`` column."""
    from vsr_analysis.stats.county_tables import ITEM_COUNT_COLUMNS, SUPPRESSION_MARKS

    by_label = {v: k for k, v in labels.items()}
    out = set()
    for _, row in shown.iterrows():
        values = {str(row[c]) for c in ITEM_COUNT_COLUMNS if c in row} | {str(row.get("county share"))}
        if values & SUPPRESSION_MARKS:
            out.add(by_label.get(str(row["item"]), str(row["item"])))
    return out


def protect(evidences: dict, claims, hidden: set[str]) -> dict:
    """On a confidential file: the evidence of every claim whose count rests on a hidden item replaced by
    :func:`withheld_evidence` (its numbers would give the hidden count back)."""
    by_id = {c.id: c for c in claims}
    return {cid: withheld_evidence(ev) if set(items_of(by_id[cid])) & hidden else ev for cid, ev in evidences.items()}


def _pct(x) -> str:
    return f"{100 * float(x):.0f} %"


def noninferiority_text(claim, evidence: dict, detect: dict, census: dict | None, alpha: float) -> str:
    """What a non-inferiority claim's test found and what it could have found, in words (numbers from the
    evidence, the detectability computation and the census reading; nothing of a withheld claim)."""
    margin = float(claim.rule_parameters["margin"])
    n, k_star = detect["n"], detect["smallest_count"]
    parts = []
    if evidence.get("not_estimable"):
        parts.append(f"**{claim.id}.** No result is shown: {evidence['not_estimable']}.")
    else:
        p = evidence["primary"]
        parts.append(
            f"**{claim.id}.** County share minus municipal share: **{_pct(p['estimate'])}** ({_pct(1 - 2 * alpha)} "
            f"interval {_pct(p['ci_low'])} to {_pct(p['ci_high'])}); one-sided p (not lower by {_pct(margin)} or "
            f"more) = {p['p_value']:.3g}."
        )
        if census is not None and census.get("p_value") is not None:
            parts.append(
                "Read design-based, with the county authorities a census (their share known, only the municipal "
                f"side uncertain), the one-sided p would be {census['p_value']:.3g} (a sensitivity, not the verdict)."
            )
    if k_star is None:
        parts.append(f"With {n} county authorities answering, no count of them could show non-inferiority.")
    else:
        parts.append(
            f"**What the test could detect.** With {n} county authorities answering and the municipal share as "
            f'estimated, the test shows "at least as often" only when at least {k_star} of the {n} name the '
            "barrier; the table below gives its power for county rates above and below the municipal share."
        )
    return " ".join(parts)


def power_table(detect: dict, against: str = "municipal share") -> pd.DataFrame:
    """The detectability rows as a table: the county rate as a difference from ``against`` (the municipal share, or
    the rule's level), the rate, and the power."""
    first = f"county rate minus {against}"
    rows = [{first: r["difference"], "county rate": r["rate"], "power": r["power"]} for r in detect["power"]]
    return pd.DataFrame(rows, columns=[first, "county rate", "power"])
