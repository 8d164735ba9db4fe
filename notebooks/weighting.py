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
# # Weighting for non-response
#
# The register is known for all 356 municipalities, respondents or not, so the respondents can be weighted
# back to the whole frame. The compendium rakes (iterative proportional fitting) the respondents to the
# frame's counts on three pre-specified margins: **size band**, **centrality class** (classes 1 and 2 pooled:
# class 1 has only six municipalities) and **merger 2017–2020**. A margin cell where nobody answered (possible in
# a small or unusual survey file) is merged with its smaller neighbour, and the page says so. When the respondents
# still cannot meet every margin at once (a file without any respondent of a whole county can leave no weights
# that do), a pre-specified rule drops margins one at a time, merger first, then centrality, size band last,
# until raking converges; every chapter then says which margins were dropped. Every primary result
# is weighted, with the unweighted one beside it. The design effect (Kish: 1 + CV² of the weights) says how much
# precision the weighting costs; {numref}`Figure %s <fig-weighting-weights>` shows how the weights spread.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "weighting"
results_dir = None

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters={})

# %%
from vsr_analysis.api import load_claims_spec, paths, share_figures
from vsr_analysis.api import share_evidence as se
from vsr_analysis.api import weighting_report as wr

frame = ctx.frame
info = ctx.data.weight_info
markdown(wr.weights_text(info))
for note in wr.margin_notes(info):
    markdown(note)
_ = ctx.table(
    "margins",
    se.margin_table(frame, info["margins"]),
    "Raking margins: the frame, the respondents and the weighted respondents",
    count_columns=["frame (municipalities)", "respondents"],
)

# %%
resp = frame[frame["responded"]]
fig = wr.weights_figure(resp)
ctx.figure(
    fig,
    "weights",
    alt="Histogram of the raking weights of the responding municipalities",
    caption="A weight above 1 means the municipality stands for more than itself: its kind answered less often.",
)
# the rest of the page estimates shares and response models: with too few respondents it would show one unit
ctx.stop_unless_estimable(info["respondents"], "weights (they answered)", kind="count")

