# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
MODEL := models/faqbot.tar.gz
SPACY_MODEL := var/spacy/en_faqbot/meta.json
TRAIN_INPUTS := config.yml domain.yml $(wildcard data/nlu/*.yml data/rules/*.yml data/stories/*.yml)

export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Python 3.10: $(PYTHON) if set, else python3.10 on PATH, else a pyenv-installed 3.10.
PYTHON_310 = $(shell \
	for p in "$(PYTHON)" "$$(command -v python3.10)" $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python 2>/dev/null | sort -V -r); do \
	  [ -n "$$p" ] && [ -x "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null && { echo "$$p"; break; }; \
	done)

.PHONY: help setup load train run serve shell test lint types validate data-validate stories eval clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(BIN)/faqbot: pyproject.toml
	@py="$(PYTHON_310)"; if [ -z "$$py" ]; then \
	  echo "error: Python 3.10 not found. Install it (e.g. 'pyenv install 3.10') or set PYTHON=/path/to/python3.10." >&2; exit 1; fi; \
	echo "Using $$py"; \
	[ -x $(BIN)/python ] || "$$py" -m venv $(VENV); \
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel && \
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

$(SPACY_MODEL): bot/nlp.py | $(BIN)/faqbot
	$(BIN)/faqbot build-spacy --force

$(MODEL): $(TRAIN_INPUTS) $(SPACY_MODEL) | $(BIN)/faqbot
	$(RASA) train --fixed-model-name faqbot --out models
	@touch $@

setup: $(BIN)/faqbot $(SPACY_MODEL) load $(MODEL)  ## install, build the spaCy pipeline, load content, train if needed

load: $(BIN)/faqbot  ## validate the knowledge base and load it into DATABASE_URL (no retraining)
	$(BIN)/faqbot load

train: $(MODEL)  ## train the model when data or config changed

run: setup  ## set everything up, then start the action server and Rasa (REST + socketio)
	$(BIN)/python -m bot.serve

serve: ## start both servers (after `make setup`)
	$(BIN)/python -m bot.serve

shell: setup  ## chat in the terminal (starts the action server in the background)
	@SANIC_HOST=127.0.0.1 $(RASA) run actions --actions actions --port 5055 >var/actions.log 2>&1 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  $(RASA) shell --model models --endpoints endpoints.yml

lint: $(BIN)/faqbot
	$(BIN)/ruff check bot actions tests
	$(BIN)/ruff format --check bot actions tests

types: $(BIN)/faqbot
	$(BIN)/mypy bot actions

validate: $(BIN)/faqbot
	$(BIN)/faqbot validate

data-validate: $(BIN)/faqbot
	$(RASA) data validate --fail-on-warnings

stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests --fail-on-prediction-errors --out results/core

test: setup lint types validate data-validate stories  ## lint, types, validation, test stories and every test
	$(BIN)/pytest -q

clean:  ## remove generated files (keeps .venv)
	rm -rf var models results .rasa
