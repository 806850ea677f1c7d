# Two commands for a newcomer: `make run` and `make test`. Each creates what is missing
# (environments from the lock files, the database migrated to head, the commune
# configuration loaded, a model trained when its inputs changed) and then does its job.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.10 for both environments (Rasa 3.6 needs <= 3.10); pyenv has it on this machine kind.
PY310 ?= $(shell for p in $$HOME/.pyenv/versions/3.10.*/bin/python python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && echo $$p && break; done)
UV := .venv/tools/bin/uv
APP := .venv/app/bin/python
ENGINE := .venv/engine/bin/python
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false

.PHONY: help run test system-deps setup migrate load-config model lint typecheck validate story-test nlu-report conversation-report residents-nlu report bench bench-back-office demo-data clean

help:
	@echo "make run   - start the assistant (Telegram if TELEGRAM_BOT_TOKEN is set, else a terminal chat; Zalo too if ZALO_BOT_TOKEN is set)"
	@echo "make test  - lint, type-check, validate training data, run every test"

$(UV):
	python3 -m venv .venv/tools
	.venv/tools/bin/pip install --quiet uv==0.13.8

.venv/engine/.synced: requirements/engine.lock | $(UV)
	@test -n "$(PY310)" || (echo "Python 3.10 not found (pyenv has it on this machine kind)"; exit 1)
	test -x $(ENGINE) || $(UV) venv --quiet --python $(PY310) .venv/engine
	$(UV) pip sync --quiet --python $(ENGINE) requirements/engine.lock
	touch $@

.venv/app/.synced: requirements/app.lock | $(UV)
	@test -n "$(PY310)" || (echo "Python 3.10 not found (pyenv has it on this machine kind)"; exit 1)
	test -x $(APP) || $(UV) venv --quiet --python $(PY310) .venv/app
	$(UV) pip sync --quiet --python $(APP) requirements/app.lock
	touch $@

# Debian packages the tests need (LibreOffice to render the .docx to PDF, poppler for
# PDF -> PNG, fonts with Vietnamese glyphs, HAProxy in front of engine and action server
# replicas in the scale-out test). Installed only when missing.
system-deps:
	@missing=$$(for p in $$(grep -v '^#' scripts/system-packages.txt); do \
		dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

setup: .venv/engine/.synced .venv/app/.synced

migrate: .venv/app/.synced
	@mkdir -p var
	$(APP) -m alembic upgrade head

load-config: migrate
	$(APP) -m admin config load

# The previous, TensorFlow pipeline for comparison: make model PIPELINE=tf.
model: setup
	$(APP) scripts/model.py --pipeline $(or $(PIPELINE),lean)

# The database is migrated and the configuration loaded by scripts/stack.py while the
# engine loads its model (the longest part of a start), not before.
run: setup model
	$(APP) scripts/stack.py

lint: .venv/app/.synced
	.venv/app/bin/ruff check .
	.venv/app/bin/ruff format --check .

typecheck: .venv/app/.synced
	.venv/app/bin/mypy

validate: .venv/engine/.synced
	$(ENGINE) -m rasa data validate --config config.yml --domain domain.yml --data nlu --fail-on-warnings

# Rasa story tests (every tests/test_*.yml) against the trained model. --e2e makes Rasa
# check the predicted intent (and FAQ key) of every user message, not only the actions.
# The files are gathered in one folder: --stories takes one path, and tests/ also holds
# NLU data that is not a story.
story-test: model
	rm -rf results/story-inputs && mkdir -p results/story-inputs
	cp tests/test_*.yml results/story-inputs/
	$(ENGINE) -m rasa test core --e2e --model "$$($(APP) scripts/model.py path)" \
		--stories results/story-inputs --fail-on-prediction-errors --out results/stories

# A throwaway database full of demo tickets for the back office (refuses one with real
# tickets): make demo-data ARGS="--count 5000 --months 12"
DEMO_DATABASE_URL ?= sqlite:///$(CURDIR)/var/demo.db
demo-data: .venv/app/.synced
	@mkdir -p var
	DATABASE_URL=$(DEMO_DATABASE_URL) $(APP) -m admin demo-data $(ARGS)

# The six-monthly report on a migrated database: make report ARGS="--office KT"
report: migrate
	$(APP) -m reports --out var/reports $(ARGS)

# Benchmark, not a test: trains ours and the stock pipeline, writes docs/nlu-report.md.
nlu-report: setup
	$(ENGINE) scripts/evaluate_nlu.py --write docs/nlu-report.md

# Benchmark, not a test (issue #22): first messages of a labelled set, each from a new
# resident, through the real engine and actions; scores the first reply and counts the
# questions before the summary. Tune on the development sets; measure on a held-out set
# (never read; scripts/conversation_report.py lists which is which) and record it:
#   make conversation-report ARGS="--set heldout15 --write --label 'After ...'"
conversation-report: setup model
	$(APP) scripts/conversation_report.py $(ARGS)

# The development sets' first messages as training data (nlu/residents.yml); rerun after
# changing a development set, or moving a held-out set to DEVELOPMENT.
residents-nlu: .venv/app/.synced
	$(APP) scripts/residents_nlu.py

# Benchmark, not a test: the whole path under 1, 10 and 50 simulated residents, and each
# layer alone; Telegram, Zalo and the web chat window side by side; writes
# docs/performance.md. Quiet rerun: make bench ARGS="--quiet"; one channel, quickly:
# make bench ARGS="--channels zalo --quick".
# The shipped (lean) pipeline against the previous TensorFlow one, alternating starts:
# make bench ARGS="--pipelines --runs 3 --train" (bench/pipelines.py).
bench: setup model
	$(APP) -m bench $(ARGS)

# Benchmark, not a test: the back office queue and search pages on 100,000 demo tickets,
# SQLite and a temporary PostgreSQL database; numbers go to docs/performance.md by hand.
bench-back-office: .venv/app/.synced
	$(APP) -m bench.back_office $(ARGS)

test: setup system-deps lint typecheck validate model story-test
	$(APP) scripts/alembic_check.py
	$(ENGINE) -m pytest -q -p no:cacheprovider --confcutdir tests/engine -W ignore::pytest.PytestConfigWarning tests/engine
	$(APP) -m pytest -q -p no:cacheprovider

clean:
	rm -rf .venv var models .mypy_cache .ruff_cache
