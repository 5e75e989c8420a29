# CMMS - the two front-door commands are `make run` and `make test`.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
CMMS_DEMO ?= 1
export CMMS_DEMO

.PHONY: help run test venv install spa migrate seed-demo serve lint pytest pytest-sqlite pytest-postgres \
        frontend-check e2e openapi clean bench bench-smoke fuzz

help:
	@echo "make run   - install, build the SPA, migrate, seed the demo and serve on http://$(HOST):$(PORT)"
	@echo "make test  - ruff, the Python suite on SQLite and PostgreSQL, the SPA checks, the browser tests"
	@echo "make openapi - regenerate openapi/openapi.json and the SPA's API types"

$(BIN)/python:
	@py=$$(command -v $(PYTHON) || command -v python3)
	"$$py" -c 'import sys; assert sys.version_info >= (3, 11), "CMMS needs Python 3.11 or newer"'
	"$$py" -m venv $(VENV)

$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv install: $(VENV)/.stamp-install

frontend/node_modules/.stamp: frontend/package-lock.json
	npm --prefix frontend ci --no-audit --no-fund
	touch $@

spa: frontend/node_modules/.stamp
	npm --prefix frontend run build

# A random signing key kept under var/ so `make run` is safe without configuration.
var/jwt_secret: | $(BIN)/python
	mkdir -p var
	umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))' > $@

RUN_ENV = CMMS_JWT_SECRET="$${CMMS_JWT_SECRET:-$$(cat var/jwt_secret)}"

migrate: install var/jwt_secret
	$(RUN_ENV) $(BIN)/cmms migrate

seed-demo: migrate
	@if [ "$(CMMS_DEMO)" != "0" ]; then $(RUN_ENV) $(BIN)/cmms seed-demo; fi

serve:
	$(RUN_ENV) $(BIN)/uvicorn api.main:create_app --factory --host $(HOST) --port $(PORT) --workers $(WORKERS) \
	  --proxy-headers --no-access-log

run: install spa seed-demo
	@echo "CMMS on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/docs)"
	$(MAKE) --no-print-directory serve

lint: install
	$(BIN)/ruff check api tests migrations
	$(BIN)/ruff format --check api tests || { echo "run: .venv/bin/ruff format api tests"; exit 1; }

pytest-sqlite: install
	$(BIN)/pytest -q -m "not e2e" --db sqlite

pytest-postgres: install
	@if $(BIN)/python -m tests.pg available; then
	  $(BIN)/pytest -q -m "not e2e" --db postgresql
	elif [ "$${CMMS_REQUIRE_ALL:-0}" = "1" ]; then
	  echo "PostgreSQL binaries are missing and CMMS_REQUIRE_ALL=1: failing"; exit 1
	else
	  echo "PostgreSQL binaries not found: the PostgreSQL run is skipped (CI installs them)"
	fi

pytest: pytest-sqlite pytest-postgres

frontend-check: frontend/node_modules/.stamp
	npm --prefix frontend run typecheck
	npm --prefix frontend run build
	npm --prefix frontend test

CHROMIUM ?= /usr/bin/chromium
e2e: install frontend-check
	@if [ -x "$(CHROMIUM)" ]; then
	  $(BIN)/pytest -q -m e2e tests/e2e
	elif [ "$${CMMS_REQUIRE_ALL:-0}" = "1" ]; then
	  echo "$(CHROMIUM) is missing and CMMS_REQUIRE_ALL=1: failing"; exit 1
	else
	  echo "$(CHROMIUM) not found: the browser tests are skipped (CI installs Debian's chromium)"
	fi

test: lint pytest frontend-check e2e

# The benchmark program (tests/bench/bench.py): seeds BENCH_CASES (default 1,000,000) cases, starts
# the server and prints req/s, p99 and ratios to /health (SQLite; PostgreSQL with DATABASE_URL or
# BENCH_DB=postgresql). It prints figures and never fails on speed. docs/benchmarks.md has results.
bench: install
	$(BIN)/python -m tests.bench.bench

bench-smoke: install
	BENCH_CASES=$${BENCH_CASES:-2000} BENCH_DURATION=$${BENCH_DURATION:-2} BENCH_FRESH=1 $(BIN)/python -m tests.bench.bench

# API fuzzing (tests/fuzz/runner.py): schemathesis over every operation of a live server seeded with
# the demo, every check, every phase, FUZZ_EXAMPLES (default 200) examples per operation, as two
# district prosecutors of different districts and an administrator; SQLite, or PostgreSQL with
# DATABASE_URL (a fresh database is created next to it). A short run is part of the pytest passes.
fuzz: install
	$(BIN)/python -m tests.fuzz.runner

openapi: install
	CMMS_ENV=development $(BIN)/cmms openapi
	npm --prefix frontend run gen:api

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist .pytest_cache .ruff_cache
