# The two commands a newcomer needs are `make demo` and `make test`; each creates
# .venv on first use and reinstalls only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint format check pytest bench bench-smoke faults screenshots demo-server clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(STAMP)  ## run the monitor on the embedded demo API
	$(BIN)/soku-tui --demo

demo-server: $(STAMP)  ## serve the demo API in the foreground (for curl)
	$(BIN)/soku-tui demo-server --port 8765

test: lint pytest  ## everything CI runs

lint: $(STAMP)
	$(BIN)/ruff check soku_tui tests bench
	$(BIN)/ruff format --check soku_tui tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix soku_tui tests bench
	$(BIN)/ruff format soku_tui tests bench

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)  ## full benchmark table (minutes)
	$(BIN)/python -m bench

bench-smoke: $(STAMP)  ## the same benchmarks at N=1k, no targets (also run by make test)
	$(BIN)/python -m bench --quick

faults: $(STAMP)  ## every fault against the real app: one table (issue 4)
	$(BIN)/python -m bench.faults

screenshots: $(STAMP)  ## regenerate screenshots/*.svg from the demo
	$(BIN)/python -m soku_tui.ui.screenshots screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
