# 亲清 Qinqing — `make demo` and `make test` are all a newcomer needs (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint format serve migrate messages clean

$(BIN)/python:
	@bash scripts/system-deps.sh base
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

# The demo sends no SMS: the demo notifier keeps them (codes included) for the 演示短信 page.
DEMO_ENV := DEBUG=1 QINQING_NOTIFIER=qinqing.core.notifier.DemoOutboxBackend

demo: $(VENV)/.installed
	@bash scripts/system-deps.sh demo
	$(DEMO_ENV) $(BIN)/qinqing migrate --no-input
	$(DEMO_ENV) $(BIN)/qinqing load_demo
	@echo "Serving http://$(HOST):$(PORT)/ with a task worker (its log: var/worker.log); Ctrl-C stops both"
	@$(DEMO_ENV) $(BIN)/qinqing worker >var/worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(DEMO_ENV) $(BIN)/qinqing runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	@bash scripts/system-deps.sh test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=0 $(BIN)/qinqing makemigrations --check --dry-run
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-extract the English catalogue (needs Debian's gettext); translate new entries, then compile.
messages: $(VENV)/.installed
	$(BIN)/qinqing makemessages -l en --no-obsolete --no-location \
		--ignore=.venv --ignore=var --ignore=conftest.py
	$(BIN)/qinqing compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
