# Set-up and entry points. Needs only Python 3.11 and make: every target creates the
# virtual environment from the pinned lock file first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: env demo test test-fast lint bench validate clean

env: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-interop.lock requirements-distributed.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet -r requirements-interop.lock
	$(PY) -m pip install --quiet -r requirements-distributed.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tmesim trial

# pytest exits 5 when it collects no test: that is a failure of the suite, said plainly.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$rc

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

# The whole validation suite (every published target at full group size, about 18 min on 2 cores);
# the fast subset runs inside `make test`.
validate: $(STAMP)
	$(VENV)/bin/tmesim validate --out tmesim-validation --quiet

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/cohort_throughput.py
	$(PY) benchmarks/trial_throughput.py
	$(PY) benchmarks/lesion_throughput.py
	$(PY) benchmarks/stratify_throughput.py
	$(PY) benchmarks/spatial_throughput.py

clean:
	rm -rf $(VENV) tmesim-out .pytest_cache
