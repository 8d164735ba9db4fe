"""What the verdict cards and the claims page say about a claim's power: its minimum detectable effect, read from
the table the *Power and design* chapter wrote (``results/power-design/mde.csv``; computed by
:mod:`vsr_analysis.simulate.power`, shown by :mod:`vsr_analysis.simulate.power_page`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

PAGE = "power-design"
MDE_TABLE = "mde"

#: The knob's effect scale for a share (a percentage in the text).
_SHARE_SCALES = ("true share", "probability")


def is_share_scale(scale: str) -> bool:
    return str(scale).startswith(_SHARE_SCALES)


def fmt_effect(value, scale: str, se=None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if str(scale).startswith(("lead", "difference")):  # a difference of shares (a ranking's lead, county - municipal)
        text = f"{100 * float(value):.1f} percentage points"
        return text + (f" (± {100 * float(se):.1f})" if se is not None and se == se else "")
    if is_share_scale(scale):
        text = f"{100 * float(value):.1f} %"
        return text + (f" (± {100 * float(se):.1f})" if se is not None and se == se else "")
    text = f"{float(value):.2f}"
    return text + (f" (± {float(se):.2f})" if se is not None and se == se else "")


def _present(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def mde_phrase(row: dict) -> str:
    """What the rule detects with 80 % power, in words, from one row of the MDE table."""
    scale = str(row.get("effect_scale", ""))
    if not _present(row.get("kind")):
        return f"not computed ({scale})"
    status = row.get("status_alpha")
    if status == "beyond_grid":
        return (
            "not within the effects simulated (the rule needs a larger effect than the grid's largest for 80 % power)"
        )
    text = f"{scale}: {fmt_effect(row.get('mde_alpha'), scale)} at α"
    if is_share_scale(scale) and _present(row.get("null_effect")) and scale.startswith("true share"):
        text += f" (the rule's level: {fmt_effect(row['null_effect'], scale)})"
    sd = row.get("term_sd")
    if not is_share_scale(scale) and _present(sd) and float(sd) > 0 and _present(row.get("mde_alpha")):
        per_unit = float(row["mde_alpha"]) / float(sd)
        text += f" ({per_unit:.2f} per unit of the term, odds ratio {math.exp(per_unit):.2f})"
    if bool(row.get("holm_adjusted", True)):
        holm = fmt_effect(row.get("mde_holm"), scale) if row.get("status_holm") != "beyond_grid" else "beyond the grid"
        text += f", {holm} at Holm's most stringent level (its Holm level lies between the two)"
    elif str(row.get("confirmatory", True)).lower() in ("false", "0"):  # an exploratory claim (e.g. the county ones)
        text += " (an exploratory claim, decided at the unadjusted α: no Holm level applies)"
    else:
        text += " (no p-value enters its rule's supported route, so no Holm level applies)"
    return text


def releasable(mde: pd.DataFrame, confidential: bool) -> pd.DataFrame:
    """The MDE table as it may be published: on a confidential file without the SD of a term among the respondents
    (for a 0/1 survey item it would tell the share answering 1, and 0 that all answered alike); the MDE per SD,
    a statistic of simulated outcomes, stays."""
    return mde.drop(columns=["term_sd"], errors="ignore") if confidential else mde


def read_mde(results_dir: Path | None) -> pd.DataFrame | None:
    """The MDE table the power chapter of this run wrote (None: the chapter was not part of the run)."""
    if results_dir is None:
        return None
    path = Path(results_dir) / PAGE / f"{MDE_TABLE}.csv"
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={"claim": str}, keep_default_na=True).drop(columns=["data"], errors="ignore")


def mde_row(mde: pd.DataFrame | None, claim_id: str) -> dict | None:
    if mde is None:
        return None
    rows = mde[mde["claim"] == claim_id]
    if rows.empty:
        return None
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rows.iloc[0].to_dict().items()}
