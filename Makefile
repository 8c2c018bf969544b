# Settle: `make run` starts everything locally, `make test` runs every test.
# Needs only Python 3.11+ and make; everything else is installed into .venv from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.8
BOOT := .bootstrap
UV := $(BOOT)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode compiled once at install: where PYTHONDONTWRITEBYTECODE is set, every process would
# otherwise compile every module it imports (ten seconds for a service worker to start).
export UV_COMPILE_BYTECODE := 1

.PHONY: install run test lint format docs deploy-check clean

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q shared/src law/src services/*/src
	@touch $@

install: $(VENV)/.installed

run: install  ## start the whole system (broker, SMTP, every service, gateway on :8000)
	$(VENV)/bin/settle up

test: install  ## every test: unit, service, integration (real broker + PostgreSQL), end-to-end
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared/src law/src services/*/src

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

docs: install  ## regenerate docs/events.md, docs/asyncapi/ and docs/openapi/ from code
	$(VENV)/bin/settle docs generate

deploy-check: install  ## offline checks of deploy/ and docker-compose.yml (kustomize, schemas, yamllint, hadolint)
	bash deploy/validate.sh

clean:
	rm -rf $(VENV) $(BOOT)
