# Entry points for newcomers and CI. Every target sets up what it needs by itself.
PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
COLLECTIONS := .collections
COLLECTION  := $(COLLECTIONS)/ansible_collections/volume_activation/kms
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PYTHONPATH := $(CURDIR)/tests:$(CURDIR)/$(COLLECTIONS)

.PHONY: help venv collection test unit demo fleet clean

help:
	@echo "make demo   run convert-to-kms.yml (audit, convert, audit) against the simulated fleet"
	@echo "make test   run the test suite"

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

collection: venv $(COLLECTION)

test: collection
	$(BIN)/python -m pytest

unit: collection
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) $(COLLECTIONS) build .pytest_cache .coverage htmlcov

# The simulated fleet in the foreground until interrupted:
#   make fleet SCENARIO=<scenario.yml> INVENTORY=<inventory.yml to write> STATE=<state.json to write on exit>
SCENARIO  ?= tests/winsim/scenarios/mixed_fleet.yml
INVENTORY ?= fleet-inventory.yml
STATE     ?= fleet-state.json
fleet: collection
	$(BIN)/python -m winsim.fleet --scenario $(SCENARIO) --inventory $(INVENTORY) --state $(STATE)

demo: collection
	tools/demo.sh
