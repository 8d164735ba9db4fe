"""What a reader needs first about a claim: its verdict in words, the estimate on a scale a policy reader
understands, what the rule needed, one p-value named as what it is, and how often the rule says *supported*.

Used by the claims page (one row per finding) and by the verdict card stamped at the top of every finding
chapter after the ledger is built (:func:`stamp_verdict_cards`, Sphinx-free post-processing of the executed
notebooks, like ``final_verdicts``). Everything comes from the ledger, the chapters' evidence files and the
operating-characteristics table the book's "How often are the verdicts right?" page uses, and the minimum
detectable effects the "Power and design" page computed (:mod:`vsr_analysis.claims.power_statement`).
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from vsr_analysis.build.glossary import PLAIN_LABELS, TermLinker

TAG = "verdict-card"
OC_PAGE = "operating-characteristics"

#: What each verdict means, in words (the glossary term it links to is "Inconclusive").
VERDICT_MEANING = {
    "supported": "the pre-specified test showed the claim at the 5 % level after adjustment for testing several claims",
    "not supported": "the evidence goes against the claim: an effect of the opposite sign, an effect shown "
    "negligible, or a share whose whole interval lies on the wrong side of the level",
    "inconclusive": "the survey cannot tell: the test did not show the claim and nothing showed it false; "
    "this is not evidence that the claim is false",
}

#: An existence claim is shown by examples, not by a test.
EXISTENCE_MEANING = {
    "supported": "enough validated examples were found to show the claim (a count; no test, no adjustment)",
    "not supported": "no example was found and a necessary-condition analysis shows the condition is required",
    "inconclusive": VERDICT_MEANING["inconclusive"],
}


#: What *supported* means for a claim outside the Holm family (exploratory: the county claims).
EXPLORATORY_SUPPORTED = (
    "the pre-specified test showed the claim at the unadjusted 5 % level (an exploratory claim, outside the "
    "adjustment for testing several claims)"
)


def meaning(entry: dict) -> str:
    """What the entry's verdict means, in words, for its kind of rule."""
    table = EXISTENCE_MEANING if entry.get("rule") == "existence" else VERDICT_MEANING
    if entry["verdict"] == "supported" and str(entry.get("multiplicity", "")).startswith("exploratory"):
        return EXPLORATORY_SUPPORTED
    return table[entry["verdict"]]


#: How an odds ratio of a variable is read: the comparison it makes, and the factor that turns its log-odds
#: coefficient into that comparison (population enters as ln(inhabitants): a doubling is ln 2 units).
ODDS_UNITS: dict[str, tuple[str, float]] = {
    "political_anchoring": ("per step up the 1–5 scale of political priority", 1.0),
    "merged_2017_2020": ("merged 2017–2020 vs not merged", 1.0),
    "log_population": ("per doubling of the number of inhabitants", math.log(2)),
    "centrality": ("per 100 points of the SSB centrality index", 1.0),
    "network_member": ("members of an SDG network vs non-members", 1.0),
    "network_kinds": ("per additional kind of SDG network (0–3)", 1.0),
    "cooperates_with_county": ("working with the county authority vs not", 1.0),
}
LOG_ODDS_RULES = {"directional", "one_sided", "intersection_union"}
SHARE_RULES = {"share_above", "share_below", "share_above_and_spread"}


