# The two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WORKSPACE ?= demo/workspace
PERIOD ?= 2026-10
OUTPUTS ?= outputs
PORT ?= 8866

.PHONY: setup system-deps demo demo-fetch test lint dashboard demo-data bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml bench/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps -r bench/requirements.txt
	touch $@

# Debian's Chromium (browser tests) and LibreOffice (workbook tests), installed when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc-nogui"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing fonts-dejavu-core; \
	fi

demo: setup
	$(BIN)/workbench run --workspace $(WORKSPACE) --period $(PERIOD) --outputs $(OUTPUTS)

# The loop with the systems' APIs, offline: fake vendor APIs on a local port serve the demo
# month; a copy of the demo workspace fetches it (workbench fetch), every change is approved,
# and workbench push shows and saves the exact requests (a dry run: nothing is sent).
demo-fetch: setup
	$(BIN)/python -m tests.fake_vendors.demo --outputs $(OUTPUTS)

# A run keeps a period's inputs read-only (see workbench/history.py): unlock them to rewrite them.
demo-data: setup
	if [ -d $(WORKSPACE) ]; then chmod -R u+w $(WORKSPACE); fi
	$(BIN)/workbench demo-data $(WORKSPACE)

# One person: open the URL it prints (its token signs you in; this machine only). A team:
# make dashboard USERS=<users file> (logins from `workbench users add`; see the README).
dashboard: setup
	$(BIN)/workbench dashboard --workspace $(WORKSPACE) --port $(PORT) $(if $(USERS),--users $(USERS))

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy workbench demodata

test: setup system-deps lint
	$(BIN)/python -m pytest

# BENCH_SCALES=small,large (default; add distributor), BENCH_DASHBOARD=scales to open in the
# browser, BENCH_PROFILE=1: see bench/suite.py. Results in bench/results/suite.{md,json}.
bench: setup system-deps
	$(BIN)/python bench/suite.py

clean:
	rm -rf $(VENV) $(OUTPUTS)/*/ .mypy_cache .ruff_cache .pytest_cache
