# Two commands for a newcomer: `make demo` and `make test`. Both create .venv if it is missing
# and install exactly the versions in requirements.lock.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
INSTALLED := $(VENV)/.installed

.PHONY: help install demo test lint lock clean

help:
	@echo "make demo   run the nightly DAG through Airflow over the bundled synthetic replay"
	@echo "make test   ruff + the whole test suite (unit, local-HTTP integration, dag.test)"
	@echo "make lock   re-resolve requirements.lock after changing pyproject.toml"
	@echo "make clean  remove .venv and ./data"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	touch $(INSTALLED)

install: $(INSTALLED)

demo: install
	$(BIN)/fdp demo

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/pytest

lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --universal --python-version 3.11 \
		--generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) data
