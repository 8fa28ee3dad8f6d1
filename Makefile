# auditapp: `make run` sets everything up and serves the demo with a worker; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve worker system-deps install assets db demo test test-postgres lint check-migrations clean e2e

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# WeasyPrint subsets fonts with HarfBuzz's subsetter when the system has it (and warns, slower, without it).
system-deps:
	@ldconfig -p | grep -q libharfbuzz-subset || (apt-get update -q && apt-get install -y -q libharfbuzz-subset0) \
		|| echo "warning: install libharfbuzz-subset0 (Debian/Ubuntu) for WeasyPrint's font subsetting"

install: system-deps $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: node_modules/.installed

db: install
	$(BIN)/auditapp db upgrade

demo: db
	$(BIN)/auditapp demo

run: install assets demo
	@$(MAKE) --no-print-directory serve

# The web server and a worker (background work: imports, publishing, PDFs, messages) together, without setting up
# first. Ctrl+C stops both; if either exits, the other is stopped too (and make reports the first one's status).
serve:
	@echo "Serving auditapp on http://$(HOST):$(PORT) with a worker for background work (Ctrl+C stops both)"
	@$(BIN)/auditapp worker & worker=$$!; \
	$(BIN)/auditapp run --host $(HOST) --port $(PORT) & server=$$!; \
	trap 'kill $$server $$worker 2>/dev/null' INT TERM; \
	wait -n $$server $$worker; status=$$?; \
	kill $$server $$worker 2>/dev/null; wait; \
	exit $$status

# A worker on its own (as a second process beside `gunicorn wsgi:app` in a deployment).
worker: install
	$(BIN)/auditapp worker

test: install assets
	$(BIN)/python -m pytest

test-postgres: install assets
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest

# Browser journeys and accessibility checks (Playwright driving Debian's chromium; screenshots of failures in
# test-results/). Not part of `make test`: the tests skip themselves unless AUDITAPP_E2E=1.
e2e: assets | $(BIN)/python
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	$(BIN)/python -m pip install --quiet -e '.[dev,e2e]'
	AUDITAPP_E2E=1 $(BIN)/python -m pytest tests/e2e --screenshot only-on-failure --output test-results

# Lint, formatting, the layers (import-linter contracts in pyproject.toml) and types (mypy; strict on the domain
# and the pure packages).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache
