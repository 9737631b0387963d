# Quick start: `make quickstart` (install, run Meta-Rewarding on the simulator, export the
# pairs) and `make test` (install, run the test suite).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PYTEST_ARGS ?= -q
STAMP := $(VENV)/.installed

.PHONY: help quickstart demo test lint bench clean test-trainers

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# One install for the Makefile, README and CI: scripts/install.sh (hash-locked, --no-deps, then
# `pip check` and the supply-chain check; the script says why).
$(STAMP): requirements/dev.lock pyproject.toml scripts/install.sh
	PYTHON=$(PYTHON) scripts/install.sh $(VENV)
	touch $(STAMP)

quickstart: $(STAMP)  ## install (hash-locked), run Meta-Rewarding on 20 simulated tasks, export DPO pairs
	rm -rf runs/quickstart
	$(VENV)/bin/sparring run meta-rewarding --sim-tasks 20 --out runs/quickstart
	$(VENV)/bin/sparring export runs/quickstart --format trl-dpo --meta

demo: $(STAMP)  ## install (hash-locked), then run every role once, graph-free, on the simulator
	$(VENV)/bin/sparring demo

test: $(STAMP)  ## install (hash-locked), then run the test suite (what CI runs)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff and mypy (strict)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)  ## benchmarks: model layer, resume, throughput, viewer, verdict parsing, rewards
	$(PY) benchmarks/bench_model_layer.py
	$(PY) benchmarks/bench_resume.py
	$(PY) benchmarks/bench_throughput.py --quick
	$(PY) benchmarks/bench_view.py
	$(PY) benchmarks/bench_verdict_parsing.py
	$(PY) benchmarks/bench_rewards.py
	$(PY) benchmarks/bench_search_budget.py --items 30

TRAIN_VENV ?= .venv-train
TRAIN_STAMP := $(TRAIN_VENV)/.installed

$(TRAIN_STAMP): requirements/train.lock requirements/openrlhf.lock pyproject.toml scripts/install_train.sh
	PYTHON=$(PYTHON) scripts/install_train.sh $(TRAIN_VENV)
	touch $(TRAIN_STAMP)

test-trainers: $(TRAIN_STAMP)  ## trainer venv (train.lock: TRL, CPU torch, OpenRLHF), then tests/trainers
	$(TRAIN_VENV)/bin/python -m pytest $(PYTEST_ARGS) tests/trainers

clean:  ## remove the virtual environment
	rm -rf $(VENV)
