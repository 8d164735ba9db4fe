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
# # Power and design analysis: what could this survey detect?
#
# A verdict of *inconclusive* means little if the test never had a fair chance, and a *supported* verdict is more
# convincing when the test could also have failed. This page asks, for the primary test of every confirmatory
# claim in `claims.yml`, how often that test — run exactly as its chapter runs it, on this survey's design —
# would reach the decision "supported" if the effect were of a stated size.
#
# **The design is the survey as fielded.** The simulations keep the responding municipalities as they are: their
# number, their register characteristics (size, centrality, merger, county), their answers to the items that
# serve as covariates, and their raking weights. Only the outcome of each test is drawn anew, many times, under a
# stated effect. The power is therefore conditional on this survey's design, not on an idealised one.
#
# **Levels.** Each claim is tested at the pre-specified α, and the verdicts apply Holm's correction across the
# confirmatory family ({cite}`holm1979`). Holm's most stringent step compares the smallest p-value with α divided by
# the number of claims in the Holm family (F3's components are decided at F3's place, and F4 rests on a count, so
# neither adds a member); a claim's actual Holm level lies between that and α, depending on the other
# claims' p-values. Power is shown at both ends, which brackets it.
#
# **Not a claim.** This page records no evidence and enters no verdict. It is a design check: what the tests could
# and could not have found.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "power-design"
results_dir = None
reps = 200
seed = 2021
alpha = 0.05

# %%
from vsr_analysis.chapter import start, markdown
ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=dict(
    reps=reps, seed=seed, alpha=alpha))

# %%
from vsr_analysis.claims.ledger import load_claims_spec
from vsr_analysis.claims import power_release
from vsr_analysis.claims.network_evidence import with_network_kinds
from vsr_analysis.stats import power_report as pr

spec = load_claims_spec()
# the design is that of the fielded survey: with too few respondents for the models there is none to analyse
ctx.stop_unless_estimable(int(ctx.respondents["maturity_stage"].notna().sum()), "a maturity stage")
s = pr.setup(spec, ctx.frame, with_network_kinds(ctx.respondents), alpha=alpha, reps=reps, seed=seed)  # F5's count of kinds
for text in pr.intro_text(s, spec_alpha=float(spec.get("alpha", 0.05))):
    markdown(text)

# %% [markdown]
# ## The effect sizes, stated before the results
#
# Power is only defined for a stated effect. The sizes below are fixed here, on conventional or substantive
# grounds, and do not depend on the survey's answers. Each claim's power curve (further down) shows the whole
# range, so a reader who prefers another size can read it off. The conventions follow {cite}`cohen1988`.

# %%
_ = ctx.table("effect_sizes", pr.effect_table(s.top_stage),
              "Stated effect sizes for each primary test (fixed before the results)")

# %% [markdown]
# **How each test is simulated.**
#
# - *F1, F3, F5 (proportional-odds models).* The covariates, counties and raking weights are the respondents' own
#   (the rows the chapter's model uses). The maturity stage is drawn from a proportional-odds model in which the
#   claim's characteristic(s) have the stated coefficient and every other covariate and county effect is zero;
#   the cut-points give a uniform distribution over the six stages at the average municipality (the report
#   publishes no stage distribution to take instead; a skewed distribution changes power little, see the
#   cross-check below). Each replicate is fitted exactly as the chapter fits it — weighted proportional-odds
#   model with county fixed effects and HC0 standard errors, including the dropping of a county whose rows all sit
#   at one end of the ladder — by a vectorised version of the same Newton algorithm that gives the same estimates
#   (`vsr_analysis.stats.power_simulated`). The same random numbers are used for every effect size (common random numbers), so
#   the power curves are smooth. "Supported" needs the rule's sign as well as p < level: for F1 a positive
#   coefficient. F5 is simulated as the ledger decides it: the stages are drawn with the number of kinds of network
#   and cooperation with the county both acting (the stated effect per SD for each), and each replicate fits each
#   part in its own model with size, centrality, merger and county fixed effects; F5 is supported when the larger
#   of the two one-sided p-values is below the level. F3 is simulated as the ledger decides it: the stages are drawn with all four characteristics
#   acting together (no county effects), and each replicate is analysed with each characteristic alone (weighted
#   proportional-odds, HC0, no county fixed effects); F3 is supported when the largest of the four one-sided
#   p-values is below the level (intersection–union). Its effect is the common coefficient per SD in the model
#   that draws the stages; each characteristic's marginal coefficient is larger, because it also carries what goes
#   with it.
# - *F2, F6, F7, F8 (shares).* The frame (for F7: the domain of municipalities with the SDGs in their management
#   system, its size estimated from the sampling fraction as in the chapter) holds exactly the stated share; which
#   of its municipalities are the respondents is random. Each replicate applies the chapter's one-sided share test
#   (Wilson, Kish effective n with the respondents' weights, finite-population correction). For F2 this is the
#   share at stage ≥ 1; the rule's second part — at least three stages each holding ≥ 10 % — is a count, not a
#   test, and is not simulated.
# - *F4 (necessity).* With the CE-FDH ceiling, the minimum population required for stage ≥ 4 is the smallest
#   population among the municipalities at stage ≥ 4, so the rule's "supported" branch holds exactly when at
#   least three responding municipalities below the median are at stage ≥ 4. Its probability is computed
#   **exactly**: binomial, if each small respondent is at the top with the stated probability; hypergeometric, if
#   exactly that share of the frame's small municipalities is at the top. No p-value enters this branch, so the
#   Holm level does not change it.

# %%
_ = ctx.table("designs", pr.design_table(s), "The primary tests as simulated, with the number of responding "
              "municipalities each one uses", count_columns=["units in the test"])

# %% [markdown]
# ## Power of the model-based tests (F1, F3, F5)

# %%
coefficients = pr.coefficient_table(s)
_ = ctx.table("ordinal_coefficients", coefficients,
              "What the stated sizes mean on each characteristic's own scale (log-odds per unit: per point of "
              "the 1–5 scale, per log-unit of population, per 100 points of the centrality index, member vs not)",
              cells=power_release.coefficient_cells(coefficients, s))

# %% [markdown]
# ## Power of the share tests (F2, F6, F7, F8)

# %%
curves = pr.power_curves(s)   # F1, F3, F5 and the share tests simulated (common random numbers), F4 exact

# %% [markdown]
# ## F4: how likely were three small municipalities at the top?

# %%
q80 = pr.f4_share_for_power(s, 0.8)
markdown(pr.f4_text(s, q80))

# %% [markdown]
# ## Power at the stated effect sizes

# %%
power_table = pr.power_table(s, curves)
_ = ctx.table("power", power_table, "Power of each primary test to reach 'supported' at the stated effect sizes, at α "
              "and at Holm's most stringent level, with Monte Carlo 95 % intervals (low, high); F4 exact")

# %% [markdown]
# ### Do the tests hold their level?
#
# At zero effect (for the shares: the true share exactly at the rule's level) the test alone should reject in
# about α of the replicates. "Supported" is rarer for the model-based claims: F1 counts only rejections with
# the stated sign (about α / 2), and F3 and F5 need all their one-sided tests at once (far below α when all four are
# zero; the intersection–union test holds α at the worst case, one component at zero and three strong). A rate well above α would
# mean a test is too liberal on this design.

# %%
_ = ctx.table("size_check", pr.size_check_table(s, curves), "Rate of 'supported' when there is no effect (a check "
              "of the tests' level on this design)")

# %% [markdown]
# ## Power curves
#
# {numref}`Figure %s <fig-power-design-power-curves>` draws the power of each primary test against the size of the
# effect, one panel per kind of test.

# %%
_ = ctx.figure(pr.power_curves_figure(s, curves), "power_curves",
               alt="Three stacked panels of power curves: for the model-based claims F1, F3 and F5 against the effect in "
                   "log-odds per standard deviation; for the share claims F2, F6, F7 and F8 against the true share "
                   "above the rule's level; and for F4 against the true share of small municipalities at the top "
                   "stages; solid lines at alpha, dashed lines at Holm's most stringent level, a dotted line at 0.8",
               caption=f"Probability that each primary test reaches 'supported' on this survey's design; solid: α = "
                       f"{alpha:g}, dashed: α / {s.m_family}; dotted: power 0.8; thin vertical lines: the stated "
                       "small, medium and large effects. Top and middle panels simulated "
                       f"({reps} replicates per point, common random numbers), bottom panel exact (binomial).")

# %% [markdown]
# ## Minimum detectable differences between two groups
#
# `methods.md` states the design's two-group benchmarks: with about 300 respondents, a standardised difference d
# is detectable at α = .05 with power .8 from about 0.32 for a 150/150 split and about 0.54 for a 30/270 split.
# They are computed here (normal approximation, two-sided), together with the splits this survey actually has.

# %%
mdes = pr.mdes_table(s, ctx.respondents)
_ = ctx.table("mdes", mdes, "Minimum detectable standardised difference (Cohen's d) between two groups",
              count_columns=["group 1", "group 2"], cells=power_release.mdes_cells(mdes, ctx.respondents))
markdown(pr.mdes_text(s, mdes))

# %% [markdown]
# ### Cross-check: a two-group effect (network membership) by Whitehead's formula
#
# Whitehead's approximation {cite}`whitehead1993` gives the power of a two-group proportional-odds comparison without covariates
# or weights. It checks the simulation machinery (the same comparison simulated without controls or weights), and
# shows how little a skewed stage distribution would change the answer.

# %%
n1, n0 = pr.network_groups(s)
if min(n1, n0) < 3:  # the comparison needs two groups; which one is too small is not said (it would be an answer)
    markdown("*The two-group check is left out: one of the two groups has fewer than 3 municipalities.*")
else:
    _ = ctx.table("whitehead_check", pr.whitehead_table(s, curves), f"Network membership ({n1} members, {n0} "
                  f"non-members): two-sided power at α = {alpha:g}, simulated and by Whitehead's formula", count_columns=[])
markdown("Whitehead's formula and the simulation without controls or weights should agree within Monte Carlo "
         "error; the gap to the test with F1's controls, counties and weights is the price of adjusting for "
         "characteristics that go with membership (and of the weights).")

# %% [markdown]
# ## What the design could detect, claim by claim

# %%
markdown("\n".join(f"- {line}" for line in pr.claim_lines(s, curves, power_table, q80)))

# %%
markdown(pr.fit_summary_text(s, curves))

