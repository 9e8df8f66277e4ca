# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test install lint typecheck pytest demo messages clean

# The virtual environment is rebuilt when the lock or the project's metadata changes.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo

# The background worker (imports, attribution runs) runs beside the server and stops with it
# (its pid is db_worker's supervisor, which passes the signal on: web/ops/worker.py).
run: demo
	DEBUG=true $(BIN)/python manage.py db_worker --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The production configuration on this machine: DEBUG off and the production settings,
# static files collected and served by WhiteNoise, gunicorn with 2 workers
# (web/config/gunicorn.py) and the background worker, stopping together. Plain HTTP on
# loopback, so no HTTPS redirect and no Secure-only cookies; a local secret key.
SERVE_ENV := PANELCARE_PRODUCTION=true DEBUG=false SECURE_SSL_REDIRECT=false \
	SECURE_COOKIES=false ALLOWED_HOSTS=127.0.0.1,localhost \
	SECRET_KEY=panelcare-make-serve-on-this-machine-only-never-on-a-server
serve: demo
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) $(BIN)/python manage.py db_worker --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(SERVE_ENV) GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c web/config/gunicorn.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

# Refresh the French catalogue after adding strings (needs Debian's gettext), then translate
# the new entries in locale/fr/LC_MESSAGES/django.po and compile.
messages: install
	$(BIN)/python manage.py makemessages --locale fr --ignore ".venv/*" --ignore "staticfiles/*"
	$(BIN)/python manage.py compilemessages --locale fr --ignore ".venv/*"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
