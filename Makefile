# Dingdian — see README.md. Two commands: `make run` (demo) and `make test` (whole suite).
SHELL := /bin/bash
PORT ?= 8000
HOST ?= 127.0.0.1
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv/bin

.PHONY: run test setup bench backup restore messages clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV)/python: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $(VENV)/python

setup: $(VENV)/python

# The demo. With no DATABASE_URL, the project's own PostgreSQL (embedded, data in var/pgdata);
# with no REDIS_URL, the filesystem task queue. Ctrl-C stops the server, the worker and the
# embedded PostgreSQL, each by its PID. DINGDIAN_VAR_DIR moves all runtime state (default var).
run: setup
	@set -e; export DJANGO_DEBUG=$${DJANGO_DEBUG:-1}; \
	export DINGDIAN_VAR_DIR=$$(realpath -m $${DINGDIAN_VAR_DIR:-var}); var=$$DINGDIAN_VAR_DIR; \
	$(VENV)/python scripts/machine.py packages --for run; \
	mkdir -p $$var; \
	trap 'trap "" INT TERM; $(VENV)/python scripts/machine.py stop --var "$$var"' EXIT; \
	eval "$$($(VENV)/python scripts/machine.py services --for run --var $$var)"; \
	$(VENV)/python manage.py migrate --noinput -v0; \
	$(VENV)/python manage.py collectstatic --noinput -v0; \
	$(VENV)/python manage.py seed_demo; \
	$(VENV)/celery -A config worker --beat --pool solo --loglevel INFO \
	    --schedule $$var/celerybeat-schedule > $$var/worker.log 2>&1 & worker=$$!; \
	trap 'trap "" INT TERM; kill $$worker 2>/dev/null; wait $$worker 2>/dev/null; \
	      $(VENV)/python scripts/machine.py stop --var "$$var"' EXIT; \
	trap 'exit 130' INT TERM; \
	echo "后台任务进程已启动 (worker + beat, PID $$worker)，日志: $$var/worker.log"; \
	echo "定点已启动: http://$(HOST):$(PORT)/  (Ctrl-C 停止)"; \
	$(VENV)/gunicorn config.wsgi -c config/gunicorn.py --bind $(HOST):$(PORT) \
	    --access-logfile - --log-level warning

# The whole suite. Installs the system packages it needs when root (else says the command),
# uses PostgreSQL and Redis where they answer and starts its own where they don't.
test: setup
	@set -e; $(VENV)/python scripts/machine.py packages --for test; \
	var=$$(realpath -m var/test); mkdir -p $$var; \
	trap 'trap "" INT TERM; $(VENV)/python scripts/machine.py stop --var "$$var"' EXIT; \
	eval "$$($(VENV)/python scripts/machine.py services --for test --var $$var)"; \
	export DINGDIAN_TESTING=1; \
	$(VENV)/ruff check .; $(VENV)/ruff format --check .; \
	$(VENV)/mypy .; \
	$(VENV)/lint-imports --no-cache; \
	$(VENV)/python manage.py makemigrations --check --dry-run; \
	$(VENV)/python scripts/check_messages.py; \
	$(VENV)/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

bench: setup
	@set -e; var=$$(realpath -m var/test); mkdir -p $$var; \
	trap 'trap "" INT TERM; $(VENV)/python scripts/machine.py stop --var "$$var"' EXIT; \
	eval "$$($(VENV)/python scripts/machine.py services --for test --var $$var)"; \
	$(VENV)/python -m bench

# A backup of the database (pg_dump) and the private media folder with a manifest of row counts
# and checksums, into BACKUP_DIR (default var/backups/<time>). DATABASE_URL, else the embedded
# server (started for the backup and stopped after, unless `make run` has it running).
backup: setup
	@set -e; export DINGDIAN_VAR_DIR=$$(realpath -m $${DINGDIAN_VAR_DIR:-var}); \
	var=$$DINGDIAN_VAR_DIR; mkdir -p $$var/backups; \
	trap 'trap "" INT TERM; $(VENV)/python scripts/machine.py stop --var "$$var"' EXIT; \
	eval "$$($(VENV)/python scripts/machine.py services --for run --var $$var)"; \
	$(VENV)/python scripts/backup.py backup --out $${BACKUP_DIR:-$$var/backups/$$(date +%Y%m%dT%H%M%S)}

# Restore BACKUP (a folder made by `make backup`) into a NEW database and media folder, then
# compare them with its manifest: RESTORE_DATABASE_URL and RESTORE_MEDIA_DIR (never the live ones).
restore: setup
	@test -n "$(BACKUP)" -a -n "$(RESTORE_DATABASE_URL)" -a -n "$(RESTORE_MEDIA_DIR)" || { \
	  echo "usage: make restore BACKUP=var/backups/… RESTORE_DATABASE_URL=postgres://…/new_db RESTORE_MEDIA_DIR=/srv/new-private"; exit 2; }
	$(VENV)/python scripts/backup.py restore --from "$(BACKUP)" \
	    --database-url "$(RESTORE_DATABASE_URL)" --media "$(RESTORE_MEDIA_DIR)"

# Re-extract and compile the translation catalogues (needs GNU gettext).
messages: setup
	DJANGO_DEBUG=1 $(VENV)/python manage.py makemessages -l en --ignore=.venv --ignore=.tools --ignore=var --ignore=tests --ignore=bench
	DJANGO_DEBUG=1 $(VENV)/python manage.py compilemessages --ignore=.venv --ignore=.tools

clean:
	rm -rf var