def fmt_p(value) -> str:
    """A p-value for reading: '< 0.001' below 0.001, else three decimals ('–' when there is none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f} %"


def _num(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def readable_reason(entry: dict) -> str:
    """The ledger's reason with p-values written for reading ('< 0.001', three decimals) and, where the verdict
    uses the Holm-adjusted p-value, labelled as Holm-adjusted."""
    m = entry.get("multiplicity", "")
    adjusted = "Holm" in m or m.startswith("as ")

    def repl(match: re.Match) -> str:
        value = float(match.group(2))
        shown = fmt_p(value)
        sign = "p " + (shown if shown.startswith("<") else f"= {shown}")
        return ("Holm-adjusted " if adjusted else "") + f"{match.group(1) or ''}{sign}"

    text = re.sub(r"((?:one|two)-sided )?p = ([0-9.]+(?:e-?[0-9]+)?)", repl, entry.get("reason", ""))
    unit = condition_unit(entry.get("parameter_set"))
    if unit:  # an NCA ceiling's required level, with its unit
        text = re.sub(r"the ceiling requires ([0-9][0-9,.]*)", rf"the NCA ceiling requires \1 {unit}", text)
    return text


#: Units of the conditions NCA chapters use (the existence template's default condition is the population).
CONDITION_UNITS = {"population_2021": "inhabitants", "centrality_score": "points of the SSB centrality index"}


#: ``load_runspec()`` by the run spec's path, size and modification time: loading checks every notebook pair
#: (about 0.3 CPU s), and a run or a book build asks once per ledger entry, verdict card and page.
_RUNSPEC_CACHE: dict = {}


def _cached_runspec():
    from vsr_analysis import paths
    from vsr_analysis.inputs.runspec import load_runspec

    path = paths.runspec_path()
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        return load_runspec()
    if key not in _RUNSPEC_CACHE:
        try:
            _RUNSPEC_CACHE[key] = load_runspec()
        except (OSError, ValueError) as exc:
            _RUNSPEC_CACHE[key] = exc
    cached = _RUNSPEC_CACHE[key]
    if isinstance(cached, Exception):
        raise cached
    return cached


def condition_unit(parameter_set: str | None) -> str | None:
    """The unit of the condition a parameter set's NCA uses (from runspec.yml), or None."""
    if not parameter_set:
        return None
    try:
        pset = next(p for p in _cached_runspec().parameter_sets if p.name == parameter_set)
    except (StopIteration, OSError, ValueError):
        return None
    if "necessity" not in pset.template.name:
        return None
    return CONDITION_UNITS.get(pset.parameters.get("condition", "population_2021"))


@dataclass
class Estimate:
    value: str  # e.g. "odds ratio 1.53 [1.24, 1.89]"
    unit: str  # what it compares / is a share of
    needed: str  # what the rule needed for "supported"


def variable_of(entry: dict, claim: dict | None, evidence: dict | None = None) -> str | None:
    """The model variable a log-odds estimate belongs to (the component, or the weakest one of a conjunction)."""
    if claim and claim.get("evidence_part"):
        return claim["evidence_part"]
    p = entry.get("primary", {})
    weakest = p.get("weakest_component") or ((evidence or {}).get("primary") or {}).get("weakest_component")
    if weakest:
        return weakest
    m = re.search(r"coefficient of (\w+)|test \(HC0\) of (\w+) >", p.get("method") or "")
    return (m.group(1) or m.group(2)) if m else None


def _odds(var: str | None, est, lo, hi) -> tuple[str, str]:
    unit, factor = ODDS_UNITS.get(var or "", ("per unit of the characteristic", 1.0))
    e = _num(est)
    if e is None:
        return "not estimated", unit
    text = f"odds ratio {math.exp(e * factor):.2f}"
    if _num(lo) is not None and _num(hi) is not None:
        text += f" [{math.exp(lo * factor):.2f}, {math.exp(hi * factor):.2f}]"
    return text, unit


