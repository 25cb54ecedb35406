# The two commands: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fieldcorpus-installed

.PHONY: demo test setup lint clean-demo

demo: setup
	$(BIN)/snakemake --profile profiles/default

test: setup lint
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check scripts tests bench dev
	$(BIN)/ruff format --check scripts tests bench dev
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt requirements-no-deps.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt -r requirements-no-deps.txt
	touch $(STAMP)

clean-demo:
	rm -rf results logs benchmarks .snakemake
