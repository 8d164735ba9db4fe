"""vsr-analysis: test the claims of Norway's Voluntary Subnational Review (KS 2021) with statistics.

The package is cut by layer; data flow one way, from the top of this list to the bottom:

``data/``    what comes in: the register tables, the codebook, a survey file (validated), the frame it joins,
             the analysis frame with weights, where a survey comes from, input checksums
``ssb/``     making the register from Statistics Norway's raw exports and APIs (``vsr register``)
``synth/``   the synthetic replica: scenarios -> survey file + truth (``vsr synth``)
``stats/``   the methods: ordinal models (one cumulative-logit engine), intervals and shares, raking,
             multiplicity, NCA (simulated power is in ``simulate/``)
``claims/``  the claims ledger: evidence each chapter records, decision rules -> verdicts
``build/``   run spec -> papermill -> results, disclosure control, provenance, the book (``vsr run|book|verify``)
``simulate/`` how often each rule is right: scenario x seed on Dask (``vsr simulate``)
``chapter``  what a chapter notebook calls (``start()`` gives its context); ``paths`` every path; ``cli`` ``vsr``
"""

__version__ = "0.1.0"

import sys as _sys

# Start-up time of every process that reads a notebook (``vsr``, each notebook's papermill process and kernel,
# the test workers): nbformat validates with jsonschema, and jsonschema imports ``rfc3987_syntax`` when it is
# installed (JupyterLab's dependencies install it), which compiles 39 Earley grammars at import, about 1 CPU
# second per process, only to check the ``iri`` string format. No schema these processes use has that format
# (nbformat's notebook schema uses none), so it is not imported here: jsonschema then leaves ``iri`` unchecked.
# A process that imported it before this package keeps it.
_sys.modules.setdefault("rfc3987_syntax", None)
