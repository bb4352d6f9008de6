# Two commands for a newcomer: `make run` and `make test`.
# Both install exact versions with hashes from requirements/ (the lock; `make lock` refreshes it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The project itself, its dependencies already installed from the lock (setuptools comes from the lock too).
INSTALL_SELF := $(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

.PHONY: run test test-faults test-sqlite test-postgres lint lock lock-upgrade migrate seed bench test-e2e screenshots node-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# run.txt: the app alone, for SQLite (no dev tools, no PostgreSQL or Redis driver).
$(STAMP): $(BIN)/python pyproject.toml requirements/run.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/run.txt
	$(INSTALL_SELF)
	touch $@

# dev.txt: the app with the dev, e2e, bench, postgres and redis extras (what `make test`, `make bench` and CI need).
$(DEV_STAMP): $(BIN)/python pyproject.toml requirements/dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(INSTALL_SELF)
	touch $@ $(STAMP)

# The lock: ranges stay in pyproject.toml; requirements/*.txt pin every package with the hashes of all
# its files on PyPI. uv resolves once for every platform and Python 3.11+ (--universal), writing
# markers where they differ (Debian 12's Python 3.11.2 needs async-timeout for redis, 3.12 does not),
# and the files install with plain pip. dev.txt is resolved first and constrains the other two, so
# the three agree. `make lock` keeps the pins that still fit (adding a dependency changes only its
# lines); `make lock-upgrade` moves everything to the newest in range.
LOCK := $(BIN)/uv --no-config pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

lock: $(DEV_STAMP)
	$(LOCK) $(LOCK_ARGS) --extra dev --extra e2e --extra bench --extra postgres --extra redis \
		-o requirements/dev.txt pyproject.toml requirements/build.in
	$(LOCK) $(LOCK_ARGS) -c requirements/dev.txt --extra postgres --extra redis \
		-o requirements/deploy.txt pyproject.toml requirements/build.in
	$(LOCK) $(LOCK_ARGS) -c requirements/dev.txt -o requirements/run.txt pyproject.toml requirements/build.in

lock-upgrade:
	$(MAKE) lock LOCK_ARGS=--upgrade

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

# Faults, on SQLite then PostgreSQL (same rule as `make test`): the server SIGKILLed mid-stream, a
# private PostgreSQL cluster stopped under load, 32 connections held for 60 s
# (PEERBEARING_FAULT_LOAD_SECONDS shortens it). Figures are printed at the end of each run.
test-faults: $(DEV_STAMP)
	PEERBEARING_TEST_ENGINE=sqlite $(BIN)/python -m pytest tests/faults
	@if [ -n "$$PEERBEARING_TEST_POSTGRES_URL" ] || [ "$$CI" = "true" ] || $(PG_ANSWERS) 2>/dev/null; then \
		echo "== the fault tests on PostgreSQL =="; \
		PEERBEARING_TEST_ENGINE=postgres $(BIN)/python -m pytest tests/faults; \
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

# The app against its own stack's limit (issue 15): about 20-30 minutes, data sets built once into
# bench/.cache/. Results: bench/results/latest.md and latest.png. BENCH_ARGS="--quick --only small" to try it.
bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
