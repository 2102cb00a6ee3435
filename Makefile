# SmartEdu: `make run` serves the app with everything it needs; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SMARTEDU_PORT ?= 8000
export SMARTEDU_PORT
PYTEST_ARGS ?=
# pytest-xdist workers: each has its own test database, Redis database and live processes
# (tests/parallel.py). `make test PYTEST_ARGS="-n 0"` runs the suite serially, for debugging.
TEST_WORKERS ?= 2
# The fast tier: no browser, no server or worker processes, no deploy checks, no bench scripts.
FAST_MARKERS := not browser and not live and not deploy and not bench and not docs
# Each concurrent test run needs its own data folder (its own PostgreSQL and Redis).
TEST_DATA ?= .data/test

.PHONY: install run test test-fast lint browser clean-data bench bench-retrieval eval docs docs-serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Start PostgreSQL+pgvector and Redis (embedded, unless DATABASE_URL/REDIS_URL are set), migrate,
## seed the demo school, then serve daphne + Celery workers + beat. Ctrl-C stops everything.
run: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	$(PY) -m smartedu.embedded exec --data .data/dev -- \
	  sh -c 'python manage.py bootstrap && exec honcho -f Procfile start'

## Debian packages the tests drive: chromium (Playwright uses /usr/bin/chromium), wrk (bench smoke
## test), tesseract-ocr (OCR of scanned PDFs), nginx and pgbouncer (the deploy/ configs, run for
## real in front of the app), prometheus (its promtool checks deploy/prometheus/).
browser:
	@{ test -x /usr/bin/chromium && command -v wrk >/dev/null && command -v tesseract >/dev/null \
	  && test -x /usr/sbin/nginx && test -x /usr/sbin/pgbouncer && command -v promtool >/dev/null; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium wrk tesseract-ocr nginx pgbouncer prometheus >/dev/null; }

## The whole suite, in parallel, against its own embedded PostgreSQL and Redis under .data/test;
## prints the 25 slowest tests.
test: install browser
	DJANGO_DEBUG=true DJANGO_SECRET_KEY=test-only-secret PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	$(PY) -m smartedu.embedded exec --data $(TEST_DATA) --redis-port 0 -- \
	  python -m pytest -n $(TEST_WORKERS) --durations=25 $(PYTEST_ARGS)

## The fast tier (a few minutes): what needs no browser, no live process and no deploy tool.
test-fast: install
	DJANGO_DEBUG=true DJANGO_SECRET_KEY=test-only-secret PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	$(PY) -m smartedu.embedded exec --data $(TEST_DATA) --redis-port 0 -- \
	  python -m pytest -n $(TEST_WORKERS) --durations=10 -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

## Benchmarks (bench/README.md) against their own embedded services under .data/bench; each
## writes its figures to bench/RESULTS.md. BENCH=provisioning (or roster_api, embedding,
## ingestion, generation) runs one. The retrieval bench loads a million passages; it has its own data folder:
## make bench-retrieval.
BENCH ?= provisioning migrations roster_api embedding ingestion generation websockets
BENCH_ARGS ?=
bench: install
	@command -v wrk >/dev/null || echo "wrk not found (apt-get install -y wrk): roster_api falls back to an asyncio client"
	for name in $(BENCH); do \
	  PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \
	    $(PY) bench/$$name.py $(BENCH_ARGS) || exit 1; \
	done

bench-retrieval: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m smartedu.embedded exec --data .data/bench-retrieval --redis-port 0 -- \
	  $(PY) bench/retrieval.py $(BENCH_ARGS)

## The AI evaluation (bench/eval/, docs/benchmarks/evaluation.md): retrieval, tutor answers and
## refusals, quiz generation on three real documents and hand-written questions, in its own data
## folder; records its figures in bench/RESULTS.md and bench/results.json. EVAL_ARGS=--smoke runs
## one document and five questions.
EVAL_ARGS ?=
eval: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m smartedu.embedded exec --data .data/eval --redis-port 0 -- \
	  $(PY) bench/eval.py $(EVAL_ARGS)

## ruff (lint and format), import-linter (the layering in pyproject.toml), mypy (django-stubs;
## strict on services, selectors, payloads) and the migrations check. mypy and makemigrations
## load the settings, which need the embedded database.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_DEBUG=true DJANGO_SECRET_KEY=lint-only PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	$(PY) -m smartedu.embedded exec --data .data/lint --redis-port 0 -- \
	  sh -c 'mypy && python manage.py makemigrations --check --dry-run'

## The manual (docs/, mkdocs.yml) as a static site in site/; it loads nothing from the internet.
docs: install
	$(VENV)/bin/mkdocs build --strict --site-dir site

docs-serve: install
	$(VENV)/bin/mkdocs serve --strict

clean-data:
	rm -rf .data/test
