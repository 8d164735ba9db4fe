# vsr-analysis: run `make help` for the targets.
# The first two targets are the whole story on a fresh machine with Python 3.11:
#   make book   set up .venv, generate the synthetic default, run every notebook, build the book
#   make test   set up .venv, run the full test suite (unit, end-to-end, browser) on every core
# For the edit-test loop: make check (lint + every test not marked slow or browser, under two minutes).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?=
# Extra flags for `make lab`. As root (e.g. in a container) Jupyter refuses to start without --allow-root;
# on a remote machine add --ip=0.0.0.0 --no-browser:  make lab LAB_FLAGS="--allow-root --ip=0.0.0.0 --no-browser"
LAB_FLAGS ?=

.DEFAULT_GOAL := help
# pytest on every core (pytest-xdist; an idle worker takes tests queued for a busy one), the whole-pipeline
# builds made once per run (tests/shared_build.py), and the 15 slowest tests listed at the end so that a slow
# newcomer is seen at once.
PYTEST_PARALLEL ?= -n auto --dist worksteal
PYTEST_FLAGS ?= $(PYTEST_PARALLEL) --durations=15

.PHONY: help book test check run html setup browser verify bench bench-suite clean lint lab codecheck

help: ## show this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

book: setup ## set up, run every notebook on the embedded default, build _build/html
	$(BIN)/vsr run $(if $(JOBS),--jobs $(JOBS))
	$(BIN)/vsr book

test: setup browser lint ## set up, lint, then run the full pytest suite on every core (slowest 15 listed)
	@status=0; $(BIN)/python -m pytest $(PYTEST_FLAGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$status

check: setup lint ## the quick check: lint plus every test not marked slow or browser (edit-test loop)
	@status=0; $(BIN)/python -m pytest $(PYTEST_FLAGS) -m "not slow and not browser" || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make check: pytest collected no tests" >&2; exit 1; fi; exit $$status

lint: setup ## ruff: lint and format check of src/, tests/, benchmarks/ and the templates (notebooks/*.py)
	$(BIN)/ruff check src tests benchmarks notebooks/*.py
	$(BIN)/ruff format --check src tests benchmarks notebooks/*.py

run: setup ## only execute the notebooks (vsr run)
	$(BIN)/vsr run $(if $(JOBS),--jobs $(JOBS))

html: setup ## only build the book from the executed notebooks (vsr book)
	$(BIN)/vsr book

verify: setup ## re-execute everything and compare with results/ (for reviewers)
	$(BIN)/vsr verify

lab: setup ## open JupyterLab on the templates (kernel "Python 3 (vsr-analysis)"; LAB_FLAGS=--allow-root as root)
	$(BIN)/jupyter lab --config=jupyter_server_config.py --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(LAB_FLAGS)

codecheck: setup ## write codecheck.yml (CODECHECK manifest) from the run spec and the last default run
	$(BIN)/vsr codecheck

bench: setup ## measure build and statistics speed (prints figures)
	$(BIN)/python benchmarks/run_benchmarks.py

bench-suite: setup browser ## time make check and make test here (FRESH=1: also a fresh clone's .ci/run and make book)
	$(BIN)/python benchmarks/bench_suite.py $(if $(FRESH),--fresh)

setup: $(STAMP) ## create .venv and install the package with pinned dependencies

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 2; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# every transitive dependency at the version of the lock (uv pip compile; see requirements.lock's header)
	$(BIN)/python -m pip install --quiet -r requirements.lock -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (vsr-analysis)" >/dev/null
	@# git stages notebooks/*.ipynb through this clean filter (.gitattributes): no outputs, no machine metadata
	-git config filter.vsr-notebook.clean '$(BIN)/python -m vsr_analysis.build.clean_notebook' 2>/dev/null
	@# cffconvert (the CITATION.cff schema check of tests/test_citation.py) needs jsonschema<4, which JupyterLab's
	@# server cannot use: it gets a small environment of its own
	test -d $(VENV)/cffconvert || $(PYTHON) -m venv $(VENV)/cffconvert
	$(VENV)/cffconvert/bin/python -m pip install --quiet cffconvert==2.0.0
	touch $(STAMP)

browser: ## install Debian's chromium for the browser tests (skipped when present or without apt)
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "note: /usr/bin/chromium missing and not installable here; browser tests will be skipped"; }

clean: ## remove build products (keeps .venv and committed data)
	rm -rf _build book/executed book/generated book/.staging results data/synthetic
