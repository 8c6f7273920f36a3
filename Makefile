# `make demo`: the module end to end against a local AWS emulator (no AWS account).
# `make test`: every test: the functions' unit tests (under the development Python and under Python 3.13,
#              Lambda's runtime), Terraform tests, IAM simulation, lint, policy checks, the end-to-end run.
PYTHON ?= python3
# Lambda runs the functions on python3.13; their unit tests run under it too.
# The first candidate that really is a 3.13 (a pyenv shim for an inactive version is not).
PYTHON313 ?= $(shell for p in $(HOME)/.pyenv/versions/3.13*/bin/python3.13 $$(command -v python3.13); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
VENV313 := .venv-py313
CHECKOV_VENV := .venv-checkov
IAM_SIMULATOR := tests/iam/simulator
UV := $(VENV)/bin/uv
# uv installs in seconds what pip installs in a minute; it comes from the package index like the rest.
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: demo demo-backup-account test test-py313 lint unit tf-test bench bench-year clean

demo: $(VENV)/.installed
	$(VENV)/bin/rds-snapshot-copy demo

# The backup-account mode: a source account and a vault account on one emulator (budget 180 s).
demo-backup-account: $(VENV)/.installed
	$(VENV)/bin/rds-snapshot-copy demo --mode backup-account

test: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(IAM_SIMULATOR)/node_modules/.installed test-py313
	CHECKOV="$(CURDIR)/$(CHECKOV_VENV)/bin/checkov" $(VENV)/bin/python -m pytest

# The functions' unit tests under Lambda's Python.
test-py313: $(VENV313)/.installed
	$(VENV313)/bin/python -m pytest -p no:cacheprovider tests/unit

# A quick loop while working; `make test` remains the one command CI runs (it includes all three).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	terraform fmt -check -recursive

# The functions' and the command's tests, under the development Python only (seconds, no emulator).
unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -p no:cacheprovider -q tests/unit tests/cli

# The module's native Terraform tests (mock providers, offline), in a scratch copy so no .terraform lands here.
tf-test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -p no:cacheprovider -q tests/test_terraform.py -k native_tests

bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench.burst --events 1000

# A year of a fleet with every fault on, its invariants checked, and its picture (bench/README.md#year).
bench-year: $(VENV)/.installed
	$(VENV)/bin/python -m bench.year --plot docs/images/year.png

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet uv

# The project itself, editable (so lambda/ and src/ are what runs), with the demo's extras.
$(VENV)/.installed: $(UV) pyproject.toml requirements-dev.txt
	$(UV) pip install --quiet --python $(VENV)/bin/python -r requirements-dev.txt -e '.[demo]'
	touch $@

$(VENV313)/.installed: $(UV) pyproject.toml requirements-dev.txt
	@test -n "$(PYTHON313)" || { echo "Python 3.13 (Lambda's runtime) is needed for the functions' tests and was not found: install it (e.g. pyenv install 3.13) or run make PYTHON313=/path/to/python3.13" >&2; exit 1; }
	$(UV) venv --quiet --allow-existing --python $(PYTHON313) $(VENV313)
	$(UV) pip install --quiet --python $(VENV313)/bin/python -r requirements-dev.txt -e .
	touch $@

# The offline IAM policy simulator (@cloud-copilot/iam-simulate), exactly as locked.
$(IAM_SIMULATOR)/node_modules/.installed: $(IAM_SIMULATOR)/package-lock.json
	@command -v npm >/dev/null || { echo "node 20+ and npm are needed for the IAM policy simulation (tests/iam)" >&2; exit 1; }
	npm ci --prefix $(IAM_SIMULATOR) --no-audit --no-fund --loglevel=error
	touch $@

# checkov pins an old boto3, so it gets a virtualenv of its own.
$(CHECKOV_VENV)/.installed: $(UV) requirements-checkov.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt
	touch $@

clean:
	rm -rf $(VENV) $(VENV313) $(CHECKOV_VENV) $(IAM_SIMULATOR)/node_modules build .pytest_cache .ruff_cache
