# kurtosis-tui: set-up, demo, tests. Every target works from a clean clone.
#
#   make setup        .venv with the package (editable, dev extra), a Docker engine
#                     that answers, the controller's and the examples' images
#   make demo         setup, then the example suites in the TUI (q moves on)
#   make test         setup, then ruff, mypy and pytest (what .ci/run calls)
#   make lint         ruff and mypy only
#   make bench        the benchmarks (benchmarks/RESULTS.md)
#   make screenshots  the README's screenshots
#   make clean        remove every Docker object that earlier runs left

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kurtosis-tui-installed
PYTEST_ARGS ?=

.PHONY: setup demo test lint bench screenshots clean

setup: $(STAMP)
	@$(VENV)/bin/kurtosis-tui setup --dev

# The editable install is redone only when pyproject.toml changes (or the venv is new).
$(STAMP): pyproject.toml | $(VENV)/bin/pip
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@

$(VENV)/bin/pip:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { \
	  echo "make setup: $(PYTHON) is older than 3.10; run \`make setup PYTHON=python3.11\`" >&2; \
	  exit 2; }
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make setup: installing python3-venv with apt-get"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv \
	      && $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "make setup: $(PYTHON) cannot make a virtual environment; install its venv" \
	      "module (Debian/Ubuntu: sudo apt-get install python3-venv), then make setup" >&2; \
	    exit 2; \
	  fi; }

# Each suite in the TUI in turn (plain output without a terminal); a failure stops the demo.
demo: setup
	$(VENV)/bin/kurtosis-tui run examples/quickstart
	$(VENV)/bin/kurtosis-tui run examples/redis-replication
	$(VENV)/bin/kurtosis-tui run examples/partition

# pytest runs as two processes side by side: the tests marked slow and the others
# (.ci/pytest-sets: a log and a JUnit report each in test-reports/, both printed at the
# end, the target failing if either set fails).
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@.ci/pytest-sets $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The comparison (testcontainers) and profiling (pyinstrument) tools: the bench extra.
bench: setup
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev,bench]'
	$(PY) benchmarks/run_all.py

screenshots: setup
	$(PY) screenshots/make_screenshots.py

clean: $(STAMP)
	$(VENV)/bin/kurtosis-tui clean
