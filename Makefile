# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make book   creates .venv, installs the locked versions, runs every chapter on the embedded
#               snapshot, renders _build/html
#   make test   creates .venv, installs the locked versions, runs the tests
# The install follows uv.lock (exact versions and sha256 hashes, Python 3.11 on Linux and macOS;
# Design page, "The lock"). uv itself comes from PyPI into .venv with pip (pinned below).
#   make lock   refreshes uv.lock to the newest versions pyproject.toml allows (then: make check)
#   make check  compares the last `make run` with the golden estimates (tests/golden/)
#   make golden re-records them (ci and $(PROFILE))
#   LOCK=0      installs from pyproject.toml's open ranges instead (any Python >= 3.11; numbers
#               may then differ from the book's: run make check)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PROFILE ?= embedded
LOCK   ?= 1
UV_VERSION := 0.13.9
STAMP  := $(VENV)/.installed
UV     := UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv

.PHONY: venv book run check golden test lint format bench lab lock clean

ifeq ($(LOCK),1)
$(STAMP): pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "uv.lock is for Python 3.11; found " + sys.version.split()[0] + " (install 3.11, set PYTHON=python3.11, or use LOCK=0)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) sync --locked --inexact --quiet --extra dev --python $(BIN)/python
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	touch $(STAMP)
else
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hflineage needs Python >= 3.11; found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	touch $(STAMP)
endif

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) lock --upgrade --python 3.11

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/hflineage book --profile $(PROFILE)

run: $(STAMP)
	$(BIN)/hflineage run --profile $(PROFILE)

# After `make run` (or `make book`): the last run's estimates against the golden ones, one table.
check: $(STAMP)
	$(BIN)/hflineage golden --profile $(PROFILE)

# Re-record the golden estimates (after a deliberate change of a rule, a chapter or a library):
# runs ci and $(PROFILE) (chapters up to date are reused) and records both; review the diff of
# tests/golden/ before committing it.
golden: $(STAMP)
	$(BIN)/hflineage run --profile ci
	$(BIN)/hflineage golden --update --profile ci
	$(BIN)/hflineage run --profile $(PROFILE)
	$(BIN)/hflineage golden --update --profile $(PROFILE)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

# JupyterLab with the chapters opening as notebooks (jupytext): installed into .venv on first use.
# The overrides file makes a double click on notebooks/NN_name.md open a notebook, in this
# environment only (your own JupyterLab settings are not touched). Extra options in LAB_ARGS, e.g.
# make lab LAB_ARGS="--no-browser --port 8890" (or --allow-root inside a container run as root).
LAB_STAMP := $(VENV)/.lab-installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings

$(LAB_STAMP): $(STAMP)
ifeq ($(LOCK),1)
	$(UV) sync --locked --inexact --quiet --extra dev --extra lab --python $(BIN)/python
else
	$(BIN)/python -m pip install --quiet -e '.[lab]'
endif
	mkdir -p $(LAB_SETTINGS)
	printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)/overrides.json
	touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(LAB_ARGS)

clean:
	rm -rf _build results .pytest_cache .ruff_cache
