# The two commands: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fieldcorpus-installed
# Independent prerequisites run side by side: chromium's download beside pip's install, lint
# beside the test suite.
MAKEFLAGS += --jobs=2
# Each module is compiled once and the bytecode kept, even where the shell says otherwise.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-suite test-deps setup lint clean-demo

demo: setup
	$(BIN)/snakemake --profile profiles/default

# Lint runs beside the suite (it takes seconds; either failing fails `make test`).
test: lint test-suite

test-suite: setup test-deps
	$(BIN)/pytest

# The casebook browser test needs Debian's chromium. Installed once (CI runs as root); where it
# cannot be installed the test skips and says why.
test-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
			>/dev/null; \
	} || echo "chromium could not be installed: the browser test will be skipped"

lint: setup
	$(BIN)/ruff check scripts tests bench dev
	$(BIN)/ruff format --check scripts tests bench dev
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint

setup: $(STAMP)

# --no-compile: byte-compiling every installed module took half of the install (54 of 106 s, on
# one core); Python compiles what a run imports, once, the first time it imports it.
$(STAMP): pyproject.toml constraints.txt requirements-no-deps.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -c constraints.txt -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-compile --no-deps -c constraints.txt \
		-r requirements-no-deps.txt
	touch $(STAMP)

clean-demo:
	rm -rf results logs benchmarks .snakemake
