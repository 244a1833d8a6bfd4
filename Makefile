# InScope: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
UV_VERSION := 0.13.9
LOCK := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 pyproject.toml

# Python keeps the compiled bytecode of this project's own modules (__pycache__/, in
# .gitignore) even where the environment says not to (PYTHONDONTWRITEBYTECODE, set on
# some CI machines): otherwise every one of the suite's 18 processes, every pytest
# worker and every command a test runs compiles them again (about 6 s of CPU per suite
# start and 10 s per pytest collection on a 2-core machine).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast lint openapi bench bench-engine bench-engine-ab bench-consumer bench-notify bench-scale faults clean lock migrate migration messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs follow the lock files (requirements/*.txt, every package pinned with its
# hashes), then add this project itself, editable, without resolving anything again.
# `make run` needs the runtime and the suite tools (dev); `make test` everything.
$(RUN_STAMP): pyproject.toml requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml requirements/test.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/test.txt
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Set up and run the whole suite on embedded defaults (SQLite, embedded broker, mail catcher).
run: $(RUN_STAMP)
	$(BIN)/inscope-suite

## Set up and run every check CI runs: import contracts, lint, then the tests (which
## include OpenAPI freshness and the docker-compose consistency check). Tests run on
## TEST_WORKERS processes (pytest-xdist); the ones that start real processes share one
## of them, in turn (tests/conftest.py). TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
XDIST = -n $(TEST_WORKERS) --dist loadgroup

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

## The fast tier: unit, API, clinical, platform and deploy tests, in-process; no
## end-to-end suite, browser, benchmark, fuzzing or fault-injection runs; database tests
## on SQLite only (`make test` runs the engine-dependent ones on PostgreSQL too when
## TEST_POSTGRES_URL is set).
test-fast: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(XDIST) -m "not e2e and not slow" -k "not postgresql" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .

## Bring every service's database (var/db/ by default) to its newest schema revision.
## `make run` does this itself before starting anything.
migrate: $(RUN_STAMP)
	for s in intake assessment referral notify; do $(BIN)/inscope-$$s migrate || exit 1; done

## Write a new schema migration for one service from its models' changes, e.g.
##   make migration SERVICE=intake MSG="add the client's preferred name"
## then review the file it prints and commit it with the model change.
migration: $(STAMP)
	@test -n "$(SERVICE)" -a -n "$(MSG)" || { echo 'usage: make migration SERVICE=intake MSG="what changed"'; exit 2; }
	$(BIN)/inscope-$(SERVICE) new-migration "$(MSG)"

## The message catalogs (Flask-Babel; docs/languages.md): extract the marked text of
## each service into its translations/<domain>.pot, bring every language's .po up to
## date (new strings untranslated) and compile the .mo files the services read; commit
## all three (tests/web/test_catalogs.py fails on a string not translated or a stale .mo).
## The catalogs and their files: inscope_common/devtools/messages.py. A new language:
##   .venv/bin/pybabel init -D messages -l fr -i services/notify/inscope_notify/translations/messages.pot -d services/notify/inscope_notify/translations
messages: $(STAMP)
	$(BIN)/python -m inscope_common.devtools.messages

## Rewrite the committed OpenAPI documents from the code.
openapi: $(STAMP)
	for s in intake assessment referral notify; do \
	  INSCOPE_ENV=development INSCOPE_DATA_DIR=$$(mktemp -d) INSCOPE_SCHEMA=create $(BIN)/inscope-$$s openapi --write services/$$s/openapi.json || exit 1; \
	done

## Throughput and latency against real Redis and a real SMTP sink (docs/benchmarks.md).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## The clinical engine alone, one process: screen() per CPU second (docs/benchmarks.md).
bench-engine: $(STAMP)
	$(BIN)/python -m bench.engine $(BENCH_ENGINE_ARGS)

## screen() of this tree against a git revision (BENCH_AB_ARGS="main --rounds 5"), in one
## process, alternated: the figure to quote for an engine change on a noisy machine.
bench-engine-ab: $(STAMP)
	$(BIN)/python -m bench.engine_ab $(BENCH_AB_ARGS)

## One consumed event's CPU in the shared machinery: the assessment worker on real Redis
## (BENCH_CONSUMER_ARGS="--redis-url redis://127.0.0.1:6379/N --profile"; docs/benchmarks.md).
bench-consumer: $(STAMP)
	$(BIN)/python -m bench.consumer $(BENCH_CONSUMER_ARGS)

## One event's CPU in the notify worker, in process (a referral.decided: the client's
## update and the physician's letter with its PDF, to a real SMTP sink); --breakdown,
## --profile. BENCH_NOTIFY_ARGS="--redis-url redis://127.0.0.1:6379/N" (flushed).
bench-notify: $(STAMP)
	$(BIN)/python -m bench.notify $(BENCH_NOTIFY_ARGS)

## The board, name search, client page and beat sweeps with 100,000 seeded clients
## (SQLite; BENCH_SCALE_ARGS="--postgres-url postgresql+psycopg://..." for PostgreSQL).
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale $(BENCH_SCALE_ARGS)

## Re-resolve the lock files after changing dependencies in pyproject.toml
## (tests/deploy/test_lock.py fails until they match).
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK) --extra postgres -o requirements/runtime.txt
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK) --extra dev -o requirements/dev.txt
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK) --extra dev --extra test --extra postgres \
	  -o requirements/test.txt

## The suite under faults (SMTP down, Redis restarted, notify worker killed): a table of
## intakes accepted, emails received exactly once, duplicates and stuck work.
faults: $(STAMP)
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

## Remove what `make run` and `make test` made here: the virtualenv, var/ (the suite's
## databases, broker data and caught mail) and caches.
clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache inscope.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
