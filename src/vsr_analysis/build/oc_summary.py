"""The first table of "How often are the verdicts right?": one row per claim, readable in two minutes.

For each claim: how often its rule says *supported* over the simulated surveys where the claim is true (power)
and where it is false (false positives), pooled over scenarios, with the scenario where it does worst, and
whether that is inside its target (power of at least 80 %, false positives at most 5 %). Every row carries the
id ``oc-<claim>`` that the claims page and the verdict cards link to.
"""

from __future__ import annotations

import html

import pandas as pd

from vsr_analysis.build import verdict_card as vc

POWER_TARGET = 0.80
FALSE_POSITIVE_TARGET = 0.05


def summary_rows(oc: pd.DataFrame) -> list[dict]:
    """One dict per claim (in the order of the table) with the pooled rates, worst scenarios and target flags."""
    rows = []
    for claim in dict.fromkeys(oc["claim"]):
        c = vc.chances(oc, claim)
        rows.append(
            {
                "claim": claim,
                "chances": c,
                "power_ok": None if c.if_true is None else c.if_true >= POWER_TARGET,
                "fp_ok": None if c.if_false is None else c.if_false <= FALSE_POSITIVE_TARGET,
            }
        )
    return rows


def _cell(rate, n, worst, kind: str, ok, few: str = "") -> str:
    if rate is None:
        return f'<td class="num">–<span class="scale">no scenario makes it {kind}</span></td>'
    digits = 0 if kind == "true" else 1
    mark = "" if ok else ' <span class="off-target">outside target</span>'
    which = "lowest" if kind == "true" else "highest"
    return (
        f'<td class="num">{100 * rate:.{digits}f} %{mark}<span class="scale">of {n:,} simulated surveys; {which} '
        f"{100 * worst[1]:.{digits}f} % ({html.escape(worst[0])}){html.escape(few)}</span></td>"
    )


def summary_html(oc: pd.DataFrame) -> str:
    body = []
    for r in summary_rows(oc):
        c = r["chances"]
        body.append(
            f'<tr id="{vc.oc_anchor(r["claim"])}"><td><strong>{html.escape(r["claim"])}</strong></td>'
            + _cell(c.if_true, c.n_true, c.lowest_true, "true", r["power_ok"] is not False, vc.few_text(c, "true"))
            + _cell(c.if_false, c.n_false, c.highest_false, "false", r["fp_ok"] is not False, vc.few_text(c, "false"))
            + "</tr>"
        )
    return (
        '<div class="table-scroll"><table class="result-table oc-summary">'
        "<thead><tr><th>Claim</th><th>Supported when the claim is true (power)</th>"
        "<th>Supported when the claim is false (false positives)</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
    )


def show(oc: pd.DataFrame) -> None:
    """Display the one-row-per-claim summary (in a notebook) with its caption."""
    from IPython.display import HTML, display

    display(
        HTML(
            '<p class="table-caption"><strong>Each claim in one row (SIMULATED surveys): how often its rule says '
            f"<em>supported</em>, pooled over the scenarios; targets: at least {POWER_TARGET:.0%} when true, at most "
            f"{FALSE_POSITIVE_TARGET:.0%} when false</strong></p>" + summary_html(oc)
        )
    )
