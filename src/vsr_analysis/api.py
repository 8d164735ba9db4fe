"""The one module a chapter template imports from the package: ``from vsr_analysis.api import start, markdown``.

A template's code reads as a story; what it calls lives in the package's layers (``chapter`` for the context,
``claims`` for each finding's evidence and report, ``stats`` for estimators, ``data`` for the codebook). This
module is the single door: :data:`EXPORTS` names every function, constant and module a template may use and
where it lives.

Names resolve lazily (PEP 562 ``__getattr__``): ``from vsr_analysis.api import share_design`` imports
``vsr_analysis.claims.share_evidence`` and nothing else, so a chapter's kernel starts as fast as with direct
imports. ``vsr run`` decides reruns from the modules a template reads: ``inputs.fingerprint.template_imports``
reads :data:`EXPORTS` from this file's source and follows each imported name to its module, so a chapter still
reruns when, and only when, a module it uses (directly or through its imports) changes.
"""

from __future__ import annotations

import importlib

#: Every name a template may import: ``"package.module"`` for a module, ``"package.module:name"`` for an
#: attribute of one. A literal dict: ``inputs.fingerprint`` reads it without importing this module.
EXPORTS: dict[str, str] = {
    "readable_bottleneck": "vsr_analysis.build.nca_display:readable_bottleneck",
    "oc_summary": "vsr_analysis.build.oc_summary",
    "markdown": "vsr_analysis.chapter:markdown",
    "output_folder": "vsr_analysis.chapter:output_folder",
    "save_figure": "vsr_analysis.chapter:save_figure",
    "start": "vsr_analysis.chapter:start",
    "barrier_release": "vsr_analysis.claims.barrier_release",
    "barrier_text": "vsr_analysis.claims.barrier_text",
    "ITEMS": "vsr_analysis.claims.coherence_evidence:ITEMS",
    "coherence_share_evidence": "vsr_analysis.claims.coherence_evidence:coherence_share_evidence",
    "coherence_variants": "vsr_analysis.claims.coherence_evidence:coherence_variants",
    "municipal_table": "vsr_analysis.claims.coherence_evidence:municipal_table",
    "county_reading": "vsr_analysis.claims.coherence_figures:county_reading",
    "state_barriers_figure": "vsr_analysis.claims.coherence_figures:state_barriers_figure",
    "conjunction_evidence": "vsr_analysis.claims.conjunction_evidence",
    "conjunction_report": "vsr_analysis.claims.conjunction_report",
    "county_evidence": "vsr_analysis.claims.county_evidence",
    "county_report": "vsr_analysis.claims.county_report",
    "publish_item_counts": "vsr_analysis.claims.county_report:publish_item_counts",
    "write_table": "vsr_analysis.claims.evidence:write_table",
    "distribution_cells": "vsr_analysis.claims.group_release:distribution_cells",
    "group_release": "vsr_analysis.claims.group_release",
    "load_claims_spec": "vsr_analysis.claims.ledger:load_claims_spec",
    "claim_prose": "vsr_analysis.claims.prose:claim_prose",
    "maturity_text": "vsr_analysis.claims.maturity_text",
    "with_large_reference": "vsr_analysis.claims.model_robustness:with_large_reference",
    "necessity_evidence": "vsr_analysis.claims.necessity_evidence",
    "necessity_figures": "vsr_analysis.claims.necessity_figures",
    "necessity_text": "vsr_analysis.claims.necessity_text",
    "network_evidence": "vsr_analysis.claims.network_evidence",
    "ITEM": "vsr_analysis.claims.progress_evidence:ITEM",
    "progress_share_evidence": "vsr_analysis.claims.progress_evidence:progress_share_evidence",
    "progress_variants": "vsr_analysis.claims.progress_evidence:progress_variants",
    "progress_by_stage": "vsr_analysis.claims.progress_evidence:progress_by_stage",
    "progress_groups": "vsr_analysis.claims.progress_evidence:progress_groups",
    "rung_shares": "vsr_analysis.claims.progress_evidence:rung_shares",
    "ladder_figure": "vsr_analysis.claims.progress_figures:ladder_figure",
    "ranking_evidence": "vsr_analysis.claims.ranking_evidence:ranking_evidence",
    "ranking_robustness": "vsr_analysis.claims.ranking_evidence:ranking_robustness",
    "replica_report": "vsr_analysis.claims.replica_report",
    "disagreement_sentences": "vsr_analysis.claims.robustness_text:disagreement_sentences",
    "sensitivity_text": "vsr_analysis.claims.sensitivity_text",
    "share_chapter": "vsr_analysis.claims.share_chapter",
    "share_design": "vsr_analysis.claims.share_evidence:share_design",
    "share_evidence": "vsr_analysis.claims.share_evidence",
    "share_figures": "vsr_analysis.claims.share_figures",
    "as_numbers": "vsr_analysis.claims.share_reporting:as_numbers",
    "sensitivity_table": "vsr_analysis.claims.share_reporting:sensitivity_table",
    "load_claims": "vsr_analysis.claims.spec:load_claims",
    "share_variance": "vsr_analysis.claims.spec:share_variance",
    "stage_release": "vsr_analysis.claims.stage_release",
    "display_frame": "vsr_analysis.claims.table_display:display_frame",
    "term_effect_report": "vsr_analysis.claims.term_effect_report",
    "term_effect_text": "vsr_analysis.claims.term_effect_text",
    "weighting_report": "vsr_analysis.claims.weighting_report",
    "load_codebook": "vsr_analysis.data.codebook:load_codebook",
    "load_survey": "vsr_analysis.data.survey_file:load_survey",
    "paths": "vsr_analysis.paths",
    "operating": "vsr_analysis.simulate.operating",
    "power_page": "vsr_analysis.simulate.power_page",
    "report": "vsr_analysis.simulate.report",
    "network_truth_table": "vsr_analysis.simulate.truth:network_truth_table",
    "marginal_truth_table": "vsr_analysis.simulate.truth:marginal_truth_table",
    "truth_text": "vsr_analysis.simulate.truth:truth_text",
    "ITEM_COUNT_COLUMNS": "vsr_analysis.stats.county_tables:ITEM_COUNT_COLUMNS",
    "STAGE_COUNT_COLUMNS": "vsr_analysis.stats.county_tables:STAGE_COUNT_COLUMNS",
    "hidden_cells": "vsr_analysis.stats.county_tables:hidden_cells",
    "hidden_note": "vsr_analysis.stats.county_tables:hidden_note",
    "stage_cells": "vsr_analysis.stats.county_tables:stage_cells",
    "stage_counts": "vsr_analysis.stats.county_tables:stage_counts",
    "as_float": "vsr_analysis.stats.descriptives:as_float",
    "stages_with_min_share": "vsr_analysis.stats.descriptives:stages_with_min_share",
    "legend_below": "vsr_analysis.stats.figure_style:legend_below",
    "set_style": "vsr_analysis.stats.figure_style:set_style",
    "wrap": "vsr_analysis.stats.figure_style:wrap",
    "item_comparisons": "vsr_analysis.stats.item_shares:item_comparisons",
    "item_share_table": "vsr_analysis.stats.item_shares:item_share_table",
    "item_shares_by_group": "vsr_analysis.stats.item_shares:item_shares_by_group",
    "ordinal_term_effect": "vsr_analysis.stats.marginal_effects:ordinal_term_effect",
    "maturity_ladder": "vsr_analysis.stats.maturity_ladder",
    "bottleneck": "vsr_analysis.stats.nca:bottleneck",
    "effect_size_label": "vsr_analysis.stats.nca:effect_size_label",
    "nca": "vsr_analysis.stats.nca:nca",
    "ModelWarning": "vsr_analysis.stats.ordinal_model:ModelWarning",
    "fit_cumulative_logits": "vsr_analysis.stats.ordinal_model:fit_cumulative_logits",
    "fit_ordinal": "vsr_analysis.stats.ordinal_model:fit_ordinal",
    "calibration_check": "vsr_analysis.stats.propensity:calibration_check",
    "replica": "vsr_analysis.synth.replica",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str):
    target = EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'vsr_analysis.api' has no attribute {name!r}; a template may import {__all__}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return __all__
