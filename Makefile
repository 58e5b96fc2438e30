# Set-up and the two everyday entry points. Everything else is `invoke --list`.
PYTHON ?= $(shell command -v python3.12 >/dev/null 2>&1 && python3.12 -c '' 2>/dev/null && echo python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# checkov pins an old boto3, so it gets a virtual environment of its own beside the project's.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

.PHONY: setup checkov demo test test-fast clean

# The project itself is installed editable (pyproject.toml): the toolkit and the engine import from the checkout.
$(BIN)/invoke: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --editable .
	touch $(BIN)/invoke

setup: $(BIN)/invoke

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)

## The Terraform security scanner the test suite runs, in its own environment.
checkov: $(CHECKOV_VENV)/bin/checkov

## The main job on the embedded default: emulator up, terraform apply, package, deploy, smoke, rollback drill.
demo: setup
	$(BIN)/invoke demo

## The whole test suite, with everything it needs (checkov included), in random order (the seed is printed).
# More workers than cores: the Terraform applies spend much of their time in the AWS provider's fixed waits, which
# other modules' tests fill. `invoke loop-bench` prints how long it takes and where the time goes.
test: setup checkov
	$(BIN)/python -m pytest -n 4 --dist loadfile --no-loadscope-reorder -p randomly -q

## The fast subset: the pure engine and toolkit tests, nothing marked slow (no Terraform, emulator or Lambda runner).
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -n 2 -p randomly -q

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) dist build .local out