# %% [markdown]
# ## How sure is a raked share? Response as a second phase of sampling
#
# Every municipality was asked, so there is no sampling error in the usual sense: the only chance element is who
# answered. Treating the respondents as a simple random sample of the 356 (one finite-population correction
# 1 − n/N for all) ignores that response rises with size. The shares of claims F2 and F6–F10 (F8: each barrier's share) therefore use the
# linearisation variance of the raked estimator. The share claims (F2, F6, F7, F9, F10) are *decided* on it without
# any finite-population factor (the assumption-light interval, declared in `claims.yml` as `analysis.variance`),
# which does not rest on the response model being right; the narrower interval described next, under
# missing at random, is reported beside each verdict (F8's ranking still uses it). It is the
# variance of the calibration estimator under non-response of Särndal and Lundström {cite}`sarndal2005`
# (linearisation of the raked estimator, {cite}`deville1992`): response is treated as *Poisson sampling*, each
# municipality answering independently with its own probability π̂ᵢ, so each respondent contributes the factor
# 1 − π̂ᵢρ̂ (a municipality that was almost sure to answer adds almost no uncertainty; ρ̂ is the share of
# respondents who answered the item, item non-response being a further phase), and the contributions are
# the residuals of the linearised share after regression on the raking margins (what the margins already
# explain carries no uncertainty). **What it assumes:** municipalities answer independently of each other given
# their register characteristics; the response model below is right; the raking margins are fixed; and item
# non-response inside a domain is completely at random. When response depends on the outcome itself (the replica's
# `mature-answer-more`), the factor 1 − π̂ᵢ makes the interval too narrow: the operating-characteristics chapter
# shows it. Without any finite-population factor (the interval the share claims are decided on) the standard error
# equals R `survey`'s linearisation standard error for the same raked design (checked in the test suite).
#
# Two small-sample corrections make the primary interval honest with a few hundred respondents and about a
# dozen calibration constraints. **First**, the residuals come from a least-squares fit on the raking margins,
# so they are smaller than the errors they stand for; their sum of squares is divided by n − q, q being the
# number of independent calibration constraints, instead of R `survey`'s n − 1 (as the HC1 correction does in
# regression {cite}`mackinnon1985`). **Second**, the interval is Wilson's at the design-effective sample size
# n* = p(1 − p)/V. Wilson's score form already allows for what a simple random sample leaves unsure, even when
# only a few municipalities give the rarer answer; what it cannot see is how unsure the *design effect* is (V
# divided by the variance a simple random sample of the same respondents would have). That is large when a few
# heavily weighted respondents carry V, and small when every respondent's share of V is about its share of the
# simple-random-sample variance, however rare the answer. With sᵢ = respondent i's share of V minus its share of
# that variance, the design effect's degrees of freedom are taken as df = 1/Σsᵢ², and the interval uses Korn and
# Graubard's degrees-of-freedom-adjusted effective sample size n*(z/t_df)² {cite}`korn1998`. A Satterthwaite
# approximation {cite}`satterthwaite1946` would put 2 or 3 in the numerator (3 for normal residuals, 2 for
# heavy-tailed ones); the rule takes 1 because the plug-in is optimistic exactly where it matters: when the
# heavily weighted respondents happen to give the common answer, V and Σsᵢ² are small together. That choice was
# made on the coverage benchmark below (seeds 0–999 of every scenario), which shows all three, and checked on
# the operating-characteristics run, whose seeds are different. An earlier version took the degrees of freedom
# of V itself; that counted a rare answer twice (Wilson already counts it) and made F7's interval too wide
# where almost every municipality in its domain answers yes.
#
# ### The response model and its calibration
#
# The response probabilities come from a logistic regression on log population, centrality, merger and county
# (county dummies shrunk towards the national rate; the three register covariates are penalised a hundred
# times less, since shrinking them would flatten the probabilities), regularised with an L2 penalty chosen by
# five-fold cross-validated log-loss (scikit-learn). Is it calibrated? Each municipality's probability is predicted by a
# model that did not see it (out of fold), the municipalities are grouped into fifths by that prediction, and the
# observed response rate of each fifth is set against its mean prediction: calibrated predictions lie on the
# diagonal ({numref}`Figure %s <fig-weighting-propensity-calibration>`). The calibration slope (1 when calibrated; below 1 when the predictions are too spread out, above 1
# when they are too timid) and the Brier score against a constant rate summarise it.

# %%
from vsr_analysis.api import calibration_check

propensity = se.frame_propensity(frame)
cal_table, cal = calibration_check(frame["responded"], propensity.cv_prob)
markdown(wr.calibration_text(propensity.method, propensity.prob, cal))
ctx.table(
    "propensity_calibration",
    cal_table.rename(columns={"units": "municipalities"}),
    "Calibration of the response probabilities (out of fold, fifths of the prediction)",
    count_columns=["municipalities"],
)
fig = share_figures.calibration_figure(cal_table)
ctx.figure(
    fig,
    "propensity_calibration",
    alt="Observed response rate against the mean predicted response probability in five groups, with the diagonal",
    caption="Out-of-fold response probabilities against the observed response rate, by fifths of the prediction.",
)

# %%
spec = load_claims_spec()
_ = ctx.table(
    "share_variances",
    se.variance_comparison(frame, spec, info["margins"], propensity),
    "The share claims' outcomes under three variances: no finite-population factor (assumption-light, the "
    "one they are decided on), 1 − π̂ᵢ per unit (under missing at random), and the global factor 1 − n/N",
)

