# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TESTS := tests/warehouse tests/share tests/plan tests/protect tests/classify/test_classify_store.py --deselect tests/warehouse/test_spark.py

.PHONY: demo test lint bench install clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Build the synthetic Cixi demo warehouse and serve the cockpit on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/shucang demo

## Lint and type-check (mypy strict), then the whole test suite (browser tests skip with a clear message when chromium is missing),
## then the catalog-heavy tests again with the catalog on a throwaway PostgreSQL (when it is installed)
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q -rs
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "catalog on PostgreSQL:"; \
	  $(BIN)/python -m pytest -n 2 -q -rs --catalog postgres $(PG_TESTS); \
	else echo "PostgreSQL is not installed (apt-get install postgresql): catalog-on-PostgreSQL pass skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
