# Two commands: `make lab` (set up + open JupyterLab) and `make test` (set up + run every check).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PATH := $(abspath $(VENV))/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# JupyterLab refuses to run as root without this flag (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS ?=
PYTEST_ARGS ?=

.PHONY: help setup lab test lint unit notebooks run bench clean

help:
	@echo "make lab    set up .venv and open JupyterLab on notebooks/"
	@echo "make test   set up .venv, lint, unit tests, papermill test, every notebook via nbval"
	@echo "make run    execute every notebook headless into build/executed/ with a timing table"
	@echo "make bench  run the benchmarks (build/bench.json)"
	@echo "make clean  remove build outputs and caches (keeps .venv; 'make distclean' removes it)"

# Re-installs only when pyproject.toml changed or the venv is missing.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing course_utils and its dependencies into $(VENV) (first time: a few minutes)..."
	@$(PY) -m pip install --progress-bar off -q -e '.[dev]' 2>&1 \
		| { grep -v 'is ignored: it is neither a file nor a directory' || true; }
	@touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

lint: setup
	$(VENV)/bin/ruff check course_utils tests notebooks

unit: setup
	$(PY) -m pytest tests $(PYTEST_ARGS)

notebooks: setup
	$(PY) -m pytest --nbval-lax --nbval-current-env notebooks/ $(PYTEST_ARGS)

test: lint unit notebooks

run: setup
	$(PY) tests/tools/run_notebooks.py notebooks build/executed

bench: setup
	$(PY) tests/bench/run_bench.py build/bench.json

clean:
	rm -rf build .pytest_cache .ruff_cache course_utils.egg-info
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
