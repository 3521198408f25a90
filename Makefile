# One API, two frameworks, one contract. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

ROOT := $(abspath .)
APPS := django_app litestar_app
PROJECTS := $(APPS) contract_tests
REPORTS := $(ROOT)/reports

## MODE=embedded (SQLite + in-memory layers, the default) or MODE=services (PostgreSQL + Redis)
MODE ?= embedded
## F=<feature folder> for `make diff`
F ?= common

# uv: the one on PATH, else a pinned copy bootstrapped into .tools/ (scripts/ensure-uv.sh).
UV := $(shell scripts/ensure-uv.sh)
# An installed CPython >= 3.12; when none is found, uv picks (and may download) one itself.
PYTHON_FOUND := $(shell scripts/find-python.sh)
UV_PYTHON_ARG := $(if $(PYTHON_FOUND),--python $(PYTHON_FOUND),--python 3.12)
export UV_PYTHON_PREFERENCE ?= system
export MODE

# A project's venv is (re)synced when its lock or pyproject changes. --compile-bytecode: the
# many short-lived processes of a run (servers, CLI commands, xdist workers) read .pyc files
# instead of compiling the libraries each time, which they do when PYTHONDONTWRITEBYTECODE is
# set (as on this project's build machines): a quarter of `make parity`'s CPU time.
SYNCED := $(foreach p,$(PROJECTS),$(p)/.venv/.synced)

%/.venv/.synced: %/pyproject.toml %/uv.lock
	cd $* && $(UV) sync --frozen --compile-bytecode $(UV_PYTHON_ARG) --quiet
	touch $@

.PHONY: help
help: ## Show this help
	@echo "Usage: make <target> [MODE=embedded|services] [F=feature]"
	@echo
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'
	@echo
	@grep -hE '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

.PHONY: install
install: $(SYNCED) ## Create/refresh the three virtual environments from their lock files

.PHONY: browser
browser: ## Headless Chromium for the browser tests (Debian's package, installed when missing)
	@scripts/ensure-chromium.sh

## PARITY_WORKERS=2: pytest-xdist workers of `make parity` and `make chaos` (1: one process, no xdist)
PARITY_WORKERS ?= 2
# One worker per framework's half (contract_tests/conftest.py groups the tests by the
# fixtures they use; the cross-framework tests form a third group), the native suites beside.
# `make chaos`: two groups named by xdist_group marks (contract_tests/chaos/__init__.py).
PARITY_XDIST := $(if $(filter 1,$(PARITY_WORKERS)),,-n $(PARITY_WORKERS) --dist loadgroup)
# The self-checks are independent (each starts its own mock servers on free ports): the same
# workers halve their time (5 min 30 s -> 3 min 20 s on 2 cores).
SELFTEST_XDIST := $(if $(filter 1,$(PARITY_WORKERS)),,-n $(PARITY_WORKERS))

# Tests marked `mode_free` (their answer cannot depend on MODE: production-settings imports,
# `check --deploy`, the docs UIs) run in the embedded pass only; MODE=services deselects them.
PARITY_SELECT := $(if $(filter services,$(MODE)),-m "not mode_free")

.PHONY: parity
parity: install browser ## Run the contract suite against both live servers and print the concept matrix
	@mkdir -p $(REPORTS)
	cd contract_tests && .venv/bin/python -m pytest tests $(PARITY_XDIST) $(PARITY_SELECT) --junitxml=$(REPORTS)/parity-junit.xml

.PHONY: fuzz
fuzz: install ## Schemathesis (both schemas x both servers) + the differential checks (items sequences, whole surface: every variant) with many more examples and a random seed
	@mkdir -p $(REPORTS)
	cd contract_tests && SCHEMATHESIS_SEED=$${SCHEMATHESIS_SEED:-random} \
	  SCHEMATHESIS_MAX_EXAMPLES=$${SCHEMATHESIS_MAX_EXAMPLES:-200} \
	  SCHEMATHESIS_STATEFUL_EXAMPLES=$${SCHEMATHESIS_STATEFUL_EXAMPLES:-200} \
	  SCHEMATHESIS_SERVED_MAX_EXAMPLES=$${SCHEMATHESIS_SERVED_MAX_EXAMPLES:-200} \
	  SCHEMATHESIS_SERVED_STATEFUL_EXAMPLES=$${SCHEMATHESIS_SERVED_STATEFUL_EXAMPLES:-200} \
	  SCHEMATHESIS_SERVED_COVERAGE=$${SCHEMATHESIS_SERVED_COVERAGE:-all} \
	  DIFFERENTIAL_EXAMPLES=$${DIFFERENTIAL_EXAMPLES:-150} \
	  SURFACE_VARIANTS=$${SURFACE_VARIANTS:-all} SURFACE_SEED=$${SURFACE_SEED:-random} \
	  .venv/bin/python -m pytest tests/test_schemathesis.py tests/test_differential.py \
	  tests/test_surface_differential.py \
	  --parity-json=$(REPORTS)/fuzz.json -o timeout=7200

.PHONY: report
report: contract_tests/.venv/.synced ## Static HTML report from the last `make parity`: reports/report.html (concepts, code side by side, results)
	cd contract_tests && .venv/bin/python -m report

.PHONY: readme
readme: contract_tests/.venv/.synced ## Regenerate the README concept table from concepts.toml
	cd contract_tests && .venv/bin/python -m report.readme

