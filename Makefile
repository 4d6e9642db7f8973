# msf-local — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 4590

.PHONY: run test lint typecheck generate bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,flink]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/msf-local serve --host $(HOST) --port $(PORT)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }

test: $(VENV)/.installed-dev node_modules/.installed chromium
	$(BIN)/ruff check .
	$(BIN)/mypy app api_models runtime_adapter stream_runtime
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy app api_models runtime_adapter stream_runtime

generate: $(VENV)/.installed-dev
	$(BIN)/python -m api_models.generate
	$(BIN)/python -m app.clients

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
