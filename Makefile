# Entry points for newcomers and CI. Every target sets up what it needs by itself.
PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
COLLECTIONS := .collections
COLLECTION  := $(COLLECTIONS)/ansible_collections/volume_activation/kms
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PYTHONPATH := $(CURDIR)/tools:$(CURDIR)/tests:$(CURDIR)/$(COLLECTIONS)

.PHONY: help venv mono collection test unit demo fleet benchmark clean

help:
	@echo "make demo       run convert-to-kms.yml (audit, convert, audit) against the simulated fleet"
	@echo "make test       run the test suite with coverage, then every quality gate (make check)"
	@echo "make unit       run the unit tests only"
	@echo "make benchmark  measure the playbook on simulated fleets, write docs/performance.md"
	@echo "                (BENCHMARK_ARGS=--quick for a small matrix; see tools/benchmark_fleet.py --help)"

$(BIN)/.installed: requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(BIN)/.installed

# The collection, laid out as `ansible-galaxy collection install` would, pointing at this checkout.
$(COLLECTION):
	mkdir -p $(dir $(COLLECTION))
	ln -sfn ../../.. $(COLLECTION)

# Mono compiles and runs the worker's C# engine in the tests, the demo and the simulated fleet (Debian packages).
mono:
	tools/ensure-mono

collection: venv mono $(COLLECTION)

# The whole suite (with coverage) and every quality gate; the browser test needs Debian's chromium.
test: collection
	tools/ensure-chromium
	$(MAKE) --no-print-directory check

unit: collection
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) $(COLLECTIONS) build .pytest_cache .coverage htmlcov

# The simulated fleet in the foreground until interrupted:
#   make fleet SCENARIO=<scenario.yml> INVENTORY=<inventory.yml to write> STATE=<state.json to write on exit>
SCENARIO  ?= tools/winsim/scenarios/mixed_fleet.yml
INVENTORY ?= fleet-inventory.yml
STATE     ?= fleet-state.json
fleet: collection
	$(BIN)/python -m winsim --scenario $(SCENARIO) --inventory $(INVENTORY) --state $(STATE)

demo: collection
	tools/demo.sh

BENCHMARK_ARGS ?=
benchmark: collection
	$(BIN)/python tools/benchmark_fleet.py $(BENCHMARK_ARGS)

# ----------------------------------------------------------------------------------------------
# Quality gates (docs/quality_gates.md). `make check` runs them all; each one runs on its own.
# ----------------------------------------------------------------------------------------------
GATE_PATH := $(CURDIR)/$(BIN):$(PATH)
COV_RC    := pyproject.toml
COV_MIN   := 95
DIST      := build/dist

.PHONY: check style sanity lint docs-lint changelog build coverage molecule matrix

check: style coverage sanity lint docs-lint changelog build molecule matrix
	@echo "make check: every quality gate passed"

# Python style and types: ruff (lint and format, pyproject.toml) over the tree, mypy over plugins/ and the simulator.
style: collection
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd $(COLLECTION) && MYPYPATH=$(CURDIR)/$(COLLECTIONS):$(CURDIR)/tools $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p ansible_collections.volume_activation.kms.plugins
	$(BIN)/mypy --config-file pyproject.toml tools/winsim

# ansible-test sanity (ansible-core's own rules) on a copy laid out as ansible_collections/volume_activation/kms.
sanity: venv
	PYTHON=$(BIN)/python tools/sanity.sh

# ansible-lint, production profile, offline: the role, the collection's playbooks, the root playbook.
lint: collection
	PATH=$(GATE_PATH) $(BIN)/ansible-lint roles playbooks convert-to-kms.yml

# Plugin and role documentation: antsibull-docs schema/markup lint, then ansible-doc renders each one.
docs-lint: collection
	cd $(COLLECTION) && PATH=$(GATE_PATH) $(CURDIR)/$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	$(BIN)/python -m pytest -p no:cacheprovider tests/gates/test_ansible_doc.py

# Changelog fragments lint, and the pending release assembled on a copy (preview in build/changelog/);
# its test proves the lint refuses malformed fragments.
changelog: venv
	PATH=$(GATE_PATH) PYTHON=$(BIN)/python tools/changelog.sh
	PATH=$(GATE_PATH) $(BIN)/python -m pytest -p no:cacheprovider tests/gates/test_changelog_gate.py

# The Galaxy artifact: built into build/dist/, then checked (contents, install, use) by its test, and the
# execution environment's build context made from it.
build: collection
	rm -rf $(DIST)
	$(BIN)/ansible-galaxy collection build --force --output-path $(DIST) .
	$(BIN)/python -m pytest -p no:cacheprovider tests/gates/test_collection_build.py tests/gates/test_execution_environment.py

# Line and branch coverage of plugins/ and the simulator, ansible-playbook subprocesses included.
coverage: collection
	rm -rf build/coverage && mkdir -p build/coverage
	PATH=$(GATE_PATH) $(BIN)/python -m pytest -p no:cacheprovider --cov --cov-config=$(COV_RC) --cov-report=
	$(BIN)/coverage report --rcfile=$(COV_RC)
	$(BIN)/coverage report --rcfile=$(COV_RC) --include='plugins/*' --fail-under=$(COV_MIN)

# Molecule scenario: converge the role on the simulated fleet, idempotence, verify.
molecule: collection
	PATH=$(GATE_PATH) $(BIN)/molecule test --scenario-name default

# The test suite under every supported ansible-core (2.16 .. 2.19), one cached virtualenv each.
matrix: venv
	PATH=$(GATE_PATH) $(BIN)/nox --reuse-existing-virtualenvs
