# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test test-sqlite test-postgres lint migrate seed bench test-e2e screenshots node-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,e2e]'
	touch $@ $(STAMP)

# axe-core for the browser tests' accessibility checks (a test tool, never served to users).
node-deps:
	@if [ ! -d node_modules ] && command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; fi

run: $(STAMP)
	$(BIN)/peerbearing migrate
	$(BIN)/peerbearing seed-demo --if-empty
	PEERBEARING_SECURE_COOKIES=$${PEERBEARING_SECURE_COOKIES:-false} $(BIN)/peerbearing serve --host 127.0.0.1 --port 8000

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The suite runs on SQLite, then again on PostgreSQL when one answers (PEERBEARING_TEST_POSTGRES_URL,
# or 127.0.0.1:5432). With CI=true PostgreSQL is required: the second run fails if it is missing.
PG_ANSWERS := $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2).close()"

test: $(DEV_STAMP) node-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PEERBEARING_TEST_ENGINE=sqlite $(BIN)/python -m pytest
	@if [ -n "$$PEERBEARING_TEST_POSTGRES_URL" ] || [ "$$CI" = "true" ] || $(PG_ANSWERS) 2>/dev/null; then \
		echo "== the same suite on PostgreSQL =="; \
		PEERBEARING_TEST_ENGINE=postgres $(BIN)/python -m pytest; \
	else \
		echo "PostgreSQL does not answer on 127.0.0.1:5432 (set PEERBEARING_TEST_POSTGRES_URL): SQLite run only."; \
	fi

test-sqlite: $(DEV_STAMP)
	PEERBEARING_TEST_ENGINE=sqlite $(BIN)/python -m pytest

test-postgres: $(DEV_STAMP)
	PEERBEARING_TEST_ENGINE=postgres $(BIN)/python -m pytest

# Only the browser tests; they fail, rather than step aside, when Chromium is missing.
test-e2e: $(DEV_STAMP) node-deps
	PEERBEARING_E2E_REQUIRED=1 $(BIN)/python -m pytest tests/e2e

# Desktop and phone, light and dark, of the main pages, into screenshots/.
screenshots: $(DEV_STAMP) node-deps
	PEERBEARING_E2E_REQUIRED=1 $(BIN)/python -m pytest tests/e2e/test_screenshots.py
	@echo "Screenshots are in $(CURDIR)/screenshots/"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache screenshots

bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py
