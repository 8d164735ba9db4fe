"""The claims page: the report's ten findings at a glance.

One row per finding (a conjunction's parts nested under it), the verdict with its meaning in words, the estimate on a
scale a policy reader understands with its interval and unit, the one p-value the verdict uses (named as what it
is), how often the rule says *supported* when the claim is true and when it is false (the operating-characteristics
table the book's page of that name uses) and a link to that claim's row there. On a phone the table becomes one
card per finding (CSS in ``book/_static/vsr.css``, ``table.glance-table``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from vsr_analysis.build import verdict_card as vc
from vsr_analysis.build.glossary import PLAIN_LABELS, TermLinker, in_book

COLUMNS = (
    "Finding",
    "Verdict",
    "Estimate [95 % CI]",
    "p-value the verdict uses",
    "Supported if true",
    "Supported if false",
    "Detectable with 80 % power",
)


def is_component(claim_id: str) -> bool:
    return re.fullmatch(r"F\d+[a-z]", claim_id) is not None


def _row(e, claim, evidence, oc, simulated, badge, oc_link: bool, component: bool, mde=None) -> str:
    est = vc.estimate(e, claim, evidence)
    label, pval = vc.p_label(e)
    pval, _, why = pval.partition(" (")  # "not used (the verdict rests on a count)": the reason goes under it
    label = why.rstrip(")") or label
    c = vc.chances(oc, e["id"])
    link = f"../executed/{e['parameter_set']}.html"
    oc_href = f"../executed/{vc.OC_PAGE}.html#{vc.oc_anchor(e['id'])}"
    finding = html.escape(e["finding"])
    if component:
        finding = html.escape(e["finding"].split(":", 1)[-1].strip())
    cells = [
        f'<td data-label="Finding"><a class="claim-link" href="{link}"><strong>{e["id"]}</strong></a> {finding}</td>',
        f'<td class="verdict" data-label="Verdict" data-verdict="{e["verdict"]}">{badge(e["verdict"], simulated)}'
        f'<span class="meaning">{html.escape(_short_meaning(e))}</span></td>',
        f'<td data-label="Estimate [95 % CI]">{html.escape(est.value)}<span class="scale">{html.escape(est.unit)}</span></td>',
        f'<td class="num" data-label="p-value the verdict uses">{html.escape(pval)}'
        f'<span class="scale">{html.escape(label)}</span></td>',
        f'<td class="num" data-label="Supported if true">{html.escape(_rate(c.if_true))}'
        f'<span class="scale">{html.escape(_worst(c, "true"))}</span></td>',
        f'<td class="num" data-label="Supported if false">{html.escape(_rate(c.if_false, 1))}'
        f'<span class="scale">{html.escape(_worst(c, "false"))}'
        + (f' · <a class="oc-link" href="{oc_href}">how often right</a>' if oc_link else "")
        + "</span></td>",
        f'<td data-label="Detectable with 80 % power">{html.escape(_detectable(mde, e["id"]))}</td>',
    ]
    cls = "component" if component else "finding"
    return f'<tr id="claim-{e["id"].lower()}" class="{cls}">' + "".join(cells) + "</tr>"


def _short_meaning(e: dict) -> str:
    verdict = e["verdict"]
    if e.get("rule") == "existence" and verdict == "supported":
        return "enough examples found"
    return {
        "supported": "the test showed the claim",
        "not supported": "the evidence goes against it",
        "inconclusive": "the survey cannot tell either way",
    }[verdict]


def _rate(x, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f} %"


def _worst(c: vc.Chances, truth: str) -> str:
    """What the rate rests on and the worst scenario (the card's :func:`verdict_card.chance_text` without the rate,
    which this page shows in its own cell)."""
    return vc.chance_detail(c, truth)[1]


def _detectable(mde, claim_id: str) -> str:
    from vsr_analysis.claims.power_statement import mde_phrase, mde_row

    row = mde_row(mde, claim_id)
    return "–" if row is None else mde_phrase(row)


def claims_page(
    ledger: list[dict],
    source,
    operating_characteristics: bool = True,
    results_dir: Path | None = None,
    *,
    banner,
    badge,
    claims_spec: dict | None = None,
) -> str:
    from vsr_analysis.claims.ledger import load_claims_spec, read_evidence

    spec = claims_spec or load_claims_spec()
    claims = {c["id"]: c for c in spec["claims"]}
    simulated = source is not None and source.kind == "synthetic"
    oc, oc_source = (None, "no operating-characteristics table")
    if results_dir is not None and operating_characteristics:
        oc, oc_source = vc.load_oc(results_dir)
    from vsr_analysis.claims.power_statement import read_mde

    mde = read_mde(results_dir)
    findings = [e for e in ledger if not is_component(e["id"])]
    rows = []
    for e in findings:
        ev = read_evidence(results_dir, e["parameter_set"]) if results_dir is not None else None
        rows.append(_row(e, claims.get(e["id"]), ev, oc, simulated, badge, oc is not None, False, mde))
        for comp in (x for x in ledger if is_component(x["id"]) and x["id"].rstrip("abcdefgh") == e["id"]):
            rows.append(_row(comp, claims.get(comp["id"]), None, oc, simulated, badge, oc is not None, True, mde))
    table = (
        '<div class="table-scroll"><table class="glance-table">\n<thead><tr>'
        + "".join(f"<th>{h}</th>" for h in COLUMNS)
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table></div>"
    )
    counts = {v: sum(e["verdict"] == v for e in findings) for v in vc.VERDICT_MEANING}
    terms = TermLinker("../")
    comps = [e["id"] for e in ledger if is_component(e["id"])]
    parents = " and ".join(dict.fromkeys(c.rstrip("abcdefgh") for c in comps))
    county = [
        e["id"]
        for e in findings
        if ((claims.get(e["id"]) or {}).get("population") or {}).get("units") == "county_authorities"
    ]
    n_recs = len(spec.get("recommendations", []))
    text = (
        "(claims-at-a-glance)=\n# Claims at a glance\n\n"
        + banner(source)
        + f"\nThe report makes **{len(findings) - len(county)} findings**"
        + (
            f"; the county authorities' halves of some are claims of their own ({', '.join(county)}: counts of "
            "at most 11 units, decided outside the Holm family), so the ledger decides "
            f"**{len(findings)} claims**"
            if county
            else ""
        )
        + f". Of them, **{counts['supported']} are supported**, "
        f"**{counts['not supported']} not supported** and **{counts['inconclusive']} inconclusive** under the "
        "pre-specified decision rules ({doc}`../methods/decision-rules`)"
        + (
            f"; {parents}'s parts ({', '.join(comps)}) are shown under {parents} and not counted on their own"
            if comps
            else ""
        )
        + ".\n\n"
        + "```{raw} html\n"
        + table
        + "\n```\n\n"
        + "**What the verdicts mean.**\n\n"
        f"- **supported**: {vc.VERDICT_MEANING['supported']} ({terms.md('Holm')});\n"
        f"- **not supported**: {vc.VERDICT_MEANING['not supported']} (for an effect: an equivalence test, "
        f"{terms.md('TOST')}, inside the {terms.md('SESOI')});\n"
        f"- **{terms.md('Inconclusive', 'inconclusive')}**: {vc.VERDICT_MEANING['inconclusive']}.\n\n"
        "**How to read the estimates.** Effects are "
        f"{terms.md('Odds ratio', 'odds ratios')} of being at a higher maturity stage (1 = no association; the "
        "comparison is stated under each number), shares are percentages of the 356 municipalities weighted to the "
        f"register ({terms.md('Raking', 'raking')}), each with its 95 % {terms.md('Confidence interval', 'confidence interval')} "
        "in brackets. The p-value shown is the one the verdict uses, "
        f"adjusted for testing several findings at once ({terms.md('Holm')}-adjusted) where the rule says so.\n\n"
        f"**How sure is each verdict?** The last two columns give the chance that the claim's rule says *supported* "
        "when the claim is true (its power) and when it is false (a false positive), over simulated surveys "
        f"({terms.md('Operating characteristics', 'operating characteristics')}; SIMULATED data, {oc_source}). "
        + (
            "Each claim's *how often right* link goes to its own row of "
            "{doc}`How often are the verdicts right? <../executed/operating-characteristics>`.\n\n"
            if in_book("book/executed/operating-characteristics")
            else "\n\n"
        )
        + _detectable_text(mde)
        + "Verdicts are computed from `claims.yml` and the evidence, never typed; each finding links to its chapter. "
        "The same ledger is available as {download}`claims.json <../../results/claims.json>` (on a confidential file at the precision the tables are published with).\n\n"
        f"## Recommendations\n\nThe report's {n_recs} recommendations are policy judgements, not findings; "
        "{doc}`recommendations` shows which findings each one rests on and their verdicts.\n\n"
    )
    return text + _primary_tests(ledger, operating_characteristics)


def _detectable_text(mde) -> str:
    if mde is None:
        return ""
    page = (
        "{doc}`Power and design <../executed/power-design>`"
        if in_book("book/executed/power-design")
        else "the power page"
    )
    return (
        "**What could the survey detect?** The last column gives the smallest true effect (for a share: the true "
        "share) at which the claim's rule says *supported* in 80 % of surveys drawn at this survey's design "
        f"(SIMULATED outcomes; {page}). An *inconclusive* verdict on a claim whose true effect is smaller says only "
        "that the survey could not have seen it.\n\n"
    )


def _primary_tests(ledger, operating_characteristics: bool) -> str:  # noqa: ARG001
    from vsr_analysis.build.glossary import plain

    out = []
    for e in ledger:
        p = e.get("primary", {})
        line = f"{e['id']}\n: {plain(p.get('method') or 'not executed')}"
        line += "".join(f"; secondary `{s['parameter_set']}`: {s['verdict']}" for s in e.get("secondary", []))
        out.append(line + "\n")
    return "## The primary tests\n\n" + "\n".join(out)


__all__ = ["claims_page", "PLAIN_LABELS"]
