"""The context a chapter runs in: ``start`` loads the chapter's data, shows the provenance stamp (and, on synthetic
data, the simulated-data banner) and returns a ``Context``, whose methods give the claim the chapter tests, record
its evidence for the ledger and end the chapter in words when the analysis cannot be estimated
(``CannotEstimate``). Also the parameters the provenance stamp records (``stamped_parameters``) and the claim of
a run by hand (``claim_of``). What a confidential run may publish is ``disclosure_policy.DisclosurePolicy``.
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import pandas as pd

import vsr_analysis.chapter.display as display
import vsr_analysis.chapter.myst as myst
import vsr_analysis.chapter.output as output
from vsr_analysis import paths
from vsr_analysis.chapter.disclosure_policy import DisclosurePolicy
from vsr_analysis.claims.evidence import record_evidence
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.data.survey_spec import parse_spec
from vsr_analysis.data.yaml_text import read_yaml
from vsr_analysis.inputs.provenance import stamp
from vsr_analysis.loading import load_frame


class CannotEstimate(Exception):
    """The chapter's analysis cannot be estimated on this survey file (raised by
    :meth:`Context.stop_unless_estimable` after the claim is recorded as inconclusive).  ``vsr run`` publishes the
    page up to that point as a finished chapter, not as a failure."""


class Context(DisclosurePolicy):
    def __init__(self, data: AnalysisFrame, param_set: str, results_dir: Path, parameters: dict):
        self.data = data
        self.param_set = param_set
        self.results_dir = Path(results_dir)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.parameters = parameters

    # data ------------------------------------------------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        return self.data.frame

    @property
    def respondents(self) -> pd.DataFrame:
        return self.data.respondents

    @property
    def synthetic(self) -> bool:
        return self.data.synthetic

    # the claim this chapter tests ----------------------------------------------------------------------
    @property
    def claim(self) -> dict:
        """The claims.yml entry of the chapter's ``claim`` parameter (KeyError when the chapter has none)."""
        from vsr_analysis.claims.ledger import load_claims_spec

        claim_id = self.parameters.get("claim")
        if claim_id is None:
            raise KeyError(f"parameter set {self.param_set!r} has no 'claim' parameter")
        return next(c for c in load_claims_spec()["claims"] if c["id"] == claim_id)

    @property
    def alpha(self) -> float:
        """The pre-specified significance level of claims.yml (before Holm's adjustment)."""
        from vsr_analysis.claims.ledger import load_claims_spec

        return float(load_claims_spec().get("alpha", 0.05))

    def decide(self, primary: dict, rule_inputs: dict | None = None):
        """The claim's decision rule applied to one variant's result (a sensitivity row), at unadjusted alpha.

        ``primary`` needs ``p_value`` (and what the rule reads, e.g. ``estimate``); returns the
        :class:`vsr_analysis.claims.ledger.Decision` (``.verdict``, ``.reason``).
        """
        from vsr_analysis.claims.ledger import decide

        evidence = {"primary": primary, "rule_inputs": dict(rule_inputs or {})}
        return decide(self.claim, evidence, self.alpha, primary.get("p_value"))

    def book_link(self, filename: str) -> str:
        """Link from book/executed/<page> to the file's *published* place (results/<param_set>/...).

        The runner executes into a staging folder and moves results into place afterwards, so links are
        built from the final location, not from where the kernel wrote the file.
        """
        return f"../../results/{self.param_set}/{filename}"

    def ref(self, name: str, kind: str = "figure") -> str:
        """A reference for the text to this chapter's numbered figure (or ``kind="table"``) ``name``: "Figure 2"."""
        label = myst.figure_label(self.param_set, name) if kind == "figure" else myst.table_label(self.param_set, name)
        return f"{{numref}}`{kind.capitalize()} %s <{label}>`"

    def stop_unless_estimable(self, n: int, what: str, kind: str = "model", parts: tuple = ()) -> None:
        """End the chapter here, in words, when too few municipalities can enter its analysis.

        The least is ``claims.evidence.MIN_MODEL_UNITS`` for a model (``kind="model"``) and ``MIN_COUNT_UNITS``
        for a share or a count (``kind="count"``); ``vsr simulate`` applies the same limits.

        A valid survey file may leave too few answers for a model (nobody answered the maturity question, a
        handful of respondents): the chapter then records its claim as inconclusive with the reason (and each
        of ``parts``, the components a conjunction's evidence holds), shows a note, and raises
        :class:`CannotEstimate`, which ``vsr run`` treats as the end of the page, not as an error.
        """
        from vsr_analysis.claims.evidence import MIN_COUNT_UNITS, MIN_MODEL_UNITS

        minimum = {"model": MIN_MODEL_UNITS, "count": MIN_COUNT_UNITS}[kind]
        if n >= minimum:
            return
        reason = f"only {n} responding municipalities have {what}; the analysis needs at least {minimum}"
        self._stop(reason, n, parts)

    def stop_unless_varies(self, used: pd.DataFrame, columns, what: str, parts: tuple = ()) -> None:
        """End the chapter in words when a model's term or covariate does not vary enough among the rows used.

        A column with few distinct values (an item, an indicator) needs at least two levels held by at least
        ``MIN_CELL`` municipalities each; any other column needs some variation. The reason names ``what``
        (e.g. "the term or a covariate") and the rule, never the column's levels or counts: "every respondent is a
        network member" would publish each respondent's answer.
        """
        from vsr_analysis.stats.small_cells import MIN_CELL

        for col in columns:
            values = used[col].dropna()
            counts = values.value_counts()
            discrete = len(counts) <= 10
            if (discrete and int((counts >= MIN_CELL).sum()) < 2) or (
                not discrete and float(pd.to_numeric(values, errors="coerce").std()) == 0
            ):
                reason = (
                    f"{what} does not vary enough among the {len(used)} municipalities used (the model needs at "
                    f"least two levels held by {MIN_CELL} or more municipalities each)"
                )
                self._stop(reason, len(used), parts)

    def _stop(self, reason: str, n: int, parts: tuple = ()) -> None:
        myst.markdown(
            ":::{admonition} Cannot be estimated on this survey file\n:class: warning\n"
            f"{reason[0].upper() + reason[1:]}. The claim is recorded as *inconclusive*, and the rest of this "
            "chapter is left out.\n:::"
        )
        claim = self.parameters.get("claim")
        if claim:
            empty = {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
            self.evidence(
                claim=claim,
                primary={"method": f"not estimable: {reason}", **empty},
                n=n,
                rule_inputs={},
                parts={part: {"primary": dict(empty), "rule_inputs": {}, "n": n} for part in parts},
                not_estimable=reason,
            )
        raise CannotEstimate(reason)

    def evidence(
        self,
        *,
        claim: str,
        primary: dict,
        n: int,
        rule_inputs: dict | None = None,
        sensitivity: list | None = None,
        **extra,
    ) -> dict:
        """Record the claim's evidence for the ledger and show the decision before multiplicity adjustment."""
        record_evidence(
            self.results_dir,
            claim=claim,
            survey=self.data.spec,
            primary=primary,
            n=n,
            rule_inputs=rule_inputs,
            sensitivity=sensitivity,
            **extra,
        )
        self.keep_evidence_private()
        from vsr_analysis.claims.ledger import decide, load_claims_spec

        spec = load_claims_spec()
        entry = next(c for c in spec["claims"] if c["id"] == claim)
        alpha = float(spec.get("alpha", 0.05))
        evidence = json.loads((self.results_dir / "evidence.json").read_text(encoding="utf-8"))
        decision = decide(entry, evidence, alpha, evidence["primary"].get("p_value"))
        from vsr_analysis.claims.ledger import in_holm_family

        confirmatory = entry.get("confirmatory", True)
        note = (
            "This is the decision at the unadjusted level α = {a:g}. The ledger's final verdict applies "
            "Holm's correction across the confirmatory family; see {{ref}}`claims-at-a-glance`."
            if in_holm_family(entry)
            else "This claim is outside the Holm family (its verdict rests on a count, not on a p-value); "
            "see {{doc}}`../methods/decision-rules`."
            if confirmatory
            else "This claim is exploratory (no family-wise adjustment)."
        ).format(a=alpha)
        kind = {"supported": "tip", "not supported": "danger", "inconclusive": "note"}[decision.verdict]
        myst.markdown(
            f":::{{admonition}} Decision for {claim}: {decision.verdict}\n:class: {kind} verdict-box\n"
            f"{decision.reason}.\n\n{note}\n:::"
        )
        return evidence

    def evidence_of_claims(self, evidences: dict[str, dict]) -> dict:
        """Record the evidence of several claims this chapter decides (claim id -> evidence: ``primary``, ``n``,
        ``rule_inputs``, optionally ``not_estimable``), each under its ``evidence_part`` of claims.yml, and show each
        claim's decision before any multiplicity adjustment (a box per claim, as :meth:`evidence` shows one)."""
        from vsr_analysis.claims.evidence import record_parts_evidence
        from vsr_analysis.claims.ledger import decide, in_holm_family, load_claims_spec

        spec = load_claims_spec()
        entries = {c["id"]: c for c in spec["claims"]}
        parts = {entries[cid]["evidence_part"]: ev for cid, ev in evidences.items()}
        record_parts_evidence(self.results_dir, claims=list(evidences), survey=self.data.spec, parts=parts)
        self.keep_evidence_private()
        alpha = float(spec.get("alpha", 0.05))
        saved = json.loads((self.results_dir / "evidence.json").read_text(encoding="utf-8"))
        for cid in evidences:
            entry = entries[cid]
            ev = saved["parts"][entry["evidence_part"]]
            decision = decide(entry, ev, alpha, ev["primary"].get("p_value"))
            note = (
                "The ledger's final verdict applies Holm's correction across the confirmatory family; see "
                "{ref}`claims-at-a-glance`."
                if in_holm_family(entry)
                else "This claim is outside the Holm family and decided at the unadjusted level "
                f"α = {alpha:g}; see {{ref}}`claims-at-a-glance`."
            )
            kind = {"supported": "tip", "not supported": "danger", "inconclusive": "note"}[decision.verdict]
            myst.markdown(
                f":::{{admonition}} Decision for {cid}: {decision.verdict}\n:class: {kind} verdict-box\n"
                f"{decision.reason}.\n\n{note}\n:::"
            )
        return saved


def show_provenance(parameters: dict, spec: str) -> None:
    extra = []
    try:
        from vsr_analysis.loading import survey_data_path

        extra.append(survey_data_path(spec))
    except Exception:
        pass
    st = stamp(parameters, extra_files=extra)
    rows = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td><code>{v}</code></td></tr>" for k, v in st.data.items()
    )
    versions = ", ".join(f"{k} {v}" for k, v in st.packages.items())
    params = html.escape(json.dumps(parameters, sort_keys=True, default=str))
    display.show_html(
        '<details class="provenance"><summary>Provenance of this page (commit, data checksums, '
        "software)</summary>"
        f"<p><strong>Commit:</strong> <code>{html.escape(st.commit_label())}</code><br>"
        f"<strong>Executed:</strong> {st.date} · Python {st.python}<br>"
        f"<strong>Parameters:</strong> <code>{params}</code><br>"
        f"<strong>Software:</strong> {html.escape(versions)}</p>"
        f"<table><thead><tr><th>input file</th><th>sha256</th></tr></thead><tbody>{rows}</tbody></table>"
        "</details>"
    )


