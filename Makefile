# The two commands of the README: `make run` starts the service, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint typecheck services browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP) browser
	$(BIN)/warpware demo

services:
	@bash scripts/ensure_services.sh

# Debian's chromium for the dashboard's browser tests (Playwright is pointed at /usr/bin/chromium).
browser:
	@bash scripts/ensure_chromium.sh

test: $(STAMP) services browser
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var build