def estimate(entry: dict, claim: dict | None, evidence: dict | None = None) -> Estimate:
    """The primary estimate on a scale a policy reader understands, with its 95 % interval and its unit."""
    rule = entry["rule"]
    params = (claim or {}).get("rule_parameters") or {}
    p = entry.get("primary", {})
    if rule in LOG_ODDS_RULES:
        var = variable_of(entry, claim, evidence)
        lo, hi = p.get("ci_low"), p.get("ci_high")
        part = ((evidence or {}).get("parts") or {}).get(var or "", {}).get("primary", {})
        if lo is None and part:  # a conjunction: the weakest part's interval from its own model
            lo, hi = part.get("ci_low"), part.get("ci_high")
        value, unit = _odds(var, p.get("estimate"), lo, hi)
        if rule == "intersection_union" and var:
            unit = f"weakest part ({PLAIN_LABELS.get(var, var)}): {unit}"
        sesoi = float(params.get("sesoi_log_odds", 0.2))
        needed = (
            "an odds ratio above 1, significant at 5 % (one-sided"
            + (", every part" if rule == "intersection_union" else "")
            + f"); shown negligible if inside {math.exp(-sesoi):.2f}–{math.exp(sesoi):.2f}"
        )
        if rule == "directional":
            needed = needed.replace("(one-sided", "(two-sided")
        return Estimate(value, unit, needed)
    if rule in SHARE_RULES:
        e = _num(p.get("estimate"))
        value = "not estimated" if e is None else _pct(e)
        if e is not None and _num(p.get("ci_low")) is not None:
            value += f" [{_pct(p['ci_low'])}, {_pct(p['ci_high'])}]"
        level = float(params.get("threshold", 0.5))
        side = "below" if rule == "share_below" else "above"
        if e is not None:
            diff = round(100 * (e - level))
            value += f"; {'±0' if diff == 0 else f'{diff:+d}'} percentage points from the {_pct(level)} level"
        unit = "of the 356 municipalities, weighted to the register"
        if ((claim or {}).get("population") or {}).get("units") == "county_authorities":
            unit = f"of the {entry.get('n', 0)} county authorities that answered (a count; no weights)"
        needed = f"a share significantly {side} {_pct(level)}"
        if rule == "share_above_and_spread":
            needed += (
                f" and at least {params.get('min_stages', 3)} of the 6 stages each holding "
                f"≥ {_pct(float(params.get('min_stage_share', 0.1)))}"
            )
        return Estimate(value, unit, needed)
    if rule == "noninferior":
        e, lo, hi = _num(p.get("estimate")), _num(p.get("ci_low")), _num(p.get("ci_high"))
        margin = float(params.get("margin", 0.1))
        value = "not estimated" if e is None else f"{100 * e:+.0f} percentage points"
        if e is not None and lo is not None and hi is not None:
            value += f" (one-sided test's interval {100 * lo:+.0f} to {100 * hi:+.0f})"
        return Estimate(
            value,
            "share of the county authorities minus the raked share of the municipalities",
            f"the lower limit of that interval above −{100 * margin:.0f} percentage points (not lower by the margin)",
        )
    if rule == "share_ranking":
        e = _num(p.get("estimate"))
        value = "not estimated" if e is None else f"{100 * e:+.0f} percentage points"
        if e is not None and _num(p.get("ci_low")) is not None:
            value += f" [{100 * p['ci_low']:+.0f}, {100 * p['ci_high']:+.0f}]"
        components = (((evidence or {}).get("rule_inputs") or {}).get("components")) or {}
        return Estimate(
            value,
            "smallest lead of a named item's weighted share over another item's (same respondents)",
            "every named item named significantly more often than every other item (one-sided"
            + (f", all {len(components)} comparisons" if components else ", every comparison")
            + ")",
        )
    if rule == "existence":
        e = _num(p.get("estimate"))
        value = "not counted" if e is None else f"{e:.0f}"  # the unit says what is counted
        return Estimate(
            value,
            "municipalities below the threshold at the top stages, confirmed by the ladder's items",
            f"at least {params.get('min_cases', 3)} such municipalities",
        )
    from vsr_analysis.claims.estimate_scales import scale_for

    scale = scale_for(rule)  # any other rule: what its number measures, on which scale
    e = _num(p.get("estimate"))
    value = "–" if e is None else f"{e:.3f}"
    if p.get("df") is not None and e is not None:
        value = f"χ²({p['df']}) = {value}"
    return Estimate(value, f"{scale.measures}; {scale.scale}", "see the chapter's decision rule")


def p_label(entry: dict) -> tuple[str, str]:
    """(label, value) of the one p-value the verdict uses, named as what it is."""
    from vsr_analysis.claims.estimate_scales import scale_for

    if not scale_for(entry["rule"]).uses_p_value:
        return "p-value", "not used (the verdict rests on a count)"
    p = entry.get("primary", {})
    m = entry.get("multiplicity", "")
    adjusted = "Holm" in m or m.startswith("as ")
    sided = "two-sided" if entry["rule"] == "directional" else "one-sided"
    label = f"{sided} p, Holm-adjusted" if adjusted else f"{sided} p"
    return label, fmt_p(p.get("p_value_adjusted") if adjusted else p.get("p_value"))


# ---- operating characteristics ------------------------------------------------------------------------------


