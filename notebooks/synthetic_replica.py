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
# # The synthetic replica
#
# ```{warning}
# **Everything on this page is SIMULATED.** The municipalities' answers to the 2021 survey are confidential and
# are not part of this compendium. The survey file analysed by default is a *synthetic replica*: answers invented
# by this project, under a stated scenario, for the **real** 356 municipalities and 11 county authorities of
# 2020, joined to **real** Statistics Norway register data. Results computed on it show how the analyses behave
# and what they conclude *under the scenario's assumptions*. They say **nothing** about what any real
# municipality answered, and no number on this page is an estimate of a real share.
# ```
#
# Why simulate at all? The book must build without the confidential file, every analysis needs survey-shaped
# input, and a generator with a **known truth** lets us check that the statistics recover it. The replica is
# written in exactly the format a user would bring (see {doc}`../data/instrument`) and goes through the same
# loader and validation as a real file.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "synthetic-replica"
results_dir = None

# %%
from vsr_analysis.api import markdown, start
from vsr_analysis.api import replica as synth

# This page always describes a synthetic replica. On a run with a real survey file it shows the default
# scenario instead, and never reads the real file.
spec = survey if str(survey).startswith("synthetic:") else "synthetic:vsr-narrative:2021"
scenario, seed = synth.parse_spec(spec)
path = synth.ensure(scenario, seed)  # generated if missing (same scenario + seed -> same bytes)
truth = synth.read_truth(path)
sc = synth.load_scenario(scenario)
ctx = start(survey=spec, param_set=param_set, results_dir=results_dir, parameters=dict(scenario=scenario, seed=seed))
if spec != survey:
    markdown(
        "This run analyses a survey file; this page nevertheless describes the **default synthetic "
        f"replica** (`{spec}`), not that file."
    )

# %%

from vsr_analysis.api import fit_ordinal, load_codebook, load_survey
from vsr_analysis.api import replica_report as rr

rm = truth["response_model"]
markdown(rr.scenario_text(scenario, seed, sc, rm))

# %% [markdown]
# ## How the replica is generated
#
# One draw per municipality of the 2020 frame, respondent or not, from an explicit model:
#
# 1. **Unit non-response** — logit P(respond) = *a* + γ₁ · ln(population) + γ₂ · centrality, with the intercept *a* solved numerically so that the *expected* response rate is
#    the scenario's target. Non-response depends only on register covariates that are also in the maturity model,
#    so it is *ignorable* for that model: fitted on the respondents, the ordinal model still estimates the true
#    coefficients (the benchmark `benchmarks/bench_recovery.py` checks this over 200 seeds).
# 2. **Network membership** — the 12 municipalities on the KS sustainability network's public list are members
#    with high probability; others join with a probability that rises with size. The KS, regional and
#    international network items are made consistent with it.
# 3. **Political anchoring** (Likert 1–5) — an ordered logit in size and network membership.
# 4. **Latent maturity** — *y*\* = *x*′β + ε with logistic ε and
#    *x* = (ln population 2021, centrality index / 100, merged 2017–2020, network member, political anchoring);
#    stage *k* when ζ₍ₖ₋₁₎ < *y*\* ≤ ζₖ, that is P(*Y* ≤ *k*) = F(ζₖ − *x*′β) — the convention
#    of the analysis model, with no intercept. The thresholds ζₖ are solved numerically so that the
#    expected stage distribution among respondents is the scenario's. An optional **ceiling** caps the stage of
#    municipalities below a population threshold.
# 5. **The other items** follow from these: the component items (`sdg_in_*`, `measures_progress`) follow the
#    ladder with a stated inconsistency rate; administrative anchoring, cooperation with the county, barriers
#    (rates differing by size), three distinct priority goals; then item non-response, completely at random.
# 6. **County authorities** (11 rows, `unit_type = county`) from their own stated distributions.
#
# The true parameters of every generated file are written beside it (`<file>.truth.json`).

# %%
scenarios = {name: synth.load_scenario(name) for name in synth.available_scenarios()}
ctx.table(
    "scenarios", rr.scenarios_table(scenarios, scenario, synth.fmt_value), "The three scenarios (data/scenarios/*.yml)"
)

# %% [markdown]
# ## Every assumption, with its reason
#
# Nothing about the 2021 survey's answers is published beyond the wording of the findings (see
# {doc}`../data/instrument` and the front page), so every number below that is not a register fact is an
# **assumption** of this compendium. The scenario file states each one with its reason and sources; the table is
# read from it, not typed here.

# %%
assumptions = synth.assumptions_table(sc)
ctx.table("assumptions", assumptions, f"Assumptions of scenario {scenario} (data/scenarios/{scenario}.yml)")
ctx.table("sources", synth.sources_table(sc), "Sources cited by the scenario")

