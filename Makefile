# Each target works alone on a machine with only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

# The demo is self-contained: the bundled snapshot only (its own cache dir, offline), its own
# claims table seeded from the package, and the analysis date of the published post-mortem.
demo: $(VENV)/.installed
	DRAFTER_CACHE_DIR=out/.demo-cache $(BIN)/drafter draft NCT05591222 --offline \
		--writer offline --as-of 2026-05-20 --db out/.demo-claims.sqlite3 --out out

test: $(VENV)/.installed-test
	$(BIN)/ruff check drafter tests bench fixtures
	$(BIN)/ruff format --check drafter tests bench fixtures
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_mrs.py
	$(BIN)/python bench/bench_anchors.py
	$(BIN)/python bench/bench_writer.py
	$(BIN)/python bench/bench_draft.py
	$(BIN)/python bench/verify_eval.py
	$(BIN)/python bench/bench_batch.py
	$(BIN)/python bench/bench_classify.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
