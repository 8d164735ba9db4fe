"""vsr-analysis: test the claims of Norway's Voluntary Subnational Review (KS 2021) with statistics.

The package is cut by layer; data flow one way, from the top of this list to the bottom:

``data/``    what comes in: the register tables, the codebook, a survey file (validated), the frame it joins,
             the analysis frame with weights, where a survey comes from, input checksums
``ssb/``     making the register from Statistics Norway's raw exports and APIs (``vsr register``)
``synth/``   the synthetic replica: scenarios -> survey file + truth (``vsr synth``)
``stats/``   the methods: ordinal models (one cumulative-logit engine), intervals and shares, raking,
             multiplicity, NCA, power (analytic and simulated)
``claims/``  the claims ledger: evidence each chapter records, decision rules -> verdicts
``build/``   run spec -> papermill -> results, disclosure control, provenance, the book (``vsr run|book|verify``)
``simulate/`` how often each rule is right: scenario x seed on Dask (``vsr simulate``)
``chapter``  what a chapter notebook calls (``start()`` gives its context); ``paths`` every path; ``cli`` ``vsr``
"""

__version__ = "0.1.0"
