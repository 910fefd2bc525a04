# Two commands: `make run` (the whole product) and `make test` (the whole suite, on real components).
PYTHON ?= python3
VENV := .venv
TRITON_VENV := .venv-triton
PIP_FLAGS := --disable-pip-version-check -q

.PHONY: run test lint system-deps clean bench

run: $(VENV)/.installed $(TRITON_VENV)/.installed
	$(VENV)/bin/python -m stack

test: $(VENV)/.installed-dev $(TRITON_VENV)/.installed system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

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

bench: $(VENV)/.installed-dev $(TRITON_VENV)/.installed
	$(VENV)/bin/python bench/first_frame.py

clean:
	rm -rf $(VENV) $(TRITON_VENV) var test-artifacts
