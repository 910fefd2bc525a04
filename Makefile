# Two commands: `make run` (the whole product) and `make test` (the whole suite, on real components).
PYTHON ?= python3
VENV := .venv
TRITON_VENV := .venv-triton
PIP_FLAGS := --disable-pip-version-check -q

.PHONY: run test test-chaos test-lifecycle-postgres lint system-deps clean bench npm soak chaos-report

run: $(VENV)/.installed $(TRITON_VENV)/.installed node_modules/.installed
	$(VENV)/bin/python -m stack

# Two pytest-xdist workers: most tests wait on real processes, so two run side by side in about half the time
# (tests/conftest.py keeps each stack's tests on one worker). TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-dev $(TRITON_VENV)/.installed node_modules/.installed system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -m "not chaos" -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Every process kind of the running product killed CHAOS_REPEATS times in a row, on SQLite and on PostgreSQL,
# and a worker host killed whole (CI runs this after `make test`).
CHAOS_REPEATS ?= 2
test-chaos: $(VENV)/.installed-dev $(TRITON_VENV)/.installed node_modules/.installed system-deps
	CHAOS_REPEATS=$(CHAOS_REPEATS) CHAOS_PG_URL=$(PG_URL) $(VENV)/bin/python -m pytest -m chaos -s $(PYTEST_ARGS)

# Not in CI: each process kind killed 20 times in a row on each database (CHAOS_DATABASES=sqlite for one); the
# recovery-time distribution and every failure with its logs go into docs/chaos.md.
chaos-report: $(VENV)/.installed-dev $(TRITON_VENV)/.installed node_modules/.installed system-deps
	CHAOS_REPEATS=20 CHAOS_PG_URL=$(PG_URL) CHAOS_REPORT=docs/chaos.md $(VENV)/bin/python -m pytest -m chaos -s \
		tests/chaos/test_single_host.py $(PYTEST_ARGS)

# The lifecycle tests again on PostgreSQL and Redis (CI runs this after `make test`): several worker
# processes write stream state at once, which SQLite serialises and PostgreSQL does not.
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
PG_REDIS_URL ?= redis://127.0.0.1:6379/11
test-lifecycle-postgres: $(VENV)/.installed-dev $(TRITON_VENV)/.installed system-deps
	DATABASE_URL=$(PG_URL) LIVE_DATABASE_URL=$(PG_URL) REDIS_URL=$(PG_REDIS_URL) \
		$(VENV)/bin/python -m pytest -m lifecycle $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

system-deps:
	@scripts/install-test-system-deps.sh

$(VENV)/.installed: requirements.txt
	@scripts/ensure-venv.sh $(PYTHON) $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install $(PIP_FLAGS) -r requirements-dev.txt
	@touch $@

$(TRITON_VENV)/.installed: requirements-triton.txt
	@scripts/ensure-venv.sh $(PYTHON) $(TRITON_VENV)
	$(TRITON_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-triton.txt
	@touch $@

# The dashboard's browser libraries (uPlot), pinned in package-lock.json.
npm: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

bench: $(VENV)/.installed-dev $(TRITON_VENV)/.installed node_modules/.installed
	$(VENV)/bin/python -m bench whole --write-docs $(BENCH_ARGS)
	$(VENV)/bin/python -m bench --write-docs --product
	$(VENV)/bin/python bench/first_frame.py
	$(VENV)/bin/python bench/fanout.py
	$(VENV)/bin/python -m bench.analytics --write-docs

# The whole product for SOAK_MINUTES (default 60) with 8 streams, their viewers and a webhook receiver, sampled
# every minute; writes docs/soak.md (how memory, open files, disk, fps and events held up). Not part of `make test`.
SOAK_MINUTES ?= 60
soak: $(VENV)/.installed-dev $(TRITON_VENV)/.installed node_modules/.installed
	$(VENV)/bin/python -m bench.soak --minutes $(SOAK_MINUTES) --write-docs $(SOAK_ARGS)

clean:
	rm -rf $(VENV) $(TRITON_VENV) var test-artifacts node_modules
