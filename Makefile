# Two commands on a fresh machine with Python 3.11, pip and make:  make demo  /  make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: setup demo test test-fast system-packages ui lint lock clean bench bench-pipeline docs

setup: $(STAMP)

# The environment comes from the committed lock file; the project itself is installed without deps.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -r requirements.lock
	$(BIN)/python -m pip install -qq --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/farmland demo

# Two pytest-xdist workers: the builds are mostly single-threaded Python (Dagster, dbt), so two run side by
# side; tests/conftest.py keeps the tests of one shared build on one worker (--dist loadgroup).
test: $(STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# What the suite needs from the system, from Debian's packages when it is missing: PostgreSQL (the county
# lakes' catalog in tests/conformance/test_county_lake.py); Chromium, headless, with a CJK font for the
# screenshots of the Dagster UI's pages (tests/test_operator_ui.py; no browser is downloaded).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-packages:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
		( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql )
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh family | grep -q . || \
		( $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-zenhei )

# The tests that neither generate the demo nor build a warehouse: loaders, rules, contracts (under a minute).
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not builds_warehouse"

# dbt's documentation site as one page (orchestration/docs.py), its columns and types read from the demo
# warehouse, which `farmland demo` builds first when it is missing; written to transforms/target/docs/
# (never committed), and the page's path printed.
docs: $(STAMP)
	@[ -f warehouse/farmland.duckdb ] || $(BIN)/farmland demo
	$(BIN)/python -m orchestration.docs --warehouse warehouse/farmland.duckdb

ui: $(STAMP)
	DAGSTER_HOME=$$($(BIN)/python -m orchestration.instance) $(BIN)/dagster dev -m orchestration.definitions

lint: $(STAMP)
	$(BIN)/ruff check .

# Overlay benchmark (benchmarks/README.md): installs the `bench` extra (GeoPandas) on top of the locked
# environment, then runs it; BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--parcels 20000".
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -qq -c requirements.lock -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.overlays $(BENCH_ARGS)

# Pipeline benchmark (benchmarks/README.md): wall, CPU and peak memory per stage of generate + build, at
# the fixed-cost scale and the asked ones, e.g. make bench-pipeline BENCH_ARGS="--scale 300 --scale 2000".
bench-pipeline: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.pipeline $(BENCH_ARGS)

# Re-resolve the lock file from pyproject.toml (run when dependencies change, then commit it).
lock:
	rm -rf /tmp/farmland-lock && $(PYTHON) -m venv /tmp/farmland-lock
	/tmp/farmland-lock/bin/python -m pip install -qq --upgrade pip
	/tmp/farmland-lock/bin/python -m pip install -qq '.[dev]'
	/tmp/farmland-lock/bin/python -m pip freeze --exclude-editable | grep -v '^farmland-warehouse' > requirements.lock

clean:
	rm -rf $(VENV) data warehouse/*.duckdb* .duckdb_extensions transforms/target transforms/logs
