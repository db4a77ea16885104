# Two commands do all the set-up on a fresh machine with Python >= 3.11:
#   make book   creates .venv, installs, runs every chapter on the embedded snapshot, renders _build/html
#   make test   creates .venv, installs, runs the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PROFILE ?= sample
STAMP  := $(VENV)/.installed

.PHONY: venv book run test lint format bench lab clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hflineage needs Python >= 3.11; found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/hflineage book --profile $(PROFILE)

run: $(STAMP)
	$(BIN)/hflineage run --profile $(PROFILE)

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
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	mkdir -p $(LAB_SETTINGS)
	printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)/overrides.json
	touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(LAB_ARGS)

clean:
	rm -rf _build results .pytest_cache .ruff_cache
