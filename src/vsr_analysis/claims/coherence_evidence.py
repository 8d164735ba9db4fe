"""F10: "a sectorised state hinders coherent work" (lack of policy coherence).

Pre-specified reading (``claims.yml``): the barrier the finding names is measured by two items of the barrier
question, ``barrier_policy_coherence`` (a sectorised state, lack of policy coherence) and
``barrier_national_guidance`` (national support and guidance); a municipality names the state-level barrier when
it names either.  The primary test is the raked share of municipalities naming either against a stated level.
How county authorities differ is described, never pooled and never part of the verdict: their counts with exact
(Clopper–Pearson) intervals, beside the municipal shares, and Fisher's exact test as an exploratory comparison.

* :func:`either_named` - the 0/1 "names either item" outcome (NaN when it cannot be known).
* :func:`f10_evidence` - the primary test as ledger evidence; :func:`f10_variants` - its robustness rows.
* :func:`municipal_table` - the raked municipal share naming each item and either of them.
* :func:`with_either` - a frame with the derived "either" column, e.g. the county rows for
  :func:`vsr_analysis.stats.county_tables.item_counts`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vsr_analysis.claims.share_evidence import any_of_outcome, share_design, variance_variants
from vsr_analysis.claims.share_reporting import primary_result
from vsr_analysis.stats.calibration_variance import RakedDesign
from vsr_analysis.stats.descriptives import as_float
from vsr_analysis.stats.propensity import ResponsePropensity
from vsr_analysis.stats.shares import calibrated_share_test, share_by_group

ITEMS = ("barrier_policy_coherence", "barrier_national_guidance")
EITHER = "either_state_barrier"


def either_named(data: pd.DataFrame, items: Sequence[str] = ITEMS) -> np.ndarray:
    """1 where any of ``items`` is 1; 0 where all are answered 0; NaN otherwise (not answered, or unknown)."""
    return any_of_outcome(data, items)


def joint_cells_small(data: pd.DataFrame, items: Sequence[str] = ITEMS, minimum: int = 3) -> bool:
    """Does a cell of the items' joint table (both, only one, only the other, neither) hold 1 to ``minimum`` - 1
    units? The "either" row's counts beside the items' own give that table back (both = n1 + n2 - either), which
    the disclosure engine, working item by item, cannot see: on a confidential run the row's counts are then hidden."""
    x = np.column_stack([as_float(data[i]) for i in items]) if len(data) else np.empty((0, len(items)))
    x = x[np.isfinite(x).all(axis=1)]
    if not len(x):
        return False
    _, counts = np.unique(x, axis=0, return_counts=True)
    return bool(((counts > 0) & (counts < minimum)).any())


def f10_evidence(
    frame: pd.DataFrame,
    *,
    threshold: float,
    items: Sequence[str] = ITEMS,
    margins=None,
    propensity: ResponsePropensity | None = None,
    design: RakedDesign | None = None,
) -> dict:
    """Evidence for F10 from the analysis frame (all municipalities, ``responded``, raking ``weight``): the raked
    share naming either item, one-sided test share > ``threshold`` (the share chapters' calibrated test)."""
    design = design if design is not None else share_design(frame, margins, propensity)
    resp = frame[frame["responded"].astype(bool)]
    t = calibrated_share_test(either_named(resp, items), design, threshold)
    method = (
        f"one-sided test that the raked share naming {' or '.join(items)} exceeds {threshold:g} "
        "(linearised raked share, response as Poisson sampling with estimated propensities)"
    )
    return {
        "primary": primary_result(t, method),
        "n": int(t.get("n", 0)),
        "rule_inputs": {"threshold": float(threshold), "items": list(items)},
        "test": t,
        "design": design,
    }


def f10_variants(frame: pd.DataFrame, design, threshold: float, labels: dict[str, str]) -> list[tuple[str, dict]]:
    """F10's robustness rows (label, test): the variance and weighting variants of every share claim, each item
    alone, and a skipped barrier question counted as naming neither."""
    resp = frame[frame["responded"].astype(bool)]
    either = either_named(resp)
    rows = [
        (label, calibrated_share_test(either, des, threshold, variance=v))
        for label, des, v in variance_variants(design)
    ]
    rows += [
        (f"{labels.get(i, i)} alone", calibrated_share_test(either_named(resp, [i]), design, threshold)) for i in ITEMS
    ]
    rows.append(("barrier question skipped counted as naming neither",
                 calibrated_share_test(np.nan_to_num(either, nan=0.0), design, threshold)))  # fmt: skip
    return rows


def municipal_table(
    respondents: pd.DataFrame,
    labels: dict[str, str],
    *,
    population_size: int,
    items: Sequence[str] = ITEMS,
    weight: str = "weight",
    design: RakedDesign | None = None,
) -> pd.DataFrame:
    """Raked share of municipalities naming each item and either of them, with a 95 % interval.

    With ``design`` (the F10 evidence's raked design, respondents in the same order) every interval is the share
    claims' primary one (:func:`calibrated_share_test`: response as Poisson sampling), so the "either" row agrees
    with the primary test; without it, Wilson at Kish's effective n with the global finite-population factor.
    """
    resp = respondents.assign(**{EITHER: either_named(respondents, items)})
    rows = []
    for item in [*items, EITHER]:
        m = share_by_group(resp, item, None, weight=weight, population_size=population_size).iloc[0]
        low, high = m["ci_low"], m["ci_high"]
        if design is not None:
            t = calibrated_share_test(as_float(resp[item]), design, 0.5)
            low, high = t["ci_low"], t["ci_high"]
        rows.append(
            {
                "barrier": labels.get(item, "either of the two"),
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


def with_either(data: pd.DataFrame, items: Sequence[str] = ITEMS) -> pd.DataFrame:
    """``data`` with the derived column ``either_state_barrier``."""
    return data.assign(**{EITHER: either_named(data, items)})
