"""A ranking claim: the items a finding names are each named more often than every other item of the question.

``claims.yml`` declares such a claim with ``analysis: {kind: share_ranking, top: [...]}`` and the items compared in
``outcome: {ranked: [...]}`` (e.g. the four barriers a finding calls the largest against the other barriers of
the instrument).  :func:`ranking_evidence` compares every named item with every other item: the difference of
their raked shares over the same respondents, with the paired linearisation variance on the share claims' raked
design (:func:`vsr_analysis.stats.shares.paired_difference_test`, :func:`~vsr_analysis.claims.share_evidence.share_design`),
one-sided that the named item's share is larger.  The claim is the conjunction of all these comparisons, so its
primary p-value is the largest of them (intersection-union, Berger 1982: no adjustment across the comparisons).
The opposite route of each comparison (the other item named significantly *more* often) is a union over the
comparisons and is Bonferroni-adjusted over them here, before the ledger's Holm adjustment of every route.

* :func:`pairs` - the (named, other) pairs of a declared ranking.
* :func:`ranking_evidence` - the comparison table and the ledger's evidence (``primary``, ``n``, ``rule_inputs``).
* :func:`ranking_robustness` - the rule's decision under the share claims' variance and weighting variants and
  with a skipped question counted as naming nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vsr_analysis.claims.share_evidence import MAR_VARIANCE, share_design, variance_variants
from vsr_analysis.stats.calibration_variance import RakedDesign
from vsr_analysis.stats.descriptives import as_float
from vsr_analysis.stats.shares import paired_difference_test

#: Columns of the comparison table.
COLUMNS = ["named", "other", "pair", "n", "share named", "share other", "difference", "ci_low", "ci_high",
           "p_value", "p_opposite"]  # fmt: skip


def pairs(top: Sequence[str], ranked: Sequence[str]) -> list[tuple[str, str]]:
    """Every (named item, other item) pair: each item of ``top`` against each item of ``ranked`` not in ``top``."""
    others = [i for i in ranked if i not in top]
    return [(a, b) for a in top for b in others]


def pair_name(a: str, b: str) -> str:
    return f"{a} > {b}"


def ranking_evidence(
    frame: pd.DataFrame,
    top: Sequence[str],
    ranked: Sequence[str],
    *,
    design: RakedDesign | None = None,
    margins=None,
    level: float = 0.95,
    variance: str = "poisson",
    blank_as_no: bool = False,
) -> tuple[pd.DataFrame, dict]:
    """The comparisons of a ranking claim and its evidence, from the analysis frame (all units, ``responded``,
    raking ``weight``).

    Returns ``(table, evidence)``: one table row per pair (:data:`COLUMNS`; the difference's interval at
    ``level``), and the evidence the ledger reads: ``primary`` (the pair with the smallest estimated difference:
    its difference and interval, which estimate the ranking's margin, the smallest named share minus the largest
    other share; ``p_value`` the largest one-sided p-value of the pairs), ``n`` (respondents answering the question's
    items), ``rule_inputs`` (``components``: each pair's difference and one-sided p; ``route_p_values``:
    ``opposite:<pair>``, Bonferroni over the pairs; ``top``, ``others``).  ``variance``: the linearisation's
    finite-population factor (``calibration_variance.VARIANCES``); ``blank_as_no``: a unit that skipped an item
    counts as not naming it (a robustness row).
    """
    design = design if design is not None else share_design(frame, margins)
    resp = frame[frame["responded"].astype(bool)]
    every = list(dict.fromkeys([*top, *ranked]))
    values = {i: as_float(resp[i]) for i in every}
    if blank_as_no:
        values = {i: np.nan_to_num(v, nan=0.0) for i, v in values.items()}
    rows = []
    for a, b in pairs(top, ranked):
        t = paired_difference_test(values[a], values[b], design, level=level, variance=variance)
        rows.append({"named": a, "other": b, "pair": pair_name(a, b), "n": t["n"], "share named": t["share_a"],
                     "share other": t["share_b"], "difference": t["estimate"], "ci_low": t["ci_low"],
                     "ci_high": t["ci_high"], "p_value": t["p_value"], "p_opposite": t["p_opposite"]})  # fmt: skip
    table = pd.DataFrame(rows, columns=COLUMNS)
    k = len(table)
    answered = np.isfinite(np.column_stack([values[i] for i in every])).all(axis=1) if len(resp) else np.array([])
    ps = table["p_value"].to_numpy(dtype=float)
    if k and np.isfinite(ps).all():
        worst = table.iloc[int(np.argmin(table["difference"].to_numpy(dtype=float)))]
        primary = {"estimate": worst["difference"], "ci_low": worst["ci_low"], "ci_high": worst["ci_high"],
                   "p_value": float(ps.max())}  # fmt: skip
    else:
        primary = {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
    primary["method"] = (
        f"intersection-union test of {k} one-sided comparisons: each named item's raked share against each other "
        "item's, over the same respondents (paired linearisation, response as Poisson sampling with estimated "
        "propensities; Student's t at the design effect's degrees of freedom); p = the largest one-sided p-value"
    )
    components = {
        r["pair"]: {"estimate": _f(r["difference"]), "p_value": _f(r["p_value"])} for _, r in table.iterrows()
    }
    routes = {f"opposite:{r['pair']}": (None if _f(r["p_opposite"]) is None else min(1.0, k * float(r["p_opposite"])))
              for _, r in table.iterrows()}  # fmt: skip
    evidence = {
        "primary": primary,
        "n": int(answered.sum()),
        "rule_inputs": {
            "components": components,
            "route_p_values": routes,
            "top": list(top),
            "others": [i for i in ranked if i not in top],
        },
    }
    return table, evidence


def ranking_robustness(
    frame: pd.DataFrame, claim_entry: dict, top: Sequence[str], ranked: Sequence[str], design: RakedDesign, alpha: float
) -> pd.DataFrame:
    """One row per variant (the share claims' :func:`~vsr_analysis.claims.share_evidence.variance_variants`, then a
    skipped barrier question counted as naming none): the smallest difference with its interval, the largest
    one-sided p-value and the rule's decision at the unadjusted ``alpha``."""
    from vsr_analysis.claims.ledger import decide

    variants = [(label, des, v, False) for label, des, v in variance_variants(design, MAR_VARIANCE)]
    variants.append(("question left blank counted as naming no barrier", design, "poisson", True))
    rows = []
    for label, des, v, blank in variants:
        _, ev = ranking_evidence(frame, top, ranked, design=des, variance=v, blank_as_no=blank)
        pr = ev["primary"]
        d = decide(claim_entry, ev, alpha, pr["p_value"])
        rows.append({"variant": label, "n": ev["n"], "smallest difference": pr["estimate"], "ci_low": pr["ci_low"],
                     "ci_high": pr["ci_high"], "largest p": pr["p_value"], "decision": d.verdict})  # fmt: skip
    return pd.DataFrame(rows)


def _f(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None
