# Layerstack: `make run` serves the app, `make test` runs every test. Both install what they need.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test test-fast lint format bench install install-dev migration clean browser postgres

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,ray]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(VENV)/bin/layerstack serve

# Debian's Chromium for the browser tests, and curl for the README's curl walk (as root, as
# in CI); elsewhere they skip with a note (under CI=true they fail).
browser:
	@{ command -v chromium && command -v curl; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium curl; \
	  else echo "Chromium or curl is missing and this is not root: their tests will be skipped."; fi; }

# The PostgreSQL leg of the tests: start the machine's PostgreSQL if it is installed and down
# (Debian's pg_ctlcluster, as root, as in CI) and make sure the role the tests log in as over
# TCP exists (CREATEDB: each test session makes and drops its own database). Idempotent; without
# PostgreSQL the leg is skipped with a note (and fails under CI=true).
PG_ROLE ?= layerstack
PG_PASSWORD ?= layerstack
postgres:
	@if ! command -v pg_lsclusters >/dev/null 2>&1; then \
	  echo "PostgreSQL is not installed: the PostgreSQL leg of the tests will be skipped."; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "Not root: using PostgreSQL as it is (TEST_POSTGRES_URL, or $(PG_ROLE)@127.0.0.1:5432)."; \
	else \
	  pg_lsclusters -h | while read -r version cluster _port status _rest; do \
	    [ "$$status" = online ] || pg_ctlcluster "$$version" "$$cluster" start; done; \
	  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = '$(PG_ROLE)'\"" | grep -q 1 \
	    || su postgres -c "psql -qc \"CREATE ROLE $(PG_ROLE) LOGIN CREATEDB PASSWORD '$(PG_PASSWORD)'\""; \
	fi

# Every test, in TEST_PROCESSES pytest processes (pytest-xdist; tests/conftest.py gives each
# its own servers and PostgreSQL database, and keeps the Ray tests in one of them).
# make test ARGS='-m "not ray"' skips the Ray cluster tests locally (CI runs them all).
TEST_PROCESSES ?= 2
test: install-dev browser postgres
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadgroup $(ARGS)

# The inner loop, under 90 s: no TensorFlow, browser, Ray or PostgreSQL (their markers are
# set from the fixtures a test uses, so none slips in). make test stays the whole suite.
FAST = not keras and not browser and not ray and not postgresql
test-fast: install-dev
	$(PY) -m pytest -n $(TEST_PROCESSES) -m "$(FAST)" $(ARGS)

lint: install-dev
	$(VENV)/bin/ruff check app layerstack tests bench migrations
	$(VENV)/bin/ruff format --check app layerstack tests bench migrations
	$(VENV)/bin/mypy app layerstack

format: install-dev
	$(VENV)/bin/ruff check --fix app layerstack tests bench migrations
	$(VENV)/bin/ruff format app layerstack tests bench migrations

bench: install-dev
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# make migration m="add runs": autogenerate a revision from the models.
migration: install
	$(PY) -c "from app.db import new_migration; new_migration('$(m)')"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
