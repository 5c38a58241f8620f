# Rat Park developer commands. `make run` and `make test` are the two the README promises.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

# Test services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ratpark
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0

# axe-core for the accessibility checks of the browser journeys, from the npm registry.
AXE_JS := var/node/node_modules/axe-core/axe.min.js
PYTEST_ENV := DEBUG=false STATIC_MANIFEST=false SECURE_SSL_REDIRECT=false \
  SECRET_KEY=test-only-secret-key-that-is-long-enough-for-django-checks-0123456789

.PHONY: run test test-quick test-run lint layers typecheck format install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@DEBUG=true $(BIN)/python manage.py migrate --no-input -v 0
	@DEBUG=true $(BIN)/python manage.py seed_demo
	@echo "Rat Park is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops everything)"
	@DEBUG=true PORT=$(PORT) $(BIN)/python scripts/run.py

test: $(STAMP) $(AXE_JS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=true $(BIN)/mypy
	@$(BIN)/python scripts/test_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)" -- \
	  $(MAKE) --no-print-directory test-run

# The quick subset while you work: no processes, crawls, sweeps or browser (`-m "not slow"`).
test-quick: $(STAMP)
	$(BIN)/ruff check .
	@$(BIN)/python scripts/test_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)" -- \
	  $(MAKE) --no-print-directory test-run PYTEST_ARGS='-m "not slow" $(PYTEST_ARGS)'

# Called by `make test` with DATABASE_URL and REDIS_URL set (throwaway servers if need be).
# Without PYTEST_ARGS: the suite without the browser journeys, then the journeys two at a time
# (each test process runs its own web server, worker, beat and Redis). The journeys run even
# when the first part failed, so CI always has their results and screenshots.
test-run:
ifeq ($(strip $(PYTEST_ARGS)),)
	@t=$$(date +%s); $(PYTEST_ENV) $(BIN)/pytest -m "not e2e"; fast=$$?; \
	  echo "time: tests without a browser: $$(( $$(date +%s) - t ))s"; \
	  t=$$(date +%s); $(PYTEST_ENV) $(BIN)/pytest -m e2e -n 2; e2e=$$?; \
	  echo "time: browser journeys (2 in parallel): $$(( $$(date +%s) - t ))s"; \
	  [ $$fast -eq 0 ] && [ $$e2e -eq 0 ]
else
	$(PYTEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)
endif

$(AXE_JS):
	@command -v npm >/dev/null || { echo "error: npm is missing (Debian package: npm)" >&2; exit 1; }
	npm install --silent --no-audit --no-fund --prefix var/node axe-core@4

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy

# The apps' layers (pyproject [tool.importlinter], also run by `make test`) and the import
# graph's figures.
layers: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python scripts/import_graph.py

# Type check (pyproject [tool.mypy], also run by `make test` and `make lint`); settings are
# imported, so it needs DEBUG or a SECRET_KEY.
typecheck: $(STAMP)
	DEBUG=true $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/node var/e2e var/test-services var/*.sqlite3* var/broker var/results var/cache var/celerybeat-schedule*
