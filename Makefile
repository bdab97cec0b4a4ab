# Two commands for a new user:  make run  (install, run the default scenario)
#                                make test (install with test extras, run the suite)
PYTHON ?= python3.12
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-slow test-ray browser docs calibrate bench clean

$(BIN)/python:
	@echo "make: creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@echo "make: installing the project and its dependencies into $(VENV) (first time only;"
	@echo "      about 1-3 minutes on a good connection, pip shows what it fetches)"
	$(BIN)/python -m pip install --progress-bar on -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/alliance-run $(ARGS)

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The documentation site (mkdocs, warnings as errors) into site/.
docs: $(VENV)/.installed
	$(BIN)/mkdocs build --strict

# The slow checks, the report page in a headless browser among them.
test-slow: $(VENV)/.installed
	$(BIN)/python -m pytest -m slow

# Debian's Chromium and its driver, for the browser test (needs root).
browser:
	apt-get install -y chromium chromium-driver

# The Ray backend in its own environment: Ray is large (about 400 MB), so it stays
# out of the main one.
test-ray:
	$(PYTHON) -m venv $(VENV)-ray
	$(VENV)-ray/bin/python -m pip install --quiet -e ".[test,ray]"
	$(VENV)-ray/bin/python -m pytest tests/test_sweeps.py -k "launcher and ray"

calibrate: $(VENV)/.installed
	$(BIN)/alliance-calibrate $(ARGS)

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf $(VENV) $(VENV)-ray outputs multirun site .pytest_cache .ruff_cache
