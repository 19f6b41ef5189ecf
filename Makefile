# Two commands on a fresh machine: `make run` (embedded SQLite, demo data) and `make test` (what CI runs).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
export ROLECALL_DATABASE_URL ?= sqlite+aiosqlite:///./var/rolecall.db

.PHONY: run test install install-dev lint typecheck contracts pytest migrate demo worker clean bench soak

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Rolecall needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	@touch $@

# Development tools are pinned in constraints-dev.txt (which includes the runtime pins of constraints.txt).
$(VENV)/.installed-dev: $(VENV)/.installed constraints-dev.txt
	$(PIP) install --quiet -c constraints-dev.txt -e '.[dev]'
	@touch $@

# openapi-python-client caps typer below the runtime pin: it gets an environment of its own, which
# tests/contract/test_generated_client.py runs (pins in constraints-tools.txt).
OPENAPI_CLIENT := $(VENV)/tools/openapi-python-client
$(OPENAPI_CLIENT)/.installed: $(BIN)/python constraints-tools.txt
	$(BIN)/python -m venv $(OPENAPI_CLIENT)
	$(OPENAPI_CLIENT)/bin/python -m pip install --quiet -c constraints-tools.txt openapi-python-client
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(OPENAPI_CLIENT)/.installed

migrate: install
	$(BIN)/rolecall migrate

demo: migrate
	$(BIN)/rolecall demo

run: demo
	@echo "Rolecall on http://$(HOST):$(PORT)"
	@echo "  careers site (demo)      http://$(HOST):$(PORT)/careers/acme-robotics-demo"
	@echo "  every open job           http://$(HOST):$(PORT)/jobs"
	@echo "  role guides              http://$(HOST):$(PORT)/roles"
	@echo "  job-description tool     http://$(HOST):$(PORT)/tools/job-description"
	@echo "  staff app (sign in)      http://$(HOST):$(PORT)/app    with a demo account above"
	@echo "  assessments (staff)      http://$(HOST):$(PORT)/app/assessments    results, marking, the bank"
	@echo "  API docs                 http://$(HOST):$(PORT)/docs"
	$(BIN)/rolecall serve --host $(HOST) --port $(PORT)

worker: migrate
	$(BIN)/rolecall worker

lint: install-dev
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench

typecheck: install-dev
	$(BIN)/mypy

contracts: install-dev
	$(BIN)/lint-imports

pytest: install-dev
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} -q

test: lint typecheck contracts pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# The board search benchmark (minutes, not part of `make test`): see bench/README.md. SIZE=1000000 for the 1M run.
SIZE ?= 100000
bench: install-dev
	$(BIN)/python -m bench.generate --size $(SIZE)
	$(BIN)/python -m bench.run --size $(SIZE) --budget 120 --limit ilike=80

# The soak test (about 35 minutes, not part of `make test`): two API processes and the worker on the
# local PostgreSQL under 200 requests/s of mixed traffic; report in bench/soak.md.
$(VENV)/.installed-bench: $(VENV)/.installed-dev constraints-dev.txt
	$(PIP) install --quiet -c constraints-dev.txt -e '.[bench]'
	@touch $@

soak: $(VENV)/.installed-bench
	$(BIN)/python -m bench.soak
