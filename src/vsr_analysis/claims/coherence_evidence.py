"""The policy-coherence claim: "a sectorised state hinders coherent work" (lack of policy coherence).

Pre-specified reading (``claims.yml``): the barrier the finding names is the instrument's item
``barrier_policy_coherence`` (a sectorised state, lack of policy coherence); the primary test is the raked share of
municipalities naming it against a stated level, the test every share claim on the municipalities uses
(``share_evidence.declared_share_test``, which ``vsr simulate`` runs from the declaration).  National support and
guidance (``barrier_national_guidance``) is another barrier: it is shown beside policy coherence as a description,
never pooled with it for the verdict.  How county authorities differ is described, never pooled and never part of
the verdict: their counts with exact (Clopper–Pearson) intervals, beside the municipal shares.

* :func:`coherence_share_evidence` - the primary test as ledger evidence; :func:`coherence_variants` - its robustness rows.
* :func:`municipal_table` - the raked municipal share naming each state-level item (:data:`ITEMS`).
* :func:`either_named` - the derived "names either item" outcome (descriptive only).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vsr_analysis.claims.share_evidence import (
    NO_FPC_VARIANCE,
    VARIANCE_LABELS,
    any_of_outcome,
    share_design,
    variance_variants,
)
from vsr_analysis.claims.share_reporting import primary_result
from vsr_analysis.stats.calibration_variance import RakedDesign
from vsr_analysis.stats.descriptives import as_float
from vsr_analysis.stats.propensity import ResponsePropensity
from vsr_analysis.stats.shares import calibrated_share_test, share_by_group

#: The state-level items the chapter describes; the first is the claim's item (``claims.yml``: ``outcome.item``).
ITEMS = ("barrier_policy_coherence", "barrier_national_guidance")
PRIMARY_ITEM = ITEMS[0]


def either_named(data: pd.DataFrame, items: Sequence[str] = ITEMS) -> np.ndarray:
    """1 where any of ``items`` is 1; 0 where all are answered 0; NaN otherwise (not answered, or unknown)."""
    return any_of_outcome(data, items)


def coherence_share_evidence(
    frame: pd.DataFrame,
    *,
    threshold: float,
    item: str = PRIMARY_ITEM,
    margins=None,
    propensity: ResponsePropensity | None = None,
    design: RakedDesign | None = None,
    variance: str,
) -> dict:
    """Evidence for the policy-coherence claim from the analysis frame (all municipalities, ``responded``, raking ``weight``): the raked
    share naming ``item``, one-sided test share > ``threshold`` (the share chapters' calibrated test, item
    response as the observed units, as ``share_evidence.declared_share_test`` runs it), with the linearisation
    ``variance`` the claim is decided on (``claims.spec.share_variance`` of its entry)."""
    design = design if design is not None else share_design(frame, margins, propensity)
    resp = frame[frame["responded"].astype(bool)]
    y = as_float(resp[item])
    t = calibrated_share_test(y, design, threshold, variance=variance, observed=np.isfinite(y))
    method = (
        f"one-sided test that the raked share naming {item} exceeds {threshold:g} "
        f"(linearised raked share, {VARIANCE_LABELS.get(variance, variance)})"
    )
    return {
        "primary": primary_result(t, method),
        "n": int(t.get("n", 0)),
        "rule_inputs": {"threshold": float(threshold), "item": item},
        "test": t,
        "design": design,
    }


def coherence_variants(
    frame: pd.DataFrame, design, threshold: float, labels: dict[str, str], item: str = PRIMARY_ITEM, *, variance: str
) -> list[tuple[str, dict]]:
    """The policy-coherence claim's robustness rows (label, test): the variance and weighting variants of every share claim (``variance``:
    the one the claim is decided on, the first row's), and a skipped barrier question counted as not naming the
    item."""
    resp = frame[frame["responded"].astype(bool)]
    y = as_float(resp[item])
    seen = np.isfinite(y)
    rows = [
        (label, calibrated_share_test(y, des, threshold, variance=v, observed=seen))
        for label, des, v in variance_variants(design, variance)
    ]
    rows.append(("barrier question skipped counted as not naming it",
                 calibrated_share_test(np.nan_to_num(y, nan=0.0), design, threshold, variance=variance)))  # fmt: skip
    return rows


def municipal_table(
    respondents: pd.DataFrame,
    labels: dict[str, str],
    *,
    population_size: int,
    items: Sequence[str] = ITEMS,
    weight: str = "weight",
    design: RakedDesign | None = None,
    variance: str = NO_FPC_VARIANCE,
) -> pd.DataFrame:
    """Raked share of municipalities naming each item, with a 95 % interval (no pooled row: each item is its own
    barrier).

    With ``design`` (the evidence's raked design, respondents in the same order) every interval is the share
    claims' primary one (:func:`calibrated_share_test` with ``variance``, the one the claim is decided on), so the claim's row
    agrees with the primary test; without it, Wilson at Kish's effective n with the global finite-population factor.
    """
    resp = respondents
    rows = []
    for item in items:
        m = share_by_group(resp, item, None, weight=weight, population_size=population_size).iloc[0]
        low, high = m["ci_low"], m["ci_high"]
        if design is not None:
            y = as_float(resp[item])
            t = calibrated_share_test(y, design, 0.5, variance=variance, observed=np.isfinite(y))
            low, high = t["ci_low"], t["ci_high"]
        rows.append(
            {
                "barrier": labels.get(item, item),
                "item": item,
                "municipalities answering": int(m["n"]),
                "municipalities naming it": int(m["n_yes"]),
                "share (weighted)": m["share"],
                "ci_low": low,
                "ci_high": high,
                "share (unweighted)": m["share_unweighted"],
            }
        )
    return pd.DataFrame(rows)