# %% [markdown]
# ### Do the intervals cover the truth? (simulated)
#
# On the synthetic replica the frame's true shares are known, so the intervals can be checked: over many seeds of
# each scenario, how often does the 95 % interval contain the true share of all 356 municipalities? The figure
# shows the saved output of `benchmarks/bench_share_coverage.py` (SIMULATED DATA; its docstring says how it was
# run; the grey band is 0.93–0.97) for every scenario, including `unequal-response`, in which small and peripheral
# municipalities answer far less often. The share claims are decided on the interval without a finite-population
# factor (wider, so it covers at least as often as the one under missing at random drawn below). The rows *no
# finite-population factor* and *global 1 − n/N* are computed
# as R `survey` computes them (n − 1, no degrees-of-freedom adjustment). The table's `oracle` rows are a
# diagnosis that only a simulation allows: the share weighted by each municipality's *true* response
# probability, with the Poisson-sampling variance and a plain Wald interval. Where even the oracle misses the
# band, no weighting of these respondents would do better: the respondents say too little about the
# municipalities that rarely answer.
#
# How unequal can response be? A first version of `unequal-response` let the odds of answering rise tenfold
# with a tenfold population and steeply with centrality, which left the smallest municipalities a response
# probability of about one in a hundred. There even the oracle under-covered: weighting needs every municipality
# to have a response probability clearly above zero (positivity), and that version tested how little a handful of
# small respondents can say about the many that did not answer, not the variance. The scenario now doubles the
# size slope and quadruples the centrality slope of the default scenario; the next table shows the response
# probabilities it implies.

# %%
from vsr_analysis.api import replica

probs = {name: replica.response_probabilities(name) for name in ("vsr-narrative", "unequal-response")}
_ = ctx.table(
    "response_probabilities",
    wr.response_quantiles(probs),
    "SIMULATED: the scenarios' true response probabilities over the frame (quantiles)",
)

# %%
coverage = se.read_coverage(paths.project_root() / "benchmarks" / "output" / "share_coverage*.csv")
if coverage is None:
    markdown(
        "*The coverage benchmark's output is not in this copy of the project; run "
        "`benchmarks/bench_share_coverage.py` to produce it.*"
    )
else:
    ctx.table(
        "share_coverage",
        coverage,
        "Coverage of the share intervals on the synthetic replica (simulated)",
        count_columns=["seeds"],
    )
    markdown(
        f"{ctx.ref('share_coverage')} draws it for the interval under missing at random (1 − π̂ᵢ per unit; the "
        "share claims' primary until issue 26), the oracle and the old global factor, scenario by claim."
    )
    fig = share_figures.coverage_figure(coverage)
    ctx.figure(
        fig,
        "share_coverage",
        alt="Three grids of scenario by claim giving the coverage of the 95 % intervals of the share claims: the interval under missing at random, the oracle and the old global factor; cells outside 0.93 to 0.97 framed",
        caption="SIMULATED: share of replica seeds whose 95 % interval contains the frame's true share, per "
        "scenario and claim; framed bold cells lie outside 0.93–0.97 (the table gives the Monte Carlo "
        "standard errors).",
    )
    for line in wr.coverage_text(coverage):
        markdown(line)

# %% [markdown]
# A cell above the band would be on the safe side: the interval wider than it needs to be. A cell below the
# band would be the serious failure: an interval claiming more certainty than the data give. The next table
# compares the rule's degrees of freedom (1/Σsᵢ²) with the two the theory suggests.

# %%
if coverage is not None:
    ctx.table(
        "df_constant",
        se.df_constant_summary(coverage),
        "SIMULATED: coverage of the primary interval with the design effect's degrees of freedom at "
        "1/Σs², 2/Σs² and 3/Σs², over all scenario × claim cells",
        count_columns=["cells", "cells in 0.93–0.97"],
    )

# %% [markdown]
# ## A check: response-propensity weights
#
# Raking matches the frame on three margins. The response-propensity model above instead predicts each
# municipality's chance of answering, and its inverse can weight the respondents. If both weightings agree, the
# weighted results do not hinge on the method.

# %%

comparison, agreement = wr.weighting_comparison(frame)
ctx.table(
    "weighting_comparison",
    comparison,
    "The same shares under no weights, raking weights and response-propensity weights",
)
markdown(wr.agreement_text(agreement))
