# Caseload Desktop: every target creates and uses .venv, installed from pyproject.toml.
#   make run    - open the app on the fictional demo service
#   make test   - lint and run the whole test suite offscreen
#   make check  - lint and type-check
#   make demo   - build a service-scale demo database (100,000 cases) in .venv/

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test check lint typecheck demo clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-app

run: $(VENV)/.installed-app
	$(BIN)/caseload-desktop --demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check caseload_desktop tests migrations
	$(BIN)/ruff format --check caseload_desktop tests migrations/env.py migrations/central

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

test: lint typecheck
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

check: lint typecheck

demo: $(VENV)/.installed-app
	$(BIN)/caseload demo --db $(VENV)/service-demo.db --cases 100000

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache tests/artifacts
