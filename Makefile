# The README's two commands are `make report` and `make test`; everything else is a step of them.
# Every target is idempotent: the virtual environment is rebuilt only when the dependency files change.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := dev,dask,lab

.PHONY: install report test test-fast lint lab browser clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name news-analysis --display-name "News analysis (.venv)" >/dev/null
	@touch $(STAMP)

## Produce the reports for seeds/ into reports/.
report: install
	$(BIN)/python -m analysis report

## Install everything (Chromium included, for the browser test) and run the whole test suite.
test: install browser
	$(BIN)/python -m ruff check analysis tests benchmarks scripts notebooks
	$(BIN)/python -m pytest

## The quick subset: everything but notebooks, the browser and Dask.
test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/python -m ruff check analysis tests benchmarks scripts notebooks
	$(BIN)/python -m ruff format --check analysis tests benchmarks scripts notebooks

## Debian's Chromium for the browser test (no browser download; needs root or an existing install).
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } || \
	  echo "warning: Chromium is not installed and cannot be installed here; the browser test will skip (or fail under CI=true)"

## JupyterLab with the project's kernel, rooted at the project folder so the explorer's links reach
## the corpus files (as root too: JupyterLab refuses root without --allow-root).
lab: install
	$(BIN)/jupyter lab --notebook-dir=. $$([ "$$(id -u)" = 0 ] && echo --allow-root)

clean:
	rm -rf $(VENV) .cache reports/*.html reports/*.ipynb reports/*.json
