# The playbook's entry points. Only Python 3.11+ is needed; everything else is installed
# into .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := params/clients/demo.yaml

.PHONY: setup demo test lint fuzz lab bench demo-data notebooks clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --editable '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

## make demo: run the demo client; the last line printed is the report's path
demo: setup
	@$(BIN)/playbook run $(DEMO)

## make test: the whole suite (unit, notebook regression, end to end, browser)
test: setup
	@PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest

## make lint: ruff on the package, the tests and the benchmarks (no finding allowed)
lint: setup
	@$(BIN)/ruff check playbook tests bench

## make fuzz: many hypothesis-generated exports through intake (make test runs a few)
fuzz: setup
	@FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-400} $(BIN)/python -m pytest -q tests/intake/test_fuzz.py

## make lab: JupyterLab on the notebooks
lab: setup
	@$(BIN)/jupyter lab notebooks/

## make bench: intake + customer summary on 10M transactions, BG/NBD + Gamma-Gamma on
## 1M customers, and the whole playbook end to end (demo, 1M and 10M clients, a batch),
## each against its baselines measured in the same run (BENCH_E2E="--skip-10m" to skip parts)
bench: setup
	@$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	@$(BIN)/python bench/bench_intake.py
	@$(BIN)/python bench/bench_bgnbd.py
	@$(BIN)/python bench/bench_e2e.py $(BENCH_E2E)

## make demo-data: regenerate the committed demo client (deterministic)
demo-data: setup
	@$(BIN)/python -m playbook.demo.sales --out data_samples/demo
	@$(BIN)/python -m playbook.demo.survey --out data_samples/demo
	@$(BIN)/python -m playbook.demo.standards --out data_samples/demo

clean:
	rm -rf runs .pytest_cache

## make notebooks: refresh the committed notebooks' outputs on the demo client (then review the diff)
notebooks: setup
	@$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb
