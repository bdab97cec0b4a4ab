# Two commands for a new user:  make run  (install, run the default scenario)
#                                make test (install with test extras, run the suite)
PYTHON ?= python3.12
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run explore test test-slow test-ray browser browser-if-missing docs calibrate bench release clean

$(BIN)/python:
	@echo "make: creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@echo "make: installing the project and its dependencies into $(VENV) (first time only;"
	@echo "      about 1-3 minutes on a good connection, pip shows what it fetches)"
	$(BIN)/python -m pip install --progress-bar on -e ".[test]"
	@echo "make: compiling the kernels ahead (about 5 s, once), so no command pays it later"
	ALLIANCE_KERNEL=compiled $(BIN)/python -c "from experiments.process.startup import warm_kernels; warm_kernels()"
	touch $@

run: $(VENV)/.installed
	$(BIN)/alliance-run $(ARGS)

# The explorer in the browser: prints the address to open (Ctrl-C stops it).
explore: $(VENV)/.installed
	$(BIN)/alliance-explore $(ARGS)

# Under CI (CI=true) the slow checks run too, after the default suite (about 10 more minutes).
test: $(VENV)/.installed browser-if-missing
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
	@if [ -n "$$CI" ]; then echo "make: CI: the slow checks too (pytest -m slow)"; \
	  $(BIN)/python -m pytest -m slow; fi

# The documentation site (mkdocs, warnings as errors) into site/.
docs: $(VENV)/.installed
	$(BIN)/mkdocs build --strict

# The slow checks, the report page in a headless browser among them.
test-slow: $(VENV)/.installed
	$(BIN)/python -m pytest -m slow

# Debian's Chromium and its driver, for the browser tests (needs root).
browser:
	apt-get install -y -q chromium chromium-driver || \
	  (apt-get update -q && apt-get install -y -q chromium chromium-driver)

# The browser tests run in `make test`: install Chromium when it is missing and this
# is a Debian machine where we are root; otherwise say so (the tests then skip,
# except under CI=true, where they fail).
browser-if-missing:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make: installing Debian's chromium and chromium-driver for the browser tests"; \
	  $(MAKE) --no-print-directory browser >/dev/null || \
	    echo "make: could not install chromium; the browser tests will be skipped (CI fails them)"; \
	else echo "make: no chromium; the browser tests will be skipped (make browser as root)"; fi

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

# The release into dist/: the sdist and the wheel (python -m build; the variable that
# turns byte-compiling off makes setuptools print a warning, so it is unset), the
# documentation site into site/ (as `make docs`), and the model archive for the CoMSES
# Computational Model Library, made from the sdist (experiments/publish/release.py says what
# it holds).
release: $(VENV)/.installed
	rm -f dist/alliance_premium-* dist/alliance-premium-*
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m build --outdir dist .
	$(BIN)/mkdocs build --strict
	$(BIN)/python -m experiments.publish.release dist

clean:
	rm -rf $(VENV) $(VENV)-ray outputs multirun site dist build .pytest_cache .ruff_cache
