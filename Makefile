# Thin wrappers; the real work is in scripts/ and the Python packages.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install up down test bench bench-scale simulate clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip==25.3
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

up: install
	$(PY) scripts/up.py

down:
	$(PY) scripts/down.py

test: install
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-debian.sh
	$(PY) -m pytest -q -p no:randomly $(PYTEST_ARGS)

bench: install
	$(PY) -m tests.bench.run

# Issue #18's figures at a region's volume on PostgreSQL; BENCH_SCALE_DONORS (default 1000000) sets the scale.
bench-scale: install
	bash scripts/ensure-postgres.sh
	$(PY) -m tests.bench.scale

# A year of the synthetic region, every scenario over 5 seeds (docs/simulation.md); outputs in var/simulation/,
# the report section of docs/simulation.md and its plots rewritten. SIMULATE_ARGS="--seeds 1 --sites 12" for less.
SIMULATE_ARGS ?= --days 365 --sites 40 --seeds 1 2 3 4 5 --workers 2
simulate: install
	$(PY) -m inventory.simulate --report $(SIMULATE_ARGS) --docs docs

clean:
	rm -rf var .bench
