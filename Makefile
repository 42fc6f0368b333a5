# Developer tasks. `make run` and `make test` are all a fresh checkout needs; `make ci` runs
# the checks .ci/run runs after it has installed the system packages (Chromium, poppler, Pango).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Written after a successful install: pip runs again when requirements.lock or pyproject.toml
# is newer.
STAMP := $(VENV)/.installed
# Exact versions, with hashes, of everything the project and its dev extras install: what
# the tests ran with is what runs. `make lock` regenerates it after pyproject.toml changes.
LOCK := requirements.lock
PIP := $(BIN)/python -m pip --disable-pip-version-check

# `make run` serves the way production does (DEBUG off, WhiteNoise serving the collected static
# files), but over plain HTTP on the loopback address, so cookies must not require HTTPS.
# The demo logins are exempt from two-factor sign-in here (never in a deployment): without
# it, the admin and the consultant would first have to set up an authenticator app.
DEMO_LOGINS := admin@riverbend.example,consultant@riverbend.example,clinic@riverbend.example,viewer@riverbend.example
RUN_PORT ?= 8000
# SITE_URL: the address in e-mailed links and in the demo logins printed by seed_demo.
RUN_ENV := DEBUG=false SECURE=false MFA_EXEMPT_USERS=$(DEMO_LOGINS) SITE_URL=http://127.0.0.1:$(RUN_PORT)

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck migrations-check ci lock audit

help:
	@echo "make run               venv, install, migrate, load instruments, seed the demo, serve on 127.0.0.1:8000"
	@echo "make test              the test suite (SQLite; PostgreSQL when DATABASE_URL is set)"
	@echo "make lint              ruff check and ruff format --check"
	@echo "make typecheck         mypy"
	@echo "make migrations-check  fail when a model change has no migration"
	@echo "make ci                lint, typecheck, migrations-check and test"
	@echo "make lock              regenerate requirements.lock (hashes) after a pyproject.toml change"
	@echo "make audit             pip-audit the locked versions against a vulnerability database"

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Playwright's pip package brings no browser: the browser tests drive Debian's Chromium
# (chromium-headless-shell, else chromium).
# Every dependency comes from the lock, checked against its hashes; the project itself is
# installed without dependencies. `pip check` then fails when pyproject.toml asks for a
# package the lock does not hold (run `make lock`).
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r $(LOCK)
	$(PIP) install --quiet --no-deps -e .
	@$(PIP) check >/dev/null || { $(PIP) check; \
		echo "$(LOCK) does not match pyproject.toml: run 'make lock'" >&2; exit 1; }
	touch $(STAMP)

# pip-tools resolves pyproject.toml (with the dev extra) for this Python and platform and
# records every file's hash. Unsafe packages (pip, setuptools) are pinned too, so that an
# install with --require-hashes never needs an unpinned one.
lock: | $(BIN)/python
	$(BIN)/python -c "import piptools" 2>/dev/null || $(PIP) install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/python -m piptools compile --quiet \
		--generate-hashes --extra dev --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --output-file $(LOCK) pyproject.toml

# pip-audit asks PyPI's vulnerability data about each locked version (no install, no venv).
# Without network access to it, say so plainly rather than pass in silence.
audit: install
	@$(BIN)/python -c "import urllib.request; urllib.request.urlopen('https://pypi.org/pypi/pip/json', timeout=10)" 2>/dev/null \
		|| { echo "make audit: PyPI's vulnerability data (https://pypi.org) cannot be reached from here; nothing was audited." >&2; exit 2; }
	$(BIN)/pip-audit --strict --progress-spinner off --disable-pip --require-hashes -r $(LOCK)

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_instruments
	$(RUN_ENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(MANAGE) seed_demo
	@# One Celery worker (with its periodic tasks, -B) beside the web server, on kombu's
	@# file-system queue in var/celery: no service to install. Ctrl-C reaches both (same
	@# process group); the trap stops the worker however the server ends.
	@$(RUN_ENV) $(BIN)/celery -A readiness worker -B --concurrency 1 --loglevel WARNING \
		--schedule var/celery/beat-schedule --without-gossip --without-mingle & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:$(RUN_PORT)

# pytest-xdist runs the tests in one worker per core plus one, each with its own test database
# (pytest-django names it test_<name>_gw0, _gw1, ...): the browser tests and the Celery worker
# round trip spend part of their time waiting for another process, and the extra worker keeps
# the cores busy meanwhile (2:40 against 2:46 with one per core on 2 cores). --dist loadfile
# keeps each test file on one worker, so a module-scoped fixture (the seeded demo, the loaded
# shipped instruments) runs once; the files are handed out in the order tests/conftest.py gives
# them (--no-loadscope-reorder). `make test PYTEST_ARGS=` runs in one process.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
PYTEST_ARGS ?= -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Compiled modules and assertion-rewritten tests are kept in __pycache__ (ignored by git) even
# where the environment turns bytecode off (PYTHONDONTWRITEBYTECODE): every xdist worker and
# every command a test starts would otherwise compile them again, seconds each time.
test: export PYTHONDONTWRITEBYTECODE :=
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

ci: lint typecheck migrations-check test
