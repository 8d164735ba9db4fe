# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A share of municipalities against a level
#
# **How it is tested.** The claim is a statement about a *share* of municipalities, weighted to the register frame
# of 356 by raking: the share with the outcome the box below names, among all municipalities or in the domain it
# names. The primary test is one-sided — is the share above the pre-specified level? — with a Wilson interval
# whose width comes from the linearisation variance of the raked share on the interval `claims.yml` declares
# (`analysis.variance`): without a finite-population factor (assumption-light), so the verdict does not rest on
# response being missing at random, at an effective sample size adjusted for the degrees of freedom of the
# estimated design effect {cite}`korn1998`. The same share with response treated as Poisson sampling with
# estimated response probabilities {cite}`sarndal2005` (valid under missing at random) is reported beside it (see
# the weighting page: what each assumes, and how well the intervals cover the truth on the synthetic replica).
# This page is one parameter set of the template shared by every share claim; the box below states which claim it
# tests, with the hypothesis and decision rule exactly as pre-specified in `claims.yml`, and what holds for this
# claim alone follows it.
#
# **Decision rule (`share_above`).** *Supported* when the one-sided test rejects at the (Holm-adjusted) level;
# *not supported* when the upper confidence limit lies below the level; otherwise *inconclusive*. Shares by size
# band and centrality class are descriptive support. Where the run spec asks for it (`guttman_check`), the chapter
# also asks whether the ladder is cumulative (a Guttman-like scale): is the top only reached through the lower
# rungs?

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "master-plan"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
item = "sdg_in_master_plan"
item_label = "the SDGs are a basis for the social element of the master plan"
min_stage = None
subset_item = None
subset_label = None
alt_min_stage = None
guttman_check = False
frame_size = 356

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
from vsr_analysis.api import as_numbers, claim_prose, load_claims_spec, load_codebook, sensitivity_text, share_figures
from vsr_analysis.api import share_chapter as sc
from vsr_analysis.api import share_evidence as se

spec = load_claims_spec()
alpha = float(spec["alpha"])
claim_entry = next(c for c in spec["claims"] if c["id"] == claim)
threshold = float(claim_entry["rule_parameters"]["threshold"])
codebook = load_codebook()
markdown(sc.claim_box(claim, claim_entry, threshold, alpha))
if prose := claim_prose(claim):  # what holds for this claim alone (its entry's prose file)
    markdown(prose)
frame, resp = ctx.frame, ctx.respondents
propensity = se.frame_propensity(frame)
analysis = se.share_claim_analysis(
    frame,
    claim_entry,
    alpha,
    item=item,
    min_stage=min_stage,
    subset_item=subset_item,
    alt_min_stage=alt_min_stage,
    margins=ctx.data.weight_info["margins"],
    propensity=propensity,
)
primary = analysis.primary
outcome_label, domain_text = sc.outcome_words(item_label, min_stage, subset_item, subset_label)
markdown(
    f"The outcome is **{outcome_label}**, {domain_text}. {len(resp)} of {len(frame)} municipalities "
    f"responded; **{primary['n']}** are in the analysis."
)
ctx.stop_unless_estimable(int(primary["n"] or 0), f"an answer for the outcome {domain_text}", kind="count")

# %% [markdown]
# ## Primary test

# %%
markdown(sc.primary_text(primary, outcome_label, domain_text, threshold, claim_entry, propensity.method))
markdown("\n\n".join([f"*{note}*" for note in analysis.notes] + [sensitivity_text.assumption_light_text(analysis.mar)]))

# %% [markdown]
# ## By size and centrality
#
# Weighted shares with 95 % Wilson intervals at Kish's effective n (descriptive). For groups of the whole frame
# the finite-population correction uses the register's count of municipalities in the group; where every
# municipality of a group answered, the interval has zero width, as no sampling error is left (item
# non-response aside). A group where nobody answered is named below the tables and left out of the figure.

# %%
tables, group_notes = se.shares_by_groups(analysis.domain, frame, whole_frame=not subset_item)
group_cells = se.group_cells(
    tables, analysis.domain, item, min_stage, sorted(codebook.item("maturity_stage").valid_codes)
)
for label, tab in tables.items():
    ctx.table(
        f"by_{label.replace(' ', '_')}",
        tab,
        f"Share {outcome_label} by {label} ({domain_text}; weighted, 95 % Wilson CI)",
        count_columns=["municipalities", "of them yes"],
        cells=group_cells[label],
    )
for note in group_notes:
    markdown(f"*{note}*")
markdown(f"{ctx.ref('shares_by_group')} draws these shares against the level in the claim.")
released = {label: as_numbers(ctx.released(f"by_{label.replace(' ', '_')}"), [label]) for label in tables}
fig = share_figures.shares_by_group_figure(
    released, threshold, f"{claim}: share {outcome_label}, {domain_text}", f"Share {outcome_label} (%, weighted)"
)  # drawn from the released tables
_ = ctx.figure(
    fig,
    "shares_by_group",
    alt=f"Two stacked panels of point estimates with 95 % intervals: the weighted share {outcome_label} by size band and by centrality class, with the claim's level as a dashed line",
    caption=f"Weighted share {outcome_label} {domain_text}, by size band and by SSB centrality class "
    "(1 = most central), with 95 % Wilson intervals; the dashed line is the level in the claim.",
)

