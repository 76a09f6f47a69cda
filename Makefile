# ledgerbridge — the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: demo test test-system bench fuzz lint format clean help

help:
	@echo "make demo   install, generate Demo AB, ingest, build, publish and serve the dashboards"
	@echo "make test   install with test tools (and, as root, chromium and postgresql) and run the tests"
	@echo "make bench  run the benchmarks under tests/bench (prints figures; not part of make test)"
	@echo "make fuzz   feed the SIE reader mutated files for FUZZ_SECONDS (default 60)"
	@echo "make lint   ruff check and format check"

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ledgerbridge needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	@touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/ledgerbridge demo

# Browser tests drive Debian's chromium (Playwright cannot download browsers offline); the
# dbt-on-PostgreSQL tests start a PostgreSQL server of their own from Debian's postgresql.
# As root we install what is missing; otherwise those tests skip and say how to enable them.
SYSTEM_PACKAGES_MISSING = $(strip \
	$(if $(wildcard /usr/bin/chromium),,chromium chromium-driver) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/pg_ctl),,postgresql))
test-system:
	@if [ -z "$(SYSTEM_PACKAGES_MISSING)" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing $(SYSTEM_PACKAGES_MISSING) for the browser and PostgreSQL tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES_MISSING) >/dev/null; \
	else \
		echo "note: $(SYSTEM_PACKAGES_MISSING) missing and this is not root; their tests will skip (sudo apt-get install $(SYSTEM_PACKAGES_MISSING))"; \
	fi

test: $(VENV)/.installed-dev test-system
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	$(PY) -m pytest tests/bench -s -p no:cacheprovider

FUZZ_SECONDS ?= 60
fuzz: $(VENV)/.installed-dev
	$(PY) -m tests.fuzz.fuzz_sie --seconds $(FUZZ_SECONDS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .ledgerbridge .pytest_cache .ruff_cache tests/artifacts
