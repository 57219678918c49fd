# The two commands that matter: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
REQS := requirements-dev.txt requirements.lock libs/portal_common/pyproject.toml $(wildcard services/*/requirements.txt) \
	$(wildcard services/*/pyproject.toml)

.PHONY: run test test-fast bench lint typecheck package clean lock

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==26.2.1
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c requirements.lock
	touch $(STAMP)

## Start the whole system on one port (default 8000; PORT=… to change). Ctrl-C stops it.
run: $(STAMP)
	PORT=$(PORT) $(PY) -m infra.local

## Run every test: unit, service, cross-service, packaging and the end-to-end test of the local stack.
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q

## Tests without the end-to-end and packaging runs (quick feedback while coding).
test-fast: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q -m "not e2e and not slow"

## Benchmarks: print figures, assert nothing about time.
bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check libs infra tests bench services || true

typecheck: $(STAMP)
	$(VENV)/bin/mypy

## chalice package for every service into build/, shared library vendored, resources merged, cfn-lint.
package: $(STAMP)
	AWS_DEFAULT_REGION=eu-west-1 $(PY) -m infra.package build

## Re-pin every transitive dependency after changing requirements-dev.txt.
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache services/*/vendor
