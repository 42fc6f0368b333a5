# Developer tasks. `make run` and `make test` are all a fresh checkout needs; `make ci` runs
# the checks .ci/run runs after it has installed the system packages (Chromium, poppler, Pango).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Written after a successful install: pip runs again only when pyproject.toml is newer.
STAMP := $(VENV)/.installed

# `make run` serves the way production does (DEBUG off, WhiteNoise serving the collected static
# files), but over plain HTTP on the loopback address, so cookies must not require HTTPS.
RUN_ENV := DEBUG=false SECURE=false

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck migrations-check ci

help:
	@echo "make run               venv, install, migrate, load instruments, seed the demo, serve on 127.0.0.1:8000"
	@echo "make test              the test suite (SQLite; PostgreSQL when DATABASE_URL is set)"
	@echo "make lint              ruff check and ruff format --check"
	@echo "make typecheck         mypy"
	@echo "make migrations-check  fail when a model change has no migration"
	@echo "make ci                lint, typecheck, migrations-check and test"

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Playwright's pip package brings no browser: the browser tests drive Debian's chromium.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_instruments
	$(RUN_ENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) seed_demo
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

ci: lint typecheck migrations-check test
