# One command each: `make run` (the embedded bot) and `make test` (lint, types, contract gate, tests).
# Both create .venv and install the project on first use; nothing else needs to be installed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck layers contract pytest browser catalog demo bench checkov mutate package format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "loadshed needs Python >= 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/loadshed run

demo: $(STAMP)
	$(BIN)/loadshed demo

test: lint typecheck layers contract pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# the layers as import contracts (pyproject.toml [tool.importlinter])
layers: $(STAMP)
	$(BIN)/lint-imports

contract: $(STAMP)
	$(BIN)/loadshed schemas check

# Debian's Chromium for the event catalog's browser test (Playwright drives it; nothing is downloaded
# but the Debian package). Root installs it; otherwise say how, and stop.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then echo "installing chromium (Debian package) for the catalog test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the catalog test needs Chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

catalog: $(STAMP)
	$(BIN)/loadshed catalog build build/catalog

# pytest exits 5 when it collects no test: that is a failure here, never a silent pass.
pytest: $(STAMP) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# mutation testing of services/domain (pyproject [tool.mutmut]); fails below 90% killed
mutate: $(STAMP)
	test -x $(BIN)/mutmut || $(BIN)/python -m pip install --quiet "mutmut>=3.3"
	rm -rf mutants && $(BIN)/mutmut run >/dev/null 2>&1; $(BIN)/mutmut export-cicd-stats >/dev/null
	$(BIN)/python -m tests.domain.mutation_score mutants/mutmut-cicd-stats.json

# checkov (in its own venv: it pins many libraries) on the program's resource graph as a Terraform
# plan; fails on any finding not justified in README.md's Security notes.
checkov: $(STAMP)
	test -x build/checkov-venv/bin/checkov || { $(PYTHON) -m venv build/checkov-venv && build/checkov-venv/bin/pip install -q checkov; }
	BC_SKIP_MAPPING=TRUE $(BIN)/python -m tests.infra.checkov_gate build/checkov-venv/bin/checkov

# Lambda artifacts for AWS (arm64 layer from PyPI); `pulumi up` also builds them when missing.
package: $(STAMP)
	$(BIN)/python -m infra.packaging --platform lambda

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build
