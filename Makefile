# Two commands do everything on a fresh machine with Python 3.11+:
#   make demo   — replay an incident against the built-in sandbox Slack (SQLite, no credentials)
#   make test   — install into .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench bench-inbox clean

$(BIN)/vigilo: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

install: $(BIN)/vigilo

demo: install
	$(BIN)/vigilo demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install lint
	$(BIN)/pytest -q -n 2

bench: install
	for b in bench/bench_*.py; do $(BIN)/python -m bench.$$(basename $$b .py) || exit 1; done

# Issue 8/9's inbox figures, one after the other (each prints its goal; a miss does not stop
# the rest). PostgreSQL at 127.0.0.1:5432/test, throwaway schemas. --split: one `vigilo serve`
# beside a web + worker pair.
bench-inbox: install
	-$(BIN)/python -m bench.bench_slack_messages --messages 10000 --redeliver 0.1 --split
	-$(BIN)/python -m bench.bench_slack_messages --crash --messages 3000
	-$(BIN)/python -m bench.bench_slack_ack --users 50 --think 0 --split
	-$(BIN)/python -m bench.bench_slack_forms
	-$(BIN)/python -m bench.bench_integrations --users 50

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
