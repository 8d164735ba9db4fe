"""The claims ledger: pre-specified decision rules turned into verdicts.

``claims.yml`` states, for every finding, the hypothesis, the primary test and a named decision rule with its
parameters.  Each claim notebook writes its *evidence* (``results/<parameter set>/evidence.json``, see
``claims.evidence.record_evidence``); this module applies Holm's correction across the confirmatory family and the
rules below to that evidence, and writes ``results/claims.json``.  No verdict is ever typed by hand.

Verdicts are one of ``supported``, ``not supported``, ``inconclusive``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.claims.evidence import json_ready
from vsr_analysis.data.yaml_text import read_yaml
from vsr_analysis.stats.multiplicity import holm

VERDICTS = ("supported", "not supported", "inconclusive")


class LedgerError(ValueError):
    pass


@dataclass(frozen=True)
class Decision:
    verdict: str
    reason: str


def load_claims_spec(path: Path | None = None) -> dict:
    path = path or paths.claims_spec_path()
    spec = read_yaml(path)
    from vsr_analysis.claims.spec import claims_from_document

    claims_from_document(spec, where=str(path), rules=RULES)  # every entry checked (ClaimSpecError names it)
    return spec


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def route_p(evidence: dict, name: str, legacy_key: str | None = None) -> float | None:
    """The p-value of a secondary route to a verdict (opposite sign, equivalence, a bound), adjusted if possible.

    A notebook records raw route p-values in ``rule_inputs.route_p_values``; :func:`build_ledger` adds
    ``rule_inputs.route_p_adjusted`` with each passed through the *same* multiplicity adjustment as the claim's
    primary test (see :func:`family_adjuster`).  Inside a chapter (no family known) the raw value is used.
    """
    inputs = evidence.get("rule_inputs", {}) or {}
    adjusted = (inputs.get("route_p_adjusted") or {}).get(name)
    if adjusted is not None:
        return _num(adjusted)
    raw = (inputs.get("route_p_values") or {}).get(name)
    if raw is None and legacy_key is not None:
        raw = inputs.get(legacy_key)
    return _num(raw)


# --- decision rules ---------------------------------------------------------------------------------------
# Each rule receives the notebook's evidence, the significance level and the p-value to compare with it
# (Holm-adjusted for confirmatory claims), plus the rule's parameters from claims.yml.


def rule_directional(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """An effect in a stated direction: supported when significant in that direction.

    ``not supported`` when the effect is significant in the opposite direction, or when an equivalence test
    (TOST against the smallest effect size of interest) shows the effect is negligible; else inconclusive.
    """
    sign = 1 if params.get("direction", "positive") == "positive" else -1
    estimate = _num(evidence["primary"].get("estimate"))
    if estimate is None or p is None:
        return Decision("inconclusive", "no estimate (too few respondents?)")
    if p < alpha and sign * estimate > 0:
        return Decision("supported", f"p = {p:.3g} < {alpha:g} with the stated sign")
    if p < alpha:
        return Decision("not supported", f"significant in the opposite direction (p = {p:.3g})")
    p_equiv = route_p(evidence, "equivalence", legacy_key="equivalence_p")
    if p_equiv is not None and p_equiv < alpha:
        return Decision("not supported", f"equivalence test shows a negligible effect (TOST p = {p_equiv:.3g})")
    return Decision("inconclusive", f"p = {p:.3g} ≥ {alpha:g} and no equivalence shown")


def rule_share_above(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """A share exceeds a pre-specified level: one-sided test of share > threshold.

    ``not supported`` when the upper confidence limit lies below the threshold.
    """
    threshold = float(params["threshold"])
    high = _num(evidence["primary"].get("ci_high"))
    if p is None:
        return Decision("inconclusive", "no estimate")
    if p < alpha:
        return Decision("supported", f"share above {threshold:g} (one-sided p = {p:.3g})")
    p_below = route_p(evidence, "below")
    if p_below is not None:  # the CI-bound route as a p-value, so that it can share the family's adjustment
        if p_below < alpha:
            return Decision("not supported", f"share below {threshold:g} (one-sided p = {p_below:.3g})")
        return Decision("inconclusive", f"one-sided p = {p:.3g} ≥ {alpha:g}; below-threshold p = {p_below:.3g}")
    if high is not None and high < threshold:
        return Decision("not supported", f"upper confidence limit {high:.3f} < {threshold:g}")
    return Decision("inconclusive", f"one-sided p = {p:.3g} ≥ {alpha:g}")


def rule_share_below(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """A share lies below a pre-specified level: one-sided test of share < threshold (e.g. most do not measure progress).

    The evidence's ``p_value`` is that of the one-sided test share < threshold.  ``not supported`` when the
    lower confidence limit lies above the threshold; otherwise inconclusive.
    """
    threshold = float(params["threshold"])
    low = _num(evidence["primary"].get("ci_low"))
    if p is None:
        return Decision("inconclusive", "no estimate")
    if p < alpha:
        return Decision("supported", f"share below {threshold:g} (one-sided p = {p:.3g})")
    if low is not None and low > threshold:
        return Decision("not supported", f"lower confidence limit {low:.3f} > {threshold:g}")
    return Decision("inconclusive", f"one-sided p = {p:.3g} ≥ {alpha:g}")


def rule_share_above_and_spread(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """A share with a spread: most have started (share above a level) *and* maturity varies (enough stages occupied)."""
    started = rule_share_above(evidence, alpha, p, params)
    inputs = evidence.get("rule_inputs", {})
    needed = int(params["min_stages"])
    if inputs.get("stages_above_min_share") is None:
        # no stage distribution (nobody answered the maturity question): nothing to decide on either way
        return Decision("inconclusive", f"{started.reason}; the stage distribution could not be estimated")
    occupied = int(inputs["stages_above_min_share"])
    if started.verdict == "supported" and occupied >= needed:
        return Decision(
            "supported",
            f"{started.reason}; {occupied} stages each hold ≥ {params['min_stage_share']:.0%} (needed {needed})",
        )
    if started.verdict == "not supported" or occupied < needed:
        return Decision(
            "not supported",
            f"{started.reason}; {occupied} stages each hold ≥ {params['min_stage_share']:.0%} (needed {needed})",
        )
    return started


def rule_one_sided(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """One component of a conjunction (its group comparisons): a one-sided test in the stated direction.

    ``p`` is the one-sided p-value for the stated direction.  supported: ``p < alpha``.  not supported: the
    one-sided test in the opposite direction rejects (route ``opposite``) or the equivalence test against the
    smallest effect of interest shows a negligible effect (route ``equivalence``).  Otherwise inconclusive.
    """
    estimate = _num(evidence["primary"].get("estimate"))
    if estimate is None or p is None:
        return Decision("inconclusive", "no estimate (the model could not be fitted)")
    if p < alpha:
        return Decision("supported", f"estimate {estimate:.3g}, one-sided p = {p:.3g} < {alpha:g}")
    p_opp = route_p(evidence, "opposite")
    if p_opp is not None and p_opp < alpha:
        return Decision("not supported", f"significant in the opposite direction (one-sided p = {p_opp:.3g})")
    p_eq = route_p(evidence, "equivalence")
    if p_eq is not None and p_eq < alpha:
        return Decision("not supported", f"equivalence test shows a negligible effect (TOST p = {p_eq:.3g})")
    return Decision("inconclusive", f"estimate {estimate:.3g}, one-sided p = {p:.3g} ≥ {alpha:g}")


def rule_intersection_union(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """A conjunction of components, tested by the intersection-union principle.

    ``p`` is the largest of the components' one-sided p-values (Berger 1982): the conjunction is supported only
    when every component is.  not supported: any component is significantly in the opposite direction or shown
    negligible by equivalence (routes ``opposite:<name>`` and ``equivalence:<name>``, Bonferroni-adjusted over
    the components by the notebook because "any of them" is a union).  Otherwise inconclusive; the reason names
    the components that carry the claim and those that do not.
    """
    components = (evidence.get("rule_inputs", {}) or {}).get("components", {}) or {}
    if p is None or not components:
        return Decision("inconclusive", "model could not be fitted")
    carried = sorted(n for n, c in components.items() if _num(c.get("p_value")) is not None and c["p_value"] < alpha)
    against = []
    for name in sorted(components):
        for route, what in (("opposite", "significantly opposite"), ("equivalence", "negligible")):
            q = route_p(evidence, f"{route}:{name}")
            if q is not None and q < alpha:
                against.append(f"{name} {what} (p = {q:.3g})")
    if p < alpha:
        return Decision("supported", f"every component supported; largest one-sided p = {p:.3g} < {alpha:g}")
    if against:
        return Decision("not supported", "; ".join(against))
    missing = sorted(set(components) - set(carried))
    return Decision(
        "inconclusive",
        f"largest one-sided p = {p:.3g} ≥ {alpha:g}; carried by: {', '.join(carried) or 'none'}; "
        f"not shown: {', '.join(missing)}",
    )


def rule_share_ranking(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """A ranking, "the largest barriers": each named item is named more often than every other item.

    ``p`` is the largest of the pairwise one-sided p-values (named item's raked share > other item's, over the
    same respondents; ``claims.ranking_evidence``), Holm-adjusted at the claim's place in the family: supported
    when it is below ``alpha``, i.e. every comparison holds (intersection-union).  not supported: some other item
    is named significantly *more* often than a named one (route ``opposite:<pair>``, Bonferroni over the pairs by
    the evidence function, then the same Holm adjustment).  Otherwise inconclusive; the reason names the pairs
    not shown.
    """
    inputs = evidence.get("rule_inputs", {}) or {}
    components = inputs.get("components", {}) or {}
    if p is None or not components:
        return Decision("inconclusive", "the shares could not be compared (no answers to compare)")
    if p < alpha:
        return Decision(
            "supported",
            f"every named item named more often than every other item ({len(components)} comparisons); "
            f"largest one-sided p = {p:.3g} < {alpha:g}",
        )
    against = []
    for name in sorted(components):
        q = route_p(evidence, f"opposite:{name}")
        if q is not None and q < alpha:
            against.append(f"{name} reversed (p = {q:.3g})")
    if against:
        return Decision("not supported", "another item is named more often than a named one: " + "; ".join(against))
    missing = sorted(n for n, c in components.items() if _num(c.get("p_value")) is None or c["p_value"] >= alpha)
    return Decision(
        "inconclusive",
        f"largest one-sided p = {p:.3g} ≥ {alpha:g}; not shown at the unadjusted level: {', '.join(missing) or 'none'}",
    )


def _count_text(value) -> str:
    return str(value) if isinstance(value, str) else f"{int(value)}"


def rule_existence(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """An existence claim ("big is not a prerequisite"): validated counterexamples.

    supported: at least ``min_cases`` units below the threshold whose self-classified top stage is confirmed by
    the ladder's items (``validated_counterexamples``).  not supported: no validated counterexample below the
    threshold *and* a significant NCA ceiling (``nca_p_value`` < alpha, unadjusted: the claim is outside the Holm family)
    whose bottleneck for the top stage lies at or above the threshold (``required_at_or_above_threshold``).
    Otherwise inconclusive.  On a confidential run counts of 1-2 arrive as "<3" and required sizes as bands.
    """
    inputs = evidence.get("rule_inputs", {}) or {}
    validated = inputs.get("validated_counterexamples")
    min_cases = int(params.get("min_cases", 3))
    nca_p = _num(inputs.get("nca_p_value"))
    required = inputs.get("required_label") or "—"
    n_valid = None if isinstance(validated, str) or validated is None else int(validated)
    if n_valid is not None and n_valid >= min_cases:
        return Decision(
            "supported",
            f"{n_valid} validated counterexample(s) below the threshold at the top stages (needed {min_cases}); "
            f"the ceiling requires {required}",
        )
    if n_valid == 0 and nca_p is not None and nca_p < alpha and bool(inputs.get("required_at_or_above_threshold")):
        return Decision(
            "not supported",
            f"no validated counterexample below the threshold; significant ceiling (p = {nca_p:.3g}) requiring "
            f"{required}, at or above the threshold",
        )
    return Decision(
        "inconclusive",
        f"{_count_text(validated if validated is not None else 0)} validated counterexample(s) (needed {min_cases}); "
        f"ceiling p = {'–' if nca_p is None else format(nca_p, '.3g')}, requiring {required}",
    )


def rule_noninferior(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """ "At least as often": one share is not lower than another by the ``margin`` or more (non-inferiority).

    ``p`` is the one-sided p-value of H0: difference <= -margin.  supported: ``p < alpha`` (the lower limit of the
    1 - 2 alpha interval of the difference lies above -margin).  not supported: the opposite one-sided test (route
    ``inferior``, H0: difference >= -margin) rejects, i.e. the first share is lower by more than the margin.
    Otherwise inconclusive.  Shares and limits are written in whole percent points (a confidential run publishes
    the reason as it publishes shares).
    """
    margin = float(params["margin"])
    low, high = _num(evidence["primary"].get("ci_low")), _num(evidence["primary"].get("ci_high"))
    if p is None or low is None or high is None:
        return Decision("inconclusive", "no estimate")
    limits = f"interval of the difference {100 * low:.0f} % to {100 * high:.0f} %"
    if p < alpha:
        return Decision(
            "supported", f"not lower by the margin {100 * margin:.0f} % or more: {limits} (one-sided p = {p:.3g})"
        )
    p_inf = route_p(evidence, "inferior")
    if p_inf is not None and p_inf < alpha:
        return Decision(
            "not supported", f"lower by more than the margin {100 * margin:.0f} %: {limits} (one-sided p = {p_inf:.3g})"
        )
    return Decision("inconclusive", f"non-inferiority not shown (one-sided p = {p:.3g} ≥ {alpha:g}); {limits}")


RULES = {
    "directional": rule_directional,
    "share_above": rule_share_above,
    "share_below": rule_share_below,
    "share_above_and_spread": rule_share_above_and_spread,
    "one_sided": rule_one_sided,
    "intersection_union": rule_intersection_union,
    "share_ranking": rule_share_ranking,
    "existence": rule_existence,
    "noninferior": rule_noninferior,
}


def decide(claim: dict, evidence: dict, alpha: float, p_value: float | None) -> Decision:
    if evidence.get("not_estimable"):  # the chapter ended in words (Context.stop_unless_*): its reason, verbatim
        return Decision("inconclusive", f"not estimable on this survey file: {evidence['not_estimable']}")
    return RULES[claim["rule"]](evidence, alpha, p_value, claim.get("rule_parameters", {}) or {})


def read_evidence(results_dir: Path, param_set: str) -> dict | None:
    path = results_dir / param_set / "evidence.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def claim_evidence(results_dir: Path, claim: dict) -> dict | None:
    """The evidence a claim is decided on.

    Most claims have their own evidence file.  A component of a conjunction (``evidence_part`` in
    ``claims.yml``, e.g. a group comparison in its conjunction's chapter) is decided on the part of its parent's evidence named there
    (``parts.<name>`` of the parameter set's evidence.json).
    """
    ev = read_evidence(results_dir, claim["parameter_set"])
    part = claim.get("evidence_part")
    if ev is None or not part:
        return ev
    sub = (ev.get("parts") or {}).get(part)
    if sub is None:
        return None
    inherited = {"not_estimable": ev["not_estimable"]} if ev.get("not_estimable") else {}
    return {"survey": ev.get("survey"), **inherited, **sub}


def in_holm_family(claim: dict) -> bool:
    """Confirmatory claims are in the Holm family unless ``multiplicity`` says otherwise in claims.yml.

    ``multiplicity: none`` (an existence claim, whose verdict uses no p-value of its own) or
    ``multiplicity: {as: <conjunction>}`` (a component decided at its conjunction's place in the family) take a claim out.
    """
    return bool(claim.get("confirmatory", True)) and claim.get("multiplicity", "holm") == "holm"


def family_adjuster(testable: dict[str, float], alpha: float):
    """``adjust(claim_id, q)``: the Holm-adjusted value ``q`` would get in the claim's place in the family.

    Every route to a verdict (the primary test, the opposite sign, an equivalence test, a confidence bound as a
    p-value) passes through this same adjustment, so no route is easier to take than the primary one.  For a
    claim outside the family the value is returned unchanged.
    """

    def adjust(claim_id: str | None, q: float | None) -> float | None:
        q = _num(q)
        if q is None or claim_id is None or claim_id not in testable:
            return q
        return float(holm({**testable, claim_id: q}, alpha=alpha)["p_adjusted"][claim_id])

    return adjust


def _multiplicity_label(claim: dict) -> str:
    rule = claim.get("multiplicity", "holm")
    if isinstance(rule, dict) and rule.get("as"):
        return f"as {rule['as']}: each route adjusted at {rule['as']}'s place in the Holm family"
    if rule == "none":
        return "outside the Holm family (an existence claim; its verdict rests on a count, not on a p-value)"
    if claim.get("confirmatory", True):
        return "Holm across the confirmatory family (every route to a verdict)"
    return "exploratory (no family-wise adjustment)"


def with_adjusted_routes(ev: dict, adjust, family_id: str | None) -> dict:
    routes = (ev.get("rule_inputs") or {}).get("route_p_values") or {}
    if not routes or family_id is None:
        return ev
    inputs = {**ev["rule_inputs"], "route_p_adjusted": {k: adjust(family_id, v) for k, v in routes.items()}}
    return {**ev, "rule_inputs": inputs}


def build_ledger(results_dir: Path, source=None, spec: dict | None = None) -> list[dict]:
    """Apply Holm across the confirmatory family and each claim's rule; return the ledger entries."""
    spec = spec or load_claims_spec()
    alpha = float(spec.get("alpha", 0.05))
    from vsr_analysis.data.checksums import sha256_file

    register_file = paths.register_dir() / "municipalities_2020.csv"
    register_label = f"ssb:{register_file.name}:{sha256_file(register_file)}" if register_file.is_file() else "missing"
    evidence = {c["id"]: claim_evidence(results_dir, c) for c in spec["claims"]}
    confirmatory = {
        c["id"]: (evidence[c["id"]] or {}).get("primary", {}).get("p_value")
        for c in spec["claims"]
        if in_holm_family(c)
    }
    testable = {k: v for k, v in confirmatory.items() if _num(v) is not None}
    adjusted = holm(testable, alpha=alpha)["p_adjusted"].to_dict() if testable else {}
    adjust = family_adjuster(testable, alpha)

    ledger = []
    for claim in spec["claims"]:
        ev = evidence[claim["id"]]
        entry = {
            "id": claim["id"],
            "finding": claim["finding"],
            "hypothesis": claim["hypothesis"].strip(),
        }
        if claim.get(
            "untestable_part"
        ):  # the part of a finding the instrument cannot test (e.g. the first half of the progress-measuring finding)
            entry["untestable_part"] = claim["untestable_part"].strip()
        if ev is None:
            entry.update(verdict="inconclusive", reason="its notebook has not been executed", primary={}, n=0)
        else:
            p_raw = _num(ev["primary"].get("p_value"))
            rule_m = claim.get("multiplicity", "holm")
            family_id = rule_m["as"] if isinstance(rule_m, dict) else (claim["id"] if in_holm_family(claim) else None)
            if in_holm_family(claim):
                p_used = _num(adjusted.get(claim["id"]))
            elif family_id is not None:
                p_used = adjust(family_id, p_raw)
            else:
                p_used = p_raw
            decision = decide(claim, with_adjusted_routes(ev, adjust, family_id), alpha, p_used)
            entry.update(
                verdict=decision.verdict,
                reason=decision.reason,
                primary={k: ev["primary"].get(k) for k in ("method", "estimate", "ci_low", "ci_high", "p_value")},
                n=int(ev.get("n", 0)),
            )
            entry["primary"]["p_value_adjusted"] = p_used
        entry.update(
            data={
                "survey": source.spec if source is not None else (ev or {}).get("survey"),
                # a file source: the file's sha256 and the column map's (name, sha256) beside it
                **{f"survey_{k}": v for k, v in (getattr(source, "provenance", None) or {}).items()},
                "register": register_label,
            },
            rule=claim["rule"],
            alpha=alpha,
            multiplicity=_multiplicity_label(claim),
            confirmatory=bool(claim.get("confirmatory", True)),
            parameter_set=claim["parameter_set"],
            chapter=f"book/executed/{claim['parameter_set']}.ipynb",
        )
        if ev is not None and ev.get("sensitivity"):
            entry["sensitivity"] = ev["sensitivity"]
        secondary = []
        for name in claim.get("secondary_parameter_sets", []) or []:
            sev = read_evidence(results_dir, name)
            if sev is None:
                secondary.append({"parameter_set": name, "verdict": "inconclusive", "reason": "not executed"})
                continue
            sdec = decide(claim, sev, alpha, _num(sev["primary"].get("p_value")))
            secondary.append(
                {
                    "parameter_set": name,
                    "verdict": sdec.verdict,
                    "reason": sdec.reason,
                    "primary": sev["primary"],
                    "level": "unadjusted",
                }
            )
        if secondary:
            entry["secondary"] = secondary
        ledger.append(json_ready(entry))
    return ledger