# %% [markdown]
# ## Is the ladder cumulative? (Guttman-like check)
#
# The ladder assumes that the rungs are climbed in order: the planning strategy (stage 2), the master plan
# (stage 3), budget and management (stage 4), indicators (stage 5). If so, the five component items form a
# Guttman scale: a municipality with *s* items has the *s* easiest ones. The coefficient of reproducibility
# (CR, Goodenough–Edwards error counting; Guttman's benchmark ≥ 0.90) and the coefficient of scalability
# (CS = (CR − MMR)/(1 − MMR), benchmark ≥ 0.60) say how close the data come. Shown where the run spec sets
# `guttman_check`.

# %%
guttman_summary = None
if not guttman_check:
    markdown("Not part of this parameter set.")
elif len(resp) == 0 or resp["weight"].sum() == 0:
    markdown("No responding municipality: the ladder cannot be checked.")
else:
    ladder = se.ladder_tables(resp, codebook)
    for key, (name, caption, counts) in sc.LADDER_TABLES.items():
        ctx.table(name, ladder[key], caption, count_columns=counts)
    guttman_summary = ladder["summary"]
    markdown(sc.guttman_text(guttman_summary))
    by_stage = share_figures.management_by_stage_table(resp, codebook.maturity_labels("en"))
    if by_stage is not None:
        ctx.table(
            "management_by_stage",
            by_stage,
            "Maturity stages of the municipalities with the SDGs in their "
            "management system (weighted shares, 95 % Wilson CI)",
            count_columns=["municipalities"],
            cells=share_figures.management_by_stage_cells(by_stage, resp),
            label_columns=["stage", "stage name"],
        )
        fig = share_figures.management_by_stage_figure(ctx.released("management_by_stage"))  # what was released
        markdown(f"{ctx.ref('management_by_stage')} shows the stages these municipalities place themselves at.")
        ctx.figure(
            fig,
            "management_by_stage",
            alt="Horizontal bar chart of the weighted distribution over maturity stages of the municipalities that report the SDGs built into their management system",
            caption="Where the municipalities with the SDGs in their management system place themselves "
            "on the ladder (weighted shares, 95 % Wilson intervals).",
        )

# %% [markdown]
# ## Robustness
#
# The primary interval is the raked share's linearisation **without any finite-population factor** (what R's
# `survey` reports for a with-replacement design; assumption-light). Beside it: the same linearisation with response
# treated as Poisson sampling with each municipality's estimated response probability π̂ (factor 1 − π̂ per unit;
# valid under missing at random, the interval stated under the primary test), and with the **global** factor 1 − n/N
# that treats the respondents as a simple random sample of the frame (the compendium's earlier method; it
# under-covers when response depends on size). Then the unweighted share, item non-response counted as "no",
# a stricter top where the run spec names one (`alt_min_stage`), and — for a claim on the ladder's top within the
# municipalities with the SDGs in their management system — the maturity measure without the management item.
# Each row shows the decision the rule would give (unadjusted α).

# %%
from vsr_analysis.api import disagreement_sentences

ctx.table("robustness", analysis.robustness, "The decision rule under each variant (unadjusted α)", count_columns=["n"])
markdown(" ".join(disagreement_sentences(analysis.robustness, label="variant", estimate="share", alpha=alpha)))

# %% [markdown]
# ## What if answering depended on the answer? (tipping point)
#
# The raked share itself (its weighting, and the response probabilities of the interval under missing at random)
# assumes that, among municipalities alike in
# the register, those that did not answer resemble those that did (missing at random). The raking imputes to the
# non-respondents the weighted share of the respondents who stand in for them. Suppose instead that municipalities
# *with* the outcome had a given odds ratio of answering relative to comparable ones without it: the
# non-respondents' odds of the outcome are then the imputed odds divided by that odds ratio (a delta adjustment of
# a pattern-mixture model), and the share moves with it; its interval keeps the primary's design-effective n. An
# odds ratio of 1 is the primary. The table gives the rule's decision (unadjusted α) over a grid of odds ratios,
# and the text the *tipping point*, the odds ratio at which the verdict changes. The replica's scenarios
# `mature-answer-more` and `mature-answer-less` let answering depend on the stage itself; the
# operating-characteristics chapter shows what that does to the intervals' coverage.

# %%
tipping = se.share_tipping_point(analysis, claim_entry, alpha)
markdown(sensitivity_text.show_tipping_point(tipping, outcome_label, ctx.table))  # the table, then the words

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=sc.primary_record(primary, outcome_label, domain_text, threshold, claim_entry),
    n=primary["n"],
    rule_inputs={},
    sensitivity=analysis.robustness.to_dict(orient="records"),
    guttman=guttman_summary,
    notes=analysis.notes + group_notes,
)
