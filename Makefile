# InScope: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint openapi bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Set up and run the whole suite on embedded defaults (SQLite, embedded broker, mail catcher).
run: $(STAMP)
	$(BIN)/inscope-suite

## Set up and run every check CI runs: import contracts, lint, then the tests (which
## include OpenAPI freshness and the docker-compose consistency check).
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .

## Rewrite the committed OpenAPI documents from the code.
openapi: $(STAMP)
	for s in intake assessment referral notify; do \
	  INSCOPE_DATA_DIR=$$(mktemp -d) $(BIN)/inscope-$$s openapi --write services/$$s/openapi.json || exit 1; \
	done

## Throughput and latency against real Redis and a real SMTP sink (see README).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
