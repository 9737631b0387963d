# Quick start: `make demo` (install, run every role on the simulator) and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help demo test lint bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements/dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes --only-binary :all: -r requirements/dev.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)  ## install (hash-locked), then run every role on the offline simulator
	$(VENV)/bin/sparring demo

test: $(STAMP)  ## install (hash-locked), then run the test suite (what CI runs)
	$(PY) -m pytest -q

lint: $(STAMP)  ## ruff and mypy (strict)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)  ## model-layer benchmark (simulator speed, overhead ratios)
	$(PY) benchmarks/bench_model_layer.py

clean:  ## remove the virtual environment
	rm -rf $(VENV)
