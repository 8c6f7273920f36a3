# `make demo`: the module end to end against a local AWS emulator (no AWS account).
# `make test`: every test: Python unit tests, Terraform tests, lint, policy checks, the end-to-end run.
PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov

.PHONY: demo test bench clean

demo: $(VENV)/.installed
	$(VENV)/bin/python -m tests.e2e.demo

test: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	CHECKOV="$(CURDIR)/$(CHECKOV_VENV)/bin/checkov" $(VENV)/bin/python -m pytest

bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench.burst --events 1000

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# checkov pins an old boto3, so it gets a virtualenv of its own.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build .pytest_cache .ruff_cache