# %% [markdown]
# ## Generated marginals against the published facts
#
# The only numbers known about municipal SDG work in Norway bracket the 2021 values from outside:
# Deloitte's 2018 survey {cite}`deloitte2018` (84 % saw the SDGs as important, 1 in 4 had them in plans) and
# the Nordic VSR 2024 {cite}`nordicvsr2024` (over 95 % active, 45 % measuring progress). The scenario's
# **targets** are ranges chosen between them — assumptions, not facts. The table shows each target, the model's
# expected value, and what this particular file realised, with the sampling margin
# (*z* · √(*p*(1 − *p*)/*n*), Bonferroni-adjusted over the targets) used by the tests.

# %%
rows = load_survey(path).data  # the validated file: responding municipalities and county authorities
targets = synth.targets_table(sc, rows, truth)
ctx.table(
    "targets",
    rr.targets_shown(targets),
    "Scenario targets, the model's expected values and this file's realised values (responding municipalities)",
)

# %%
stats_ = synth.marginal_statistics(rows)
ks_self = int((ctx.respondents["network_ks"] == 1).sum())
ctx.table(
    "published-facts",
    rr.published_facts(stats_, rm, ks_self),
    "Published facts (2018, 2021, 2024) and the replica's 2021 values",
)
markdown(
    "The replica's 2021 shares lie between the 2018 and 2024 figures by construction: that is what the "
    "targets assume, not something the replica shows."
)

# %% [markdown]
# ## Truth next to estimates
#
# The generating model is fitted to the generated file: a proportional-odds model of `maturity_stage` on the
# five covariates of the truth, unweighted, on the responding municipalities with complete answers (HC0 standard
# errors, 95 % intervals). With one file, an interval misses the truth about one time in twenty; over 200 seeds
# the intervals cover the truth at close to the nominal 95 % (`benchmarks/bench_recovery.py`).

# %%
resp = ctx.respondents.dropna(subset=["maturity_stage", *synth.COVARIATES])
fit = fit_ordinal(resp, "maturity_stage", list(synth.COVARIATES))
tve = synth.truth_vs_estimates(fit, truth).assign(term=lambda t: t["term"].map(rr.COVARIATE_LABELS))
ctx.table("truth-vs-estimates", tve, f"True coefficients and estimates from this file (n = {fit.n})")
ctx.table(
    "truth-vs-estimates-thresholds",
    rr.thresholds_table(truth, fit),
    "True and estimated thresholds ζ (P(Y ≤ k) = F(ζ_k − x′β))",
)
markdown(
    "The primary model of {doc}`who-came-furthest` leaves political anchoring out and is raked to the "
    "frame; its coefficients are close to, but not the same quantity as, the structural truth above "
    "(anchoring is correlated with size and networks, and logit coefficients change when a predictor is "
    "left out)."
)

# %% [markdown]
# ## Who reaches the top
#
# Finding F4 says several smaller municipalities do a formidable job. In this scenario that is true or false by
# construction; the list below names the responding municipalities below the frame's median population that the
# replica put at stage 4 or 5. They are real municipality names with **simulated** answers.
# {numref}`Figure %s <fig-synthetic-replica-stage-by-size-band>` shows the simulated stages in each size band.

# %%
top = rr.small_at_top(ctx.frame, truth)
markdown(rr.small_at_top_text(truth))
if truth.get("ceiling_threshold"):
    markdown(
        f"This scenario has a ceiling: no municipality under {truth['ceiling_threshold']:,} inhabitants "
        "can be above stage 3."
    )
if len(top):
    ctx.table("small-at-top", top, "SIMULATED: municipalities below the median population at stage 4–5")

# %%
stage_labels = load_codebook().maturity_labels("en")
fig, caption = rr.stage_by_band_figure(ctx.frame, ctx.respondents, stage_labels, scenario, seed)
ctx.figure(
    fig,
    "stage-by-size-band",
    alt="Stacked bars of the simulated maturity stage shares in six population size bands",
    caption=caption,
)

# %% [markdown]
# ## Other scenarios and seeds
#
# Every scenario and seed gives a byte-identical file each time it is generated:
#
# ```console
# $ vsr synth --scenario size-ceiling --seed 7        # writes data/synthetic/size-ceiling-7.csv and .truth.json
# $ vsr run --scenario null --seed 1                  # the whole book on another scenario
# ```
#
# `vsr-narrative` tells the report's story; `null` removes every structural effect; `size-ceiling` makes being
# large necessary for the top stages. The claim chapters' verdicts should follow the scenario — that is how the
# compendium checks that its decision rules can come out either way.
