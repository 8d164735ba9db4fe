"""The claims ledger: pre-specified decision rules turned into verdicts.

``claims.yml`` states, for every finding, the hypothesis, the primary test and a named decision rule with its
parameters.  Each claim notebook writes its *evidence* (``results/<parameter set>/evidence.json``, see
``results.record_evidence``); this module applies Holm's correction across the confirmatory family and the
rules below to that evidence, and writes ``results/claims.json``.  No verdict is ever typed by hand.

Verdicts are one of ``supported``, ``not supported``, ``inconclusive``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from vsr_analysis import paths
from vsr_analysis.claims.evidence import json_ready
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
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or not isinstance(spec.get("claims"), list):
        raise LedgerError(f"{path}: expected a mapping with a 'claims' list")
    ids = [c.get("id") for c in spec["claims"]]
    if len(ids) != len(set(ids)):
        raise LedgerError(f"{path}: duplicate claim ids")
    for claim in spec["claims"]:
        if claim.get("rule") not in RULES:
            raise LedgerError(
                f"{path}: claim {claim.get('id')}: unknown rule {claim.get('rule')!r}; "
                f"known: {', '.join(sorted(RULES))}"
            )
    return spec


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


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
    p_equiv = _num(evidence.get("rule_inputs", {}).get("equivalence_p"))
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
    if high is not None and high < threshold:
        return Decision("not supported", f"upper confidence limit {high:.3f} < {threshold:g}")
    return Decision("inconclusive", f"one-sided p = {p:.3g} ≥ {alpha:g}")


def rule_share_below(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """A share lies below a pre-specified level: one-sided test of share < threshold (F9: most do not measure).

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
    """F2: most have started (share above a level) *and* maturity varies (enough stages occupied)."""
    started = rule_share_above(evidence, alpha, p, params)
    inputs = evidence.get("rule_inputs", {})
    occupied = int(inputs.get("stages_above_min_share", 0))
    needed = int(params["min_stages"])
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


def rule_joint_nonnegative(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """F3: the joint Wald test rejects and none of the components is significantly negative."""
    components = evidence.get("rule_inputs", {}).get("components", {})
    negative = [
        name
        for name, c in components.items()
        if _num(c.get("estimate")) is not None and c["estimate"] < 0 and c["p_value"] < alpha
    ]
    if negative:
        return Decision("not supported", f"significantly negative: {', '.join(sorted(negative))}")
    if p is None:
        return Decision("inconclusive", "model could not be fitted")
    if p < alpha:
        return Decision("supported", f"joint Wald p = {p:.3g} < {alpha:g}; no component significantly negative")
    return Decision("inconclusive", f"joint Wald p = {p:.3g} ≥ {alpha:g}")


def rule_not_prerequisite(evidence: dict, alpha: float, p: float | None, params: dict) -> Decision:
    """F4: being big is not a prerequisite for reaching the top stages.

    supported: the CE-FDH bottleneck's minimum X for the top stage lies below the threshold and at least
    ``min_cases`` units below the threshold reach it.  not supported: the NCA ceiling is significant
    (permutation p < alpha) and the required X is at or above the threshold.  Otherwise inconclusive.
    """
    inputs = evidence["rule_inputs"]
    threshold = float(inputs["threshold"])
    required = _num(inputs.get("required_x"))
    cases = int(inputs["cases_below_threshold_at_top"])
    min_cases = int(params.get("min_cases", 3))
    if required is not None and required < threshold and cases >= min_cases:
        return Decision(
            "supported",
            f"{cases} units below the threshold reach the top stages "
            f"(required X {required:g} < threshold {threshold:g})",
        )
    if p is not None and p < alpha and (required is None or required >= threshold):
        return Decision("not supported", f"significant ceiling (p = {p:.3g}) requiring X ≥ {threshold:g}")
    return Decision(
        "inconclusive",
        f"{cases} unit(s) below the threshold at the top stages "
        f"(need {min_cases}); ceiling p = {p if p is None else format(p, '.3g')}",
    )


RULES = {
    "directional": rule_directional,
    "share_above": rule_share_above,
    "share_below": rule_share_below,
    "share_above_and_spread": rule_share_above_and_spread,
    "joint_nonnegative": rule_joint_nonnegative,
    "not_prerequisite": rule_not_prerequisite,
}


def decide(claim: dict, evidence: dict, alpha: float, p_value: float | None) -> Decision:
    return RULES[claim["rule"]](evidence, alpha, p_value, claim.get("rule_parameters", {}) or {})


def read_evidence(results_dir: Path, param_set: str) -> dict | None:
    path = results_dir / param_set / "evidence.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def build_ledger(results_dir: Path, source=None, spec: dict | None = None) -> list[dict]:
    """Apply Holm across the confirmatory family and each claim's rule; return the ledger entries."""
    spec = spec or load_claims_spec()
    alpha = float(spec.get("alpha", 0.05))
    from vsr_analysis.data.checksums import sha256_file

    register_file = paths.register_dir() / "municipalities_2020.csv"
    register_label = f"ssb:{register_file.name}:{sha256_file(register_file)}" if register_file.is_file() else "missing"
    evidence = {c["id"]: read_evidence(results_dir, c["parameter_set"]) for c in spec["claims"]}
    confirmatory = {
        c["id"]: (evidence[c["id"]] or {}).get("primary", {}).get("p_value")
        for c in spec["claims"]
        if c.get("confirmatory", True)
    }
    testable = {k: v for k, v in confirmatory.items() if v is not None}
    adjusted = holm(testable, alpha=alpha)["p_adjusted"].to_dict() if testable else {}

    ledger = []
    for claim in spec["claims"]:
        ev = evidence[claim["id"]]
        entry = {
            "id": claim["id"],
            "finding": claim["finding"],
            "hypothesis": claim["hypothesis"].strip(),
        }
        if claim.get("untestable_part"):  # the part of a finding the instrument cannot test (F9's first half)
            entry["untestable_part"] = claim["untestable_part"].strip()
        if ev is None:
            entry.update(verdict="inconclusive", reason="its notebook has not been executed", primary={}, n=0)
        else:
            p_raw = _num(ev["primary"].get("p_value"))
            p_used = _num(adjusted.get(claim["id"])) if claim.get("confirmatory", True) else p_raw
            decision = decide(claim, ev, alpha, p_used)
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
                "register": register_label,
            },
            rule=claim["rule"],
            alpha=alpha,
            multiplicity=(
                "Holm across the confirmatory family"
                if claim.get("confirmatory", True)
                else "exploratory (no family-wise adjustment)"
            ),
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
