# Årshjul — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint unit integration bench proto install clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the whole stack on the embedded default (Ctrl-C stops everything).
run: $(STAMP)
	ARSHJUL_CLOCK=$${ARSHJUL_CLOCK:-simulated} $(BIN)/arshjul up

## A whole follow-up year for two regions on the simulated clock, ending in compiled
## reports (HTML and PDF) in demo-reports/; uses a running `make run` stack, else its own.
demo: $(STAMP)
	$(BIN)/arshjul demo

## Lint, then the whole suite. Exit code 5 (no tests collected) fails.
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services arshjul tests

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

bench: $(STAMP)
	$(BIN)/python -m tests.bench

## Regenerate the gRPC code from proto/ (a test checks it is up to date).
proto: $(STAMP)
	$(BIN)/python -m shared.api.generate

clean:
	rm -rf $(VENV) .arshjul .mypy_cache .ruff_cache

## Regenerate docs/asyncapi.yaml and docs/events/ from the event catalogue (a test checks them).
.PHONY: event-docs
event-docs: $(STAMP)
	$(BIN)/python -m shared.events.docs
