# Layerstack: `make run` serves the app, `make test` runs every test. Both install what they need.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint format bench install install-dev migration clean browser

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
	$(PY) -m app

# Debian's Chromium for the browser tests (as root, as in CI); elsewhere they skip with a note.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing and this is not root: browser tests will be skipped."; fi; }

# make test ARGS='-m "not ray"' skips the Ray cluster tests locally (CI runs them all).
test: install-dev browser
	$(PY) -m pytest $(ARGS)

lint: install-dev
	$(VENV)/bin/ruff check app tests bench migrations
	$(VENV)/bin/ruff format --check app tests bench migrations
	$(VENV)/bin/mypy app

format: install-dev
	$(VENV)/bin/ruff check --fix app tests bench migrations
	$(VENV)/bin/ruff format app tests bench migrations

bench: install-dev
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# make migration m="add runs": autogenerate a revision from the models.
migration: install
	$(PY) -c "from app.db import new_migration; new_migration('$(m)')"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
