# Caseload Desktop: every target creates and uses .venv, installed from pyproject.toml.
#   make run    - open the app on the fictional demo service
#   make test   - lint and run the whole test suite offscreen
#   make check  - lint and type-check
#   make demo   - build a service-scale demo database (100,000 cases) in .venv/
#   make bundle - build the standalone app into dist/caseload-desktop and run its self-test
#   make bundle-tarball - pack it for Linux: dist/caseload-desktop-<version>-linux-<arch>.tar.gz
#   make bundle-check   - all of that, then install the tarball in a scratch HOME and test it

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test check lint typecheck demo clean bundle bundle-tarball bundle-check

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
	$(BIN)/ruff check caseload_desktop tests migrations installer
	$(BIN)/ruff format --check caseload_desktop tests migrations/env.py migrations/central installer

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

test: lint typecheck
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

check: lint typecheck

demo: $(VENV)/.installed-app
	$(BIN)/caseload demo --db $(VENV)/service-demo.db --cases 100000

$(VENV)/.installed-bundle: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[bundle]'
	touch $@ $(VENV)/.installed-app

bundle: $(VENV)/.installed-bundle
	PYTHON=$(PY) installer/build.sh

bundle-tarball: bundle
	installer/linux/make-tarball.sh dist/caseload-desktop

bundle-check: bundle-tarball
	installer/linux/check-tarball.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache tests/artifacts
