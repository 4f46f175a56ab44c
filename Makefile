# Two commands matter: `make demo` and `make test`. Both run `make setup` first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup test lint typecheck pytest faults demo bench clean

# pytest-xdist: the tests mostly wait on brokers, collectors and browsers, so 3 workers keep
# this 2-core machine busy (docs/TESTING.md "Running the suite in parallel" has the figures).
# `make test PYTEST_WORKERS=0` runs in one process; PYTEST_ARGS may add -n/--dist too (last wins).
PYTEST_WORKERS ?= 3
PYTEST_XDIST = -n $(PYTEST_WORKERS) --dist loadgroup

setup:
	@bash scripts/setup.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# The fault and abuse suite in full (10-minute partition, 10,000 fuzzed payloads); `make test`
# runs the same tests in their quick form. Prints the table: fault, sent, stored, lost, ...
faults: setup
	CF_FAULTS=full $(PY) -m pytest tests/faults -o timeout=1800 $(PYTEST_XDIST) $(PYTEST_ARGS)

demo: setup
	$(PY) scripts/demo.py $(DEMO_ARGS)

bench: setup
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
