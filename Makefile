# `make demo`: the module end to end against a local AWS emulator (no AWS account).
# `make test`: every test: the functions' unit tests (under the development Python and under Python 3.13,
#              Lambda's runtime), Terraform tests, IAM simulation, lint, policy checks, the end-to-end run.
PYTHON ?= python3
# Lambda runs the functions on python3.13; their unit tests run under it too.
PYTHON313 ?= $(firstword $(shell command -v python3.13 2>/dev/null) $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13))
VENV := .venv
VENV313 := .venv-py313
CHECKOV_VENV := .venv-checkov
UV := $(VENV)/bin/uv
# uv installs in seconds what pip installs in a minute; it comes from the package index like the rest.
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: demo test test-py313 bench clean

demo: $(VENV)/.installed
	$(VENV)/bin/rds-snapshot-copy demo

test: $(VENV)/.installed $(CHECKOV_VENV)/.installed test-py313
	CHECKOV="$(CURDIR)/$(CHECKOV_VENV)/bin/checkov" $(VENV)/bin/python -m pytest

# The functions' unit tests under Lambda's Python.
test-py313: $(VENV313)/.installed
	$(VENV313)/bin/python -m pytest -p no:cacheprovider tests/unit

bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench.burst --events 1000

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

# checkov pins an old boto3, so it gets a virtualenv of its own.
$(CHECKOV_VENV)/.installed: $(UV) requirements-checkov.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt
	touch $@

clean:
	rm -rf $(VENV) $(VENV313) $(CHECKOV_VENV) build .pytest_cache .ruff_cache
