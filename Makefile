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

IPYW7 := $(VENV)/ipywidgets-7.7.1
# Google Colab's runtime, pinned (tests/colab_runtime.txt), in a second environment. Colab runs
# Python 3.13: the closest interpreter found here builds it.
COLAB_VENV ?= .venv-colab
COLAB_PINS := tests/colab_runtime.txt
COLAB_STAMP := $(COLAB_VENV)/.installed-stamp
COLAB_PYTHON ?= $(shell for p in python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3.13 python3.12 \
	$(HOME)/.pyenv/versions/3.12*/bin/python3.12 $(PYTHON); do $$p -c '' >/dev/null 2>&1 && { echo $$p; break; }; done)
PIP_QUIET := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
.PHONY: help setup lab check test lint test-fast test-python test-widgets7 test-notebooks \
	test-colab test-gpu test-browser run site student sync bench clean distclean

help:
	@echo "make lab    set up .venv and open JupyterLab on notebooks/"
	@echo "make check  lint + make test-fast: the inner loop while you work"
	@echo "make test   set up .venv and run everything below (CI runs exactly this)"
	@echo "make test-fast      unit tests that execute no notebook and train no model"
	@echo "make test-python    every pytest test but the browser and Colab ones (slow ones too)"
	@echo "make test-widgets7  the widget tests again under ipywidgets 7.7.1 (Colab's version)"
	@echo "make test-notebooks every notebook through nbval (COURSE_STRICT=1)"
	@echo "make test-colab    Colab's pinned runtime in .venv-colab: the setup cell changes nothing, notebooks run"
	@echo "make test-gpu      every notebook with DEVICE=\"cuda\" (needs a GPU), build/gpu/report.md"
	@echo "make test-browser  JupyterLab in the system Chromium: run notebooks 02 and 04, move a slider"
	@echo "make run    execute every notebook headless into build/executed/, write build/report.md"
	@echo "make site   static HTML of every executed notebook with an index (build/site/)"
	@echo "make student  student copies in notebooks/student/ (exercise solutions replaced by stubs)"
	@echo "make sync   rewrite the setup cell and Colab badge of every notebook (URL from pyproject)"
	@echo "make bench  run the benchmarks (build/bench.json)"
	@echo "make clean  remove build outputs and caches (keeps .venv; 'make distclean' removes it)"

# Re-installs only when pyproject.toml changed or the venv is missing.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing course_utils and its dependencies into $(VENV) (first time: a few minutes)..."
	@$(PY) -m pip install --progress-bar off -q -e '.[lab,dev]' $(PIP_QUIET)
	@touch $(STAMP)

setup: $(STAMP)

# Also installs the git pre-commit hook (ruff, notebooks without outputs) in a git checkout.
lab: setup
	@if [ -d .git ]; then $(VENV)/bin/pre-commit install -f >/dev/null && echo "pre-commit hook installed"; fi
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

lint: setup
	$(VENV)/bin/ruff check course_utils tools tests notebooks

# Every test under tests/ but the browser and Colab ones: also the `slow` ones (they train real
# models or start a kernel) and the tools tests that execute notebooks (`notebook`).
test-python: setup
	$(PY) -m pytest tests -m "not browser and not colab" $(PYTEST_ARGS)

# The unit tests that execute no notebook, train no real model and start no kernel.
test-fast: setup
	$(PY) -m pytest tests -m "not notebook and not slow and not browser and not colab" \
		-p no:cacheprovider $(PYTEST_ARGS)

# The inner loop while you work.
check: lint test-fast

# Colab ships ipywidgets 7.7.1: run the widget tests against it too (it goes first on the path).
$(IPYW7)/.stamp: | $(STAMP)
	@$(PY) -m pip install --progress-bar off -q --no-deps --target $(IPYW7) \
		ipywidgets==7.7.1 ipython_genutils $(PIP_QUIET)
	@touch $@