# Lint and the suite's self-checks do not depend on MODE: they run in the embedded (default)
# mode only, so `.ci/run`'s second pass (MODE=services) spends its time on the servers.
MODE_FREE_CHECKS := $(if $(filter services,$(MODE)),,yes)

.PHONY: test
test: install $(if $(MODE_FREE_CHECKS),lint compose-config) parity $(if $(MODE_FREE_CHECKS),selftest) ## Everything: lint, types, both apps' native tests + the contract suite + schemathesis, suite self-checks (lint, compose config + self-checks once, in the embedded mode)

.PHONY: selftest
selftest: install browser ## Checks of the suite itself: it fails against a wrong server; each app works when copied alone
	cd contract_tests && .venv/bin/python -m pytest selftest $(SELFTEST_XDIST)

.PHONY: chaos
chaos: install ## Fault suite: private PostgreSQL/Redis outages + SIGTERM on both servers (CHAOS_REDIS_OUTAGE_S=30: the full outage; CHAOS_REDIS_PAUSE_MS=10000: the long CLIENT PAUSE)
	@mkdir -p $(REPORTS)
	cd contract_tests && .venv/bin/python -m pytest chaos $(PARITY_XDIST) --junitxml=$(REPORTS)/chaos-junit.xml

.PHONY: test-django
test-django: django_app/.venv/.synced ## Django app's own unit tests only
	cd django_app && .venv/bin/python -m pytest

.PHONY: test-litestar
test-litestar: litestar_app/.venv/.synced ## Litestar app's own unit tests only
	cd litestar_app && .venv/bin/python -m pytest

.PHONY: lint
lint: install ## ruff (format + lint) and mypy on all three projects
	@for p in $(PROJECTS); do \
	  echo "== lint $$p"; \
	  (cd $$p && .venv/bin/ruff format --check --quiet . && .venv/bin/ruff check --quiet . && .venv/bin/mypy --no-error-summary .) || exit 1; \
	done

.PHONY: format
format: install ## Apply ruff formatting and autofixes everywhere
	@for p in $(PROJECTS); do (cd $$p && .venv/bin/ruff format --quiet . && .venv/bin/ruff check --fix --quiet .); done

.PHONY: migrate
migrate: $(APPS:%=%/.venv/.synced) ## Apply both apps' migrations to their DATABASE_URL (default: var/db.sqlite3 in each app)
	cd django_app && .venv/bin/python manage.py migrate --noinput
	cd litestar_app && .venv/bin/litestar --app config.asgi:application database upgrade --no-prompt

# Header/body read timeouts, header size limit, in-flight bound, redacted tickets:
# config/server.py in each app (identical files) documents every option.
UVICORN_HARDENED := --http config.server:HardenedHttpToolsProtocol --timeout-keep-alive 5 --timeout-graceful-shutdown 10

.PHONY: run-django
run-django: django_app/.venv/.synced ## Migrate and serve the Django app on http://127.0.0.1:8000
	cd django_app && .venv/bin/python manage.py migrate --noinput
	cd django_app && .venv/bin/uvicorn config.asgi:application --host 127.0.0.1 --port 8000 $(UVICORN_HARDENED)

.PHONY: run-litestar
run-litestar: litestar_app/.venv/.synced ## Migrate and serve the Litestar app on http://127.0.0.1:8001
	cd litestar_app && .venv/bin/litestar --app config.asgi:application database upgrade --no-prompt
	cd litestar_app && .venv/bin/uvicorn config.asgi:application --host 127.0.0.1 --port 8001 $(UVICORN_HARDENED)

# `make bench` measures real-services mode unless MODE is given explicitly (MODE=embedded).
BENCH_MODE := $(if $(filter command line environment,$(origin MODE)),$(MODE),services)

.PHONY: bench
bench: $(APPS:%=%/.venv/.synced) bench/.venv/.synced ## Benchmarks (not part of `test`; needs a quiet machine, BENCH_ALLOW_BUSY=1 to publish anyway): both apps vs a bare-ASGI baseline under wrk, py-spy profiles, websocket fan-out; bench/results/ + README tables
	cd bench && .venv/bin/ruff format --check --quiet . && .venv/bin/ruff check --quiet . && .venv/bin/mypy --no-error-summary .
	cd bench && .venv/bin/python run.py --mode $(BENCH_MODE)
	cd bench && .venv/bin/python fanout.py --mode $(BENCH_MODE)
	bench/.venv/bin/python bench/readme.py

.PHONY: bench-readme
bench-readme: bench/.venv/.synced ## Regenerate the README's performance tables from bench/results/*.json
	bench/.venv/bin/python bench/readme.py

.PHONY: diff
diff: ## Side-by-side source diff of one paired feature folder: make diff F=common
	@diff -ru --exclude=migrations --exclude=__pycache__ --exclude='*.pyc' \
	  django_app/$(F) litestar_app/$(F) || true

.PHONY: diff-readme
diff-readme: ## Regenerate the README's `make diff` line counts (before / now) by measuring them
	python3 scripts/diffcount.py

.PHONY: compose-config
compose-config: ## Validate docker-compose.yml (installs Debian's docker-compose when no Compose is found)
	@compose=$$(scripts/ensure-compose.sh) && $$compose config --quiet && echo "docker-compose.yml is valid"

.PHONY: clean
clean: ## Remove reports, caches and local SQLite files (keeps the virtual environments)
	rm -rf $(REPORTS) */var */.pytest_cache */.mypy_cache */.ruff_cache
	find . -name __pycache__ -type d -prune -not -path './*/.venv/*' -exec rm -rf {} +
