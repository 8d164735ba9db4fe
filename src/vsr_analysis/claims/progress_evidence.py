"""The progress-measuring proxy: do most municipalities not measure their progress with indicators?

Neither part of the finding is tested as the report states it: "the sector contributes substantially through its ordinary
services" is a judgement about the sector's contribution, and "no good benchmark exists" a statement about
benchmarks; no item of the instrument measures either.  What is tested (``claims.yml``) is a proxy of the second
part: most municipalities do not follow their SDG work up with indicators (``measures_progress`` = 0).  A verdict on
it is not a verdict on the finding: measuring does not make a good benchmark, and one can be missing where
municipalities measure.

* :func:`progress_share_evidence` - the primary test (raked share measuring progress below the level) as ledger evidence.
* :func:`progress_variants` - its robustness rows.
* :func:`progress_by_stage` - the share measuring progress at each stage of the ladder.
* :func:`rung_shares` - the weighted share holding each component item, in the ladder's order, with the
  empirical rank of each rung (1 = the most common), to show where measuring progress sits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.claims.share_evidence import VARIANCE_LABELS, share_design, variance_variants
from vsr_analysis.claims.share_reporting import calibrated_below_test, primary_result
from vsr_analysis.stats.calibration_variance import RakedDesign
from vsr_analysis.stats.descriptives import LADDER_COMPONENTS, as_float
from vsr_analysis.stats.propensity import ResponsePropensity
from vsr_analysis.stats.shares import share_by_group

ITEM = "measures_progress"


def progress_share_evidence(
    frame: pd.DataFrame,
    *,
    threshold: float,
    margins=None,
    propensity: ResponsePropensity | None = None,
    design: RakedDesign | None = None,
    variance: str,
) -> dict:
    """Evidence for the progress-measuring claim from the analysis frame (all municipalities, ``responded``, raking ``weight``).

    The raked share with ``measures_progress`` = 1 and the one-sided test share < ``threshold``: the share
    chapters' calibrated test on the complement, with the linearisation ``variance`` the claim is decided on
    (``claims.spec.share_variance`` of its entry: the assumption-light one, no finite-population factor).  ``margins``
    and ``propensity`` as :func:`vsr_analysis.claims.share_evidence.share_design`; ``design`` in the result is the
    design used, for the robustness rows (:func:`progress_variants`).
    """
    design = design if design is not None else share_design(frame, margins, propensity)
    resp = frame[frame["responded"].astype(bool)]
    t = calibrated_below_test(as_float(resp[ITEM]), design, threshold, variance=variance)
    method = (
        f"one-sided test that the raked share measuring progress with indicators is below {threshold:g} "
        f"(linearised raked share of the complement, {VARIANCE_LABELS.get(variance, variance)})"
    )
    return {
        "primary": primary_result(t, method),
        "n": int(t.get("n", 0)),
        "rule_inputs": {"threshold": float(threshold), "n_eff": t.get("n_eff")},
        "test": t,
        "design": design,
    }


def progress_variants(frame: pd.DataFrame, design, threshold: float, *, variance: str) -> list[tuple[str, dict]]:
    """The progress-measuring claim's robustness rows (label, test): the variance and weighting variants of every share claim, the item
    left blank counted as measuring (the conservative reading), and the self-classified stage 5 instead of the
    item (``variance``: the one the claim is decided on, the first row's)."""
    resp = frame[frame["responded"].astype(bool)]
    x = as_float(resp[ITEM])
    stage = as_float(resp["maturity_stage"])
    stage5 = np.where(np.isnan(stage), np.nan, (stage == 5).astype(float))
    rows = [
        (label, calibrated_below_test(x, des, threshold, variance=v))
        for label, des, v in variance_variants(design, variance)
    ]
    blank = calibrated_below_test(np.nan_to_num(x, nan=1.0), design, threshold, variance=variance)
    rows.append(("item left blank counted as measuring", blank))
    rows.append(
        (
            "self-classified stage 5 instead of the item",
            calibrated_below_test(stage5, design, threshold, variance=variance),
        )
    )
    return rows


def progress_by_stage(
    respondents: pd.DataFrame, *, sampling_fraction: float, stage_labels: dict[int, str], weight: str = "weight"
) -> pd.DataFrame:
    """Weighted share measuring progress at each maturity stage (Wilson; domain finite-population correction)."""
    data = respondents[np.isfinite(as_float(respondents["maturity_stage"]))]
    stages = list(range(len(stage_labels)))
    data = data.assign(stage=as_float(data["maturity_stage"]).astype(int))
    t = share_by_group(
        data, ITEM, "stage", weight=weight, order=stages, sampling_fraction=sampling_fraction, total_label=None
    )
    t.insert(1, "stage name", [stage_labels[s] for s in stages])
    return t.rename(columns={"group": "stage", "n": "municipalities", "n_yes": "measuring"})


def progress_groups(respondents: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """The respondents behind each row of :func:`progress_by_stage` (for the disclosure engine)."""
    stage = as_float(respondents["maturity_stage"])
    return {s: respondents[stage == s] for s in sorted({int(v) for v in stage[np.isfinite(stage)]})}


def rung_shares(
    respondents: pd.DataFrame, *, population_size: int, labels: dict[str, str], weight: str = "weight"
) -> pd.DataFrame:
    """Weighted share holding each component item (the ladder's rungs), in the ladder's order, with its rank."""
    rows = []
    for item, stage in LADDER_COMPONENTS.items():
        r = share_by_group(respondents, item, None, weight=weight, population_size=population_size).iloc[0]
        rows.append(
            {
                "rung": labels[item],
                "item": item,
                "stage that implies it": str(stage),  # text: a label, never suppressed as a derived value
                "municipalities answering": int(r["n"]),
                "municipalities with it": int(r["n_yes"]),
                "share (weighted)": r["share"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
            }
        )
    out = pd.DataFrame(rows)
    out["rank (1 = most common)"] = out["share (weighted)"].rank(ascending=False, method="min").astype("Int64")
    return out