def _parameter_cell_names(param_set: str) -> list[str]:
    """Names assigned in the parameters cell of the parameter set's template ([] when it is not in the run spec).

    Reads the run spec's entry for ``param_set`` and that one template only: ``load_runspec()`` would also check
    every notebook pair and read claims.yml once per template, about a CPU second in every kernel, for a spec
    that ``vsr run`` has already checked before it started this notebook."""
    import yaml

    from vsr_analysis.inputs.runspec import RunSpecError, template_parameters

    try:
        raw = read_yaml(paths.runspec_path())
        for entry in raw["notebooks"]:
            names = [p.get("name") for p in entry.get("parameter_sets") or [] if isinstance(p, dict)]
            if param_set in names:
                return list(template_parameters((paths.project_root() / entry["template"]).resolve()))
    except (RunSpecError, KeyError, OSError, ValueError, TypeError, AttributeError, yaml.YAMLError):
        return []
    return []


def _simple(v: object) -> bool:
    return isinstance(v, (str, int, float, bool, list, dict, type(None)))


def stamped_parameters(param_set: str, parameters: dict | None, namespace: dict) -> dict:
    """``parameters`` (simple values only) plus every other name of the template's parameters cell found in
    ``namespace`` (the notebook's globals); ``survey``, ``param_set`` and ``results_dir`` are stamped elsewhere."""
    params = {
        k: v
        for k, v in (parameters or {}).items()
        if not k.startswith("_") and _simple(v) and k not in {"In", "Out", "results_dir"}
    }
    for name in _parameter_cell_names(param_set):
        if name not in params and name not in {"survey", "param_set", "results_dir"} and name in namespace:
            if _simple(namespace[name]):
                params[name] = namespace[name]
    return params


