# Rat Park developer commands. `make run` and `make test` are the two the README promises.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

# Test services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ratpark
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: run test lint layers typecheck format install clean

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

test: $(STAMP)
	@$(BIN)/python scripts/check_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" DEBUG=false \
	  SECRET_KEY=test-only-secret-key-that-is-long-enough-for-django-checks-0123456789 \
	  STATIC_MANIFEST=false SECURE_SSL_REDIRECT=false \
	  $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The apps' layers (pyproject [tool.importlinter], also run by `make test`) and the import
# graph's figures.
layers: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python scripts/import_graph.py

# Type check (pyproject [tool.mypy]); settings are imported, so it needs DEBUG or a SECRET_KEY.
typecheck: $(STAMP)
	DEBUG=true $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/*.sqlite3* var/broker var/results var/cache var/celerybeat-schedule*
