# Two commands for a new user:  make run  (install, run the default scenario)
#                                make test (install with test extras, run the suite)
PYTHON ?= python3.12
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test calibrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/alliance-run $(ARGS)

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

calibrate: $(VENV)/.installed
	$(BIN)/alliance-calibrate $(ARGS)

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .ruff_cache
