# Set-up and the two everyday entry points. Everything else is `invoke --list`.
PYTHON ?= $(shell command -v python3.12 >/dev/null 2>&1 && python3.12 -c '' 2>/dev/null && echo python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test clean

$(BIN)/invoke: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/invoke

setup: $(BIN)/invoke

## The main job on the embedded default: emulator up, terraform apply, package, deploy, smoke, rollback drill.
demo: setup
	$(BIN)/invoke demo

## The whole test suite.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -p randomly -q

clean:
	rm -rf $(VENV) dist build .local out