def claim_of(param_set: str) -> str | None:
    """The claim a template's default ``claim = None`` stands for in a run by hand: the claim of claims.yml whose
    ``parameter_set`` names ``param_set`` (``vsr run`` passes it; see ``inputs.runspec.claim_of_parameter_set``)."""
    from vsr_analysis.claims.ledger import load_claims_spec
    from vsr_analysis.inputs.runspec import claim_of_parameter_set

    return claim_of_parameter_set(param_set, list(load_claims_spec()["claims"]))


def start(*, survey: str, param_set: str, results_dir: str | None, parameters: dict | None = None) -> Context:
    """Load the chapter's data, show the banner and provenance, set the plot theme; return the :class:`Context`.

    The provenance stamp records ``parameters`` and, in any case, every name of the template's parameters cell
    (read from the caller's namespace), so that no parameter that changes results is left out of it.
    """
    parts = parse_spec(survey)
    params = stamped_parameters(param_set, parameters, sys._getframe(1).f_globals)
    if "claim" in params and params["claim"] is None:  # a run by hand: `vsr run` always passes the claim
        params["claim"] = claim_of(param_set)
    output.set_plot_theme()
    results = output.output_folder(param_set, results_dir)  # first: an interactive run says so before anything else
    data = load_frame(survey)
    if parts["kind"] == "synthetic":
        myst.markdown(output.SIMULATED_BANNER.format(spec=survey))
    show_provenance(params, survey)
    dropped = data.weight_info.get("dropped_margins")
    if dropped:
        myst.markdown(
            ":::{admonition} Weighting on this survey file\n:class: note\n"
            "The respondents of this file cannot meet every raking margin at once, so by the pre-specified rule "
            f"(see the weighting page) the margin(s) {', '.join(dropped)} were dropped; the weights meet "
            f"{', '.join(data.weight_info['margins']) or 'no margin (equal weights)'}.\n:::"
        )
    if display.session["scratch"] is None:
        myst.markdown(
            f"{{download}}`Download the executed notebook ({param_set}.ipynb) <{param_set}.ipynb>` · "
            "result tables are offered for download (CSV) below each table."
        )
    return Context(data, param_set, results, params)