def _read(path: Path) -> pd.DataFrame:
    """A CSV of operating characteristics; a scenario called "null" stays a name, not a missing value."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def load_oc(results_dir: Path, stored_dir: Path | None = None) -> tuple[pd.DataFrame | None, str]:
    """The table the operating-characteristics page used, and a sentence saying which run it is.

    The page writes the table it shows to ``results/operating-characteristics/``; it is the stored run's when
    that run is current, else a small run made at build time (then the sentence says so).
    """
    from vsr_analysis import paths

    used = results_dir / OC_PAGE / "operating_characteristics.csv"
    stored_dir = stored_dir or paths.project_root() / "data" / "operating-characteristics"
    stored = stored_dir / "operating_characteristics.csv"
    if not used.is_file():
        return None, "the operating-characteristics page was not part of this run"
    oc = _read(used).drop(columns=["data"], errors="ignore")
    if stored.is_file():
        st = _read(stored)
        key = ["scenario", "claim", "truth", "n_seeds", "supported"]
        same = len(st) == len(oc) and st[key].round(4).equals(oc[key].round(4).reset_index(drop=True))
        if same:
            prov = {}
            if (stored_dir / "provenance.json").is_file():
                prov = json.loads((stored_dir / "provenance.json").read_text(encoding="utf-8"))
            n = int(oc["n_seeds"].groupby([oc["scenario"], oc["claim"]]).sum().max())
            return oc, (
                f"from the stored simulation run in `data/operating-characteristics/` ({n:,} simulated surveys per "
                f"scenario, {oc['scenario'].nunique()} scenarios"
                + (f", commit `{(prov.get('git') or {}).get('commit', '')[:12]}`" if prov else "")
                + ")"
            )
    n = int(oc["n_seeds"].groupby([oc["scenario"], oc["claim"]]).sum().max())
    return oc, (
        "from a small run made while this book was built "
        f"({n} simulated surveys per scenario): the stored run in `data/operating-characteristics/` does not "
        "match this code, so the operating-characteristics page uses this small run, and so does this page; "
        "its shares are rough"
    )


@dataclass
class Chances:
    if_true: float | None
    n_true: int
    lowest_true: tuple[str, float] | None
    if_false: float | None
    n_false: int
    highest_false: tuple[str, float] | None
    # A scenario where the claim is true (false) in fewer than MIN_WORST_SEEDS simulated surveys is too small to be
    # "the worst scenario", but one that did worse than it is still said, as (scenario, supported, surveys).
    few_true: tuple[str, int, int] | None = None
    few_false: tuple[str, int, int] | None = None


#: Surveys a scenario needs (with the claim true, or false) to be named as the scenario where the rule does worst.
MIN_WORST_SEEDS = 30


def chances(oc: pd.DataFrame | None, claim_id: str) -> Chances:
    """How often the rule says *supported*, pooled over every simulated survey where the claim is true / false,
    with the scenario where it does worst."""
    if oc is None:
        return Chances(None, 0, None, None, 0, None)
    rows = oc[oc["claim"] == claim_id]
    out, few = [], []
    for truth in ("holds", "fails"):
        r = rows[rows["truth"] == truth]
        n = int(r["n_seeds"].sum())
        if n == 0:
            out += [None, 0, None]
            few.append(None)
            continue
        rate = float((r["supported"] * r["n_seeds"]).sum() / n)
        enough = r["n_seeds"] >= MIN_WORST_SEEDS
        big = r[enough] if enough.any() else r
        worst = big.loc[big["supported"].idxmin() if truth == "holds" else big["supported"].idxmax()]
        out += [rate, n, (str(worst["scenario"]), float(worst["supported"]))]
        small = r[~enough]
        small = (
            small[small["supported"] < worst["supported"]]
            if truth == "holds"
            else small[small["supported"] > worst["supported"]]
        )
        if enough.any() and len(small):
            w = small.loc[small["supported"].idxmin() if truth == "holds" else small["supported"].idxmax()]
            k = int(round(float(w["supported"]) * int(w["n_seeds"])))
            few.append((str(w["scenario"]), k, int(w["n_seeds"])))
        else:
            few.append(None)
    return Chances(*out, *few)


def few_text(c: Chances, truth: str) -> str:
    """ "; in <scenario>, k of n" when a scenario too small to be named the worst (fewer than
    :data:`MIN_WORST_SEEDS` surveys with the claim ``truth``) did worse than the named one: a reader sees it
    with its size instead of not at all."""
    few = c.few_true if truth == "true" else c.few_false
    if few is None:
        return ""
    scenario, k, n = few
    surveys = "survey" if n == 1 else "surveys"
    return f"; in {scenario}, where it is {truth} in only {n} {surveys}, {k} of {n}"


def chance_detail(c: Chances, truth: str) -> tuple[str | None, str]:
    """(the rate of *supported* in words, what it rests on and the worst scenario) when the claim is ``truth``
    ("true"/"false"); the rate is None when no scenario makes the claim so.  The claims page shows the two parts
    in one cell, the verdict card in one sentence (:func:`chance_text`)."""
    if truth == "true":
        if c.if_true is None:
            return None, "no scenario makes it true"
        return _pct(
            c.if_true
        ), f"of {c.n_true:,} simulated surveys; lowest {_pct(c.lowest_true[1])} ({c.lowest_true[0]})" + few_text(
            c, truth
        )
    if c.if_false is None:
        return None, "no scenario makes it false"
    return _pct(c.if_false, 1), (
        f"of {c.n_false:,} simulated surveys; highest {_pct(c.highest_false[1], 1)} ({c.highest_false[0]})"
        + few_text(c, truth)
    )


def chance_text(c: Chances, truth: str) -> str:
    rate, detail = chance_detail(c, truth)
    return detail if rate is None else f"{rate} {detail}"


def power_line(mde_row: dict | None) -> str | None:
    """The card's line on what the rule could detect at this survey's design (from the power chapter's table)."""
    from vsr_analysis.claims.power_statement import PAGE, mde_phrase

    if mde_row is None:
        return None
    return (
        f"- **Smallest effect detected with 80 % power** (at this survey's design, SIMULATED outcomes): "
        f"{mde_phrase(mde_row)}; a smaller true effect would most likely leave the claim *inconclusive*. "
        f'<a href="{PAGE}.html">Power and design</a>.'
    )


# ---- the card in a chapter ----------------------------------------------------------------------------------


def oc_anchor(claim_id: str) -> str:
    return f"oc-{claim_id.lower()}"


def card_markdown(
    entry: dict,
    claim: dict | None,
    evidence: dict | None,
    oc: pd.DataFrame | None,
    oc_source: str,
    simulated: bool,
    components: list[tuple[dict, dict | None]] = (),
    mde_row: dict | None = None,
) -> str:
    """The verdict card (a MyST admonition) for the top of a finding chapter; ``mde_row``: the claim's row of the
    power chapter's MDE table (:mod:`vsr_analysis.claims.power_statement`), stated when given."""
    terms = TermLinker("../")
    verdict = entry["verdict"]
    est = estimate(entry, claim, evidence)
    label, pval = p_label(entry)
    if "Holm" in label:
        label = label.replace("Holm", terms.md("Holm"))
    means = meaning(entry)
    said = terms.md("Inconclusive", "inconclusive") if verdict == "inconclusive" else verdict
    sim = " (SIMULATED data)" if simulated else ""
    lines = [
        f":::{{admonition}} {entry['id']} — verdict: {verdict}{sim}",
        f":class: verdict-card {TAG} verdict-{verdict.replace(' ', '-')}",
        f"**{html.escape(entry['finding'])}**",
        "",
        f"- **Verdict: {said}** — {means}.",
        (
            f"- **Estimate [95 % {terms.md('Confidence interval', 'CI')}]:** {est.value} — {est.unit}."
            if "[" in est.value
            else f"- **Estimate:** {est.value} — {est.unit}."
        ),
    ]
    for comp, cclaim in components:
        cest = estimate(comp, cclaim)
        lines.append(f"  - {comp['id']}: **{comp['verdict']}**, {cest.value} ({cest.unit})")
    lines += [
        f"- **The rule needed:** {est.needed}.",
        f"- **{label}:** {pval}.",
    ]
    c = chances(oc, entry["id"])
    if oc is not None:
        rough = "" if oc_source.startswith("from the stored") else " (a small run made at build time: rough)"
        lines.append(
            f"- **What the survey could detect** ({terms.md('Operating characteristics', 'simulated surveys')}"
            f"{rough}), how often the rule says *supported*: when the claim is true, {chance_text(c, 'true')}; "
            f"when it is false, {chance_text(c, 'false')}. "
            f'<a class="oc-link" href="{OC_PAGE}.html#{oc_anchor(entry["id"])}">How often this rule is right</a>.'
        )
    power = power_line(mde_row)
    if power is not None:
        lines.append(power)
    lines.append(":::")
    return "\n".join(lines)


def _insert_after_title(nb, cell) -> None:
    """Put ``cell`` right after the page's H1 line: split the title cell when it goes on with an introduction."""
    for i, c in enumerate(nb.cells):
        if c.cell_type != "markdown":
            continue
        lines = c.source.split("\n")
        for j, line in enumerate(lines):
            if line.startswith("# "):
                rest = "\n".join(lines[j + 1 :]).strip("\n")
                c.source = "\n".join(lines[: j + 1])
                new = [cell]
                if rest.strip():
                    tail = nbformat.v4.new_markdown_cell(rest)
                    tail.id = f"{c.get('id', 'title')}-intro"[:64]
                    new.append(tail)
                nb.cells[i + 1 : i + 1] = new
                return
    nb.cells.insert(0, cell)


def stamp_verdict_cards(executed_dir: Path, ledger: list[dict], results_dir: Path, simulated: bool) -> list[str]:
    """Put a verdict card right under the title of every finding chapter; returns the chapters stamped."""
    from vsr_analysis.build.final_verdicts import drop_stamped_cells
    from vsr_analysis.claims.ledger import claim_evidence, load_claims_spec, read_evidence
    from vsr_analysis.claims.power_statement import mde_row, read_mde

    spec = {c["id"]: c for c in load_claims_spec()["claims"]}
    oc, oc_source = load_oc(results_dir)
    mde = read_mde(results_dir)
    by_id = {e["id"]: e for e in ledger}
    stamped = []
    drop_stamped_cells(executed_dir, ledger, TAG)  # cards of an earlier run go first
    for entry in ledger:
        claim = spec.get(entry["id"], {})
        if claim.get("evidence_part") and component_of(claim):  # a component: shown inside its parent's card
            continue
        path = executed_dir / f"{entry['parameter_set']}.ipynb"
        if not path.is_file():
            continue
        comps = [
            (by_id[k], spec[k])
            for k in spec
            if spec[k].get("evidence_part")
            and k.startswith(entry["id"])
            and k in by_id
            and re.fullmatch(rf"{entry['id']}[a-z]", k)
        ]
        own = claim_evidence(results_dir, claim) if claim.get("evidence_part") else None
        text = card_markdown(
            entry,
            claim,
            own or read_evidence(results_dir, entry["parameter_set"]),
            oc,
            oc_source,
            simulated,
            comps,
            mde_row(mde, entry["id"]),
        )
        _stamp(path, text, entry["id"])
        stamped.append(entry["parameter_set"])
        for sec in entry.get("secondary", []):  # e.g. by centrality: the same rule, reported beside it
            spath = executed_dir / f"{sec.get('parameter_set')}.ipynb"
            if not spath.is_file() or "primary" not in sec:
                continue
            sentry = {**entry, "verdict": sec["verdict"], "primary": sec["primary"], "multiplicity": "unadjusted"}
            stext = card_markdown(sentry, claim, None, None, oc_source, simulated).replace(
                f"{entry['id']} — verdict:", f"{entry['id']}, secondary analysis — verdict:", 1
            )
            _stamp(
                spath,
                stext + f"\n\nThis analysis is reported beside {entry['id']} and does not change its verdict.",
                entry["id"],
            )
            stamped.append(sec["parameter_set"])
    return stamped


def _stamp(path: Path, text: str, claim_id: str) -> None:
    """Put the card of ``claim_id`` under the page's title, after the cards already stamped there in this pass (a
    chapter that decides several claims, such as the county chapter, has one card each, in ledger order)."""
    nb = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [TAG]
    cell.id = f"{TAG}-{claim_id}".lower()
    nb.cells = [c for c in nb.cells if c.get("id") != cell.id]
    cards = [i for i, c in enumerate(nb.cells) if TAG in c.get("metadata", {}).get("tags", [])]
    if cards:
        nb.cells.insert(cards[-1] + 1, cell)
    else:
        _insert_after_title(nb, cell)
    nbformat.write(nb, path)


def component_of(claim: dict) -> str | None:
    """The claim a component is part of, from its declaration (``multiplicity: {as: ...}`` or
    ``analysis.part_of``); None for a claim of its own, whatever its id (a county claim has an evidence part, no
    parent)."""
    rule = claim.get("multiplicity")
    if isinstance(rule, dict) and rule.get("as"):
        return rule["as"]
    return (claim.get("analysis") or {}).get("part_of")