test-widgets7: setup $(IPYW7)/.stamp
	EXPECT_IPYWIDGETS=7.7.1 PYTHONPATH=$(abspath $(IPYW7)) $(PY) -m pytest -m widgets -p no:cacheprovider tests $(PYTEST_ARGS)

# COURSE_STRICT=1: every lecture claim (`report.claim`) must hold, whatever the parameters.
# OFFLINE: a default run that reaches for the network fails (tools/offline_guard/sitecustomize.py).
OFFLINE := PYTHONPATH=$(abspath tools/offline_guard)
test-notebooks: setup
	COURSE_STRICT=1 $(OFFLINE) $(PY) -m pytest --nbval-lax --nbval-current-env notebooks/[0-9][0-9]_*.ipynb $(PYTEST_ARGS)

# Re-built only when the pins change. pip first, at Colab's version (it decides how the setup
# cell's `pip install` resolves).
$(COLAB_STAMP): $(COLAB_PINS)
	@test -n "$(COLAB_PYTHON)" || { echo "no python3.13/3.12/python3 found for $(COLAB_VENV)"; exit 1; }
	@rm -rf $(COLAB_VENV)
	@echo "Building $(COLAB_VENV) from $(COLAB_PINS) with $(COLAB_PYTHON) ($$($(COLAB_PYTHON) -V))..."
	@$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	@$(COLAB_VENV)/bin/python -m pip install --progress-bar off -q "$$(grep '^pip==' $(COLAB_PINS))" $(PIP_QUIET)
	@$(COLAB_VENV)/bin/python -m pip install --progress-bar off -q -r $(COLAB_PINS) $(PIP_QUIET)
	@touch $@

# The setup cell's own install in Colab's pinned runtime must change nothing; then every notebook
# runs there (other parameters than nbval's defaults). Report: build/colab/report.md.
test-colab: setup $(COLAB_STAMP)
	COLAB_PYTHON=$(abspath $(COLAB_VENV))/bin/python $(PY) -m pytest -m colab -p no:cacheprovider \
		tests/test_colab_runtime.py $(PYTEST_ARGS)

# The device tests on the real GPU, then every notebook with DEVICE="cuda" (fails without a GPU);
# the report puts each notebook's time and figures next to the CPU run's (build/executed/ from
# `make run`) when there is one.
test-gpu: setup
	$(PY) -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "test-gpu: no CUDA GPU here")'
	$(PY) -m pytest -p no:cacheprovider tests/test_devices.py $(PYTEST_ARGS)
	COURSE_STRICT=1 $(PY) -m tools.run_notebooks notebooks build/gpu -p DEVICE '"cuda"' \
		--report build/gpu/report.md --compare build/executed/timings.json

# JupyterLab in a real browser, driven by Playwright with the system Chromium (never downloads
# one): Debian's `apt-get install chromium`; .ci/run installs it. Screenshots: build/browser/.
CHROMIUM := $(firstword $(shell command -v chromium chromium-browser google-chrome 2>/dev/null))
test-browser: setup
	@test -n "$(CHROMIUM)" || { echo "test-browser needs a system Chromium (apt-get install chromium)"; exit 1; }
	$(PY) -m pytest -m browser -p no:cacheprovider tests/browser $(PYTEST_ARGS)

# The browser test joins in when Chromium is installed (always in CI).
test: lint test-python test-widgets7 test-notebooks test-colab $(if $(CHROMIUM),test-browser,)

run: setup
	COURSE_STRICT=1 $(OFFLINE) $(PY) -m tools.run_notebooks notebooks build/executed --report build/report.md

site: setup
	$(PY) -m tools.build_site notebooks build/site --executed build/executed

student: setup
	$(PY) -m tools.make_student notebooks notebooks/student

sync: setup
	$(PY) -m tools.sync_notebooks

bench: setup
	$(PY) -m tools.bench build/bench.json

clean:
	rm -rf build .pytest_cache .ruff_cache course_utils.egg-info
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(COLAB_VENV)
