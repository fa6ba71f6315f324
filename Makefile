# Dingdian — see README.md. Two commands: `make run` (demo) and `make test` (whole suite).
SHELL := /bin/bash
PORT ?= 8000
HOST ?= 127.0.0.1
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dingdian
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test setup lint typecheck migrations-check pytest bench messages clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV)/python: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $(VENV)/python

setup: $(VENV)/python

# The demo: SQLite and a filesystem task queue unless DATABASE_URL / REDIS_URL are set.
run: setup
	@export DJANGO_DEBUG=$${DJANGO_DEBUG:-1}; \
	$(VENV)/python manage.py migrate --noinput -v0 && \
	$(VENV)/python manage.py collectstatic --noinput -v0 && \
	$(VENV)/python manage.py seed_demo && \
	mkdir -p var && \
	{ $(VENV)/celery -A config worker --beat --pool solo --loglevel INFO \
	    --schedule var/celerybeat-schedule > var/worker.log 2>&1 & echo $$! > var/worker.pid; } && \
	echo "后台任务进程已启动 (worker + beat)，日志: var/worker.log" && \
	echo "定点已启动: http://$(HOST):$(PORT)/  (Ctrl-C 停止)" && \
	trap 'kill $$(cat var/worker.pid) 2>/dev/null' EXIT INT TERM; \
	$(VENV)/gunicorn config.wsgi -c config/gunicorn.py --bind $(HOST):$(PORT) --access-logfile - --log-level warning

# The whole suite against PostgreSQL and Redis, plus lint, types and migrations.
test: setup
	@export DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} DINGDIAN_TESTING=1; \
	$(VENV)/python scripts/check_services.py && \
	$(VENV)/ruff check . && $(VENV)/ruff format --check . && \
	$(VENV)/mypy . && \
	$(VENV)/python manage.py makemigrations --check --dry-run && \
	$(VENV)/python scripts/check_messages.py && \
	$(VENV)/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

bench: setup
	@export DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)}; \
	$(VENV)/python scripts/check_services.py && $(VENV)/python -m bench

# Re-extract and compile the translation catalogues (needs GNU gettext).
messages: setup
	DJANGO_DEBUG=1 $(VENV)/python manage.py makemessages -l en --ignore=.venv --ignore=.tools --ignore=var --ignore=tests --ignore=bench
	DJANGO_DEBUG=1 $(VENV)/python manage.py compilemessages --ignore=.venv --ignore=.tools

clean:
	rm -rf var db.sqlite3
