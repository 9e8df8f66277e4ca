"""The one settings module of the panelcare web application.

Every option comes from an environment variable read through the helpers below, which fail
loudly on a malformed value. The defaults are safe for a developer's machine: SQLite in the
project folder, French, DEBUG on only when asked. Production sets at least SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and PANELCARE_PRODUCTION=true (see docs/deployment.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


PRODUCTION = env_bool("PANELCARE_PRODUCTION", False)
# DEBUG shows Django's debug pages (settings, code, a traceback) instead of the 404 and 500
# pages of web/templates/: for a developer's machine (`make run`), never for users.
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")

_DEV_SECRET = "django-insecure-panelcare-local-development-only"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
if PRODUCTION and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "web.accounts",
    "web.regions",
    "web.dashboard",
    "web.attribution",
    "web.assiduity",
    "web.comanagement",
    "web.quality",
    "web.tables",
    "web.audit",
    "web.ops",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages load and run only this site's files (the policy and why: web/config/csp.py).
    "web.config.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # AxesMiddleware must stay last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # WhiteNoise serves the collected static files; in development runserver does.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "web.config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.accounts.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "web.config.wsgi.application"

# SQLite in the project folder unless DATABASE_URL says otherwise (PostgreSQL in production
# and in CI: postgres://postgres@127.0.0.1:5432/panelcare). Each server thread keeps its
# connection for DB_CONN_MAX_AGE seconds (checked before it is reused): opening one at every
# request cost 2-3 ms of a page's 5-10 (docs/deployment.md, "Load"); 0 closes it each time.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'panelcare.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite ignores select_for_update: every transaction takes the write lock as it
    # begins (BEGIN IMMEDIATE), so that two writers serialise, as the row locks make them
    # on PostgreSQL, instead of both reading then one failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out user before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Password guessing: after AXES_FAILURE_LIMIT failures for one username from one address,
# that pair is locked for AXES_COOLOFF_HOURS.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The address is the client's, read from X-Forwarded-For when PANELCARE_TRUSTED_PROXIES
# reverse proxies stand in front of the server (1 behind the nginx of docs/deployment.md);
# 0, the default, ignores the header, which a client could forge.
PANELCARE_TRUSTED_PROXIES = env_int("PANELCARE_TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "web.config.client_ip.client_ip_address"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/Montreal")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "web" / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Cookies only over HTTPS. `make serve` turns it off: it serves plain HTTP on loopback,
    # where a client that follows the rule (Python's cookie jar) would never log in.
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# The pages' figures and rendered parts (dashboard, RLS, waiting list, a run's plan), cached
# per data version and territory (web/dashboard/figures.py, `cached`). In each process's
# memory: every gunicorn worker keeps its own copy (2 workers: each renders a page once per
# data version), which needs no server and no file; a key holds the data version, so an
# import or a status change shows at once in every worker. Sessions stay in the database
# (not `cached_db`: a logout would not reach the other workers' memory).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "panelcare",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}

# Imported tables, attribution plans and letters (Parquet and PDF files; back it up with the
# database). Patient data: keep it on the region's own storage.
PANELCARE_DATA_DIR = Path(env_str("PANELCARE_DATA_DIR", str(BASE_DIR / "var" / "data")))
# Uploads too big to stay in memory are spooled here, under the data folder (never in the
# system's /tmp): `manage.py clean_orphans` removes those a killed server left behind.
FILE_UPLOAD_TEMP_DIR = PANELCARE_DATA_DIR / "uploads"

# An import that removes every row in force of its scope (a CML's RLS, the DRMG's region),
# or more than this share of them, is applied only once its importer confirms the number
# of rows removed (a headers-only file would empty an RLS). From 0 (any removal) to 1
# (only a removal of every row); docs/tables.md, docs/decisions.md.
PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE = env_float("PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE", 0.2)
if not 0 <= PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE <= 1:
    raise ImproperlyConfigured("PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE must be from 0 to 1")

# Long imports and attribution runs are background tasks, queued in the database and run by
# `manage.py db_worker` (`make run` starts one). TASKS_BACKEND=immediate runs them inside
# the request instead (the tests, a single-process demo).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = env_str("TASKS_BACKEND", "database")
if _task_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be database or immediate, not {_task_backend!r}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend], "QUEUES": ["default"]}}
# A run or an import being worked on without a sign of life (its heartbeat, written with
# its progress) for this long lost its worker: it is failed, and can be started again
# (web/tasks_health.py).
PANELCARE_TASK_LEASE_SECONDS = env_int("PANELCARE_TASK_LEASE_SECONDS", 120)
# `manage.py db_worker` runs the tasks in worker processes of its own, each ended after this
# many tasks (or after a task that left it above PANELCARE_WORKER_MAX_RSS_MB, 0: no limit),
# so that a big import's memory goes back to the system (web/ops/worker.py). It fails the
# stalled jobs every PANELCARE_WORKER_CHECK_SECONDS (default: half the lease, at most a
# minute) and removes the files a crash left every PANELCARE_WORKER_CLEAN_SECONDS.
PANELCARE_WORKER_TASKS_PER_PROCESS = env_int("PANELCARE_WORKER_TASKS_PER_PROCESS", 1)
PANELCARE_WORKER_MAX_RSS_MB = env_int("PANELCARE_WORKER_MAX_RSS_MB", 0)
PANELCARE_WORKER_CHECK_SECONDS = env_float(
    "PANELCARE_WORKER_CHECK_SECONDS", min(PANELCARE_TASK_LEASE_SECONDS / 2, 60)
)
PANELCARE_WORKER_CLEAN_SECONDS = env_float("PANELCARE_WORKER_CLEAN_SECONDS", 3600)
if PANELCARE_WORKER_TASKS_PER_PROCESS < 1 or PANELCARE_WORKER_CHECK_SECONDS <= 0:
    raise ImproperlyConfigured(
        "PANELCARE_WORKER_TASKS_PER_PROCESS must be at least 1 and "
        "PANELCARE_WORKER_CHECK_SECONDS above 0"
    )

# Uploads: the import form streams files to disk above this size (a province's waiting list
# is about 60 MB as CSV).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest file accepted (the reverse proxy's limit must not be lower): a file growing
# past it is no longer written and the form refuses it (web/config/uploads.py).
PANELCARE_MAX_UPLOAD_MB = env_int("PANELCARE_MAX_UPLOAD_MB", 512)
# A spreadsheet (XLSX) expanding beyond this size, or with more rows, is refused before it is
# parsed: a few MB of XLSX can expand to gigabytes of XML (docs/tables.md).
PANELCARE_IMPORT_XLSX_MAX_MB = env_int("PANELCARE_IMPORT_XLSX_MAX_MB", 256)
PANELCARE_IMPORT_XLSX_MAX_ROWS = env_int("PANELCARE_IMPORT_XLSX_MAX_ROWS", 250_000)
FILE_UPLOAD_HANDLERS = [
    "web.config.uploads.MaxUploadSizeHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# A form refused by the CSRF check gets the site's 403 page, in the user's language.
CSRF_FAILURE_VIEW = "web.config.views.csrf_failure"

# Everything at LOG_LEVEL and above goes to the console (the service's journal). A request
# refused with a 4xx (a 403 from the access checks, a 404) logs one line on django.request,
# without the traceback Django attaches to it; server errors (5xx) keep theirs.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_traceback_for_client_errors": {
            "()": "web.config.log_filters.NoTracebackForClientErrors",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"filters": ["no_traceback_for_client_errors"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# E-mail: the co-management's daily job e-mails each alert to its owners (docs/deployment.md).
# The console backend prints them (development); production sets an SMTP backend and its
# EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS.
EMAIL_BACKEND = env_str("PANELCARE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "panelcare@localhost")
# The address of the site, for the links of the e-mails (no request to read it from).
PANELCARE_SITE_URL = env_str("PANELCARE_SITE_URL", "http://127.0.0.1:8000")
