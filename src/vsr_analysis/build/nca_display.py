"""NCA's bottleneck table as a reader reads it: words instead of NaN, infinity and status codes."""

from __future__ import annotations

import math

import pandas as pd

STATUS_WORDS = {
    "NN": "not necessary (any observed level is enough)",
    "NA": "not reached: beyond the observed data",
    "required": "required",
}


def readable_bottleneck(bn: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """``stats.nca.bottleneck``'s table with the required level written out (never ``inf`` or ``NaN``)."""

    def level(v) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "none"
        if math.isinf(v):
            return "beyond the observed data"
        return f"{v:.{digits}f}"

    out = pd.DataFrame({"outcome level": bn["y_level"].map(lambda v: f"{v:g}")})
    out["condition level required"] = [level(float(v)) for v in bn["required_x"]]
    if "required_x_percentile" in bn:
        out["share of cases below it"] = [
            "–" if math.isnan(float(v)) else f"{float(v):.0f} %" for v in bn["required_x_percentile"]
        ]
    out["reading"] = [STATUS_WORDS.get(str(s), str(s)) for s in bn["status"]]
    return out
