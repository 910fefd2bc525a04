"""Django's own settings and the shared services (database, Redis, Celery, the API, logging). Settings are the
only modules that read the environment, through the typed helpers of config/env.py; config/settings/__init__.py
puts this module and the domains' settings modules together."""

import secrets
import socket
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_float, env_int, env_list, env_path, env_str
from config.settings.paths import BASE_DIR, VAR_DIR
from core import task_names


def _secret_key(key_file: Path | None) -> str:
    """An explicit key wins; else the key `manage.py bootstrap` (run by `make run`) keeps under var/, so every
    process signs alike and sessions survive restarts. Before the first bootstrap (a fresh clone running
    `manage.py check`, say) a key of this process only: reading settings never writes a file."""
    explicit = env_str("DJANGO_SECRET_KEY")
    if explicit or key_file is None:
        return explicit
    try:
        return key_file.read_text().strip() or secrets.token_urlsafe(50)
    except FileNotFoundError:
        return secrets.token_urlsafe(50)


# --- Core Django ---------------------------------------------------------------------------------
# Where bootstrap writes the generated key; None when DJANGO_SECRET_KEY gives one.
SECRET_KEY_FILE = None if env_str("DJANGO_SECRET_KEY") else VAR_DIR / "secret_key"
SECRET_KEY = _secret_key(SECRET_KEY_FILE)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "axes", "accounts",
    "streams",
    "catalog",
    "events",
    "analytics",
    "outputs",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: a locked-out login becomes a 429
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],  # each app's templates/; the shared ones (base.html, 403.html) in dashboard/
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.access.role_context",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=60)
    if config["ENGINE"].endswith("sqlite3"):
        # Workers write state concurrently: wait for the lock instead of failing, and let readers run.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Login throttling (django-axes, first backend): failures per user name and, apart, per address; hours.
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginThrottleBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT, AXES_LOCKOUT_PARAMETERS = env_int("LOGIN_FAILURE_LIMIT", 5), ["username", "ip_address"]
AXES_COOLOFF_TIME, AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = env_float("LOGIN_LOCKOUT_S", 300.0) / 3600, False
AXES_LOCKOUT_CALLABLE, AXES_RESET_ON_SUCCESS, AXES_VERBOSE = "accounts.views.lockout_response", True, False
AUTH_PASSWORD_VALIDATORS = [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "stream-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Browser libraries come from npm (package.json, `make npm`), served under static/vendor/, never copied in.
# Each app's static/ holds its own CSS and JS (the shared common.js and app.css in dashboard/).
STATICFILES_DIRS = [("vendor/uplot", BASE_DIR / "node_modules" / "uplot" / "dist")]
STATIC_ROOT = VAR_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Redis / Valkey: broker, channel layer, control keys ------------------------------------------
# Empty means "embedded": the launcher (python -m stack) starts Valkey and passes its URL down.
REDIS_URL = env_str("REDIS_URL")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # Longer than channels_redis's 5 s blocking read, or a quiet stream's receive times out.
            "hosts": [{"address": REDIS_URL or "redis://127.0.0.1:1/0", "socket_timeout": 30}],
            # Frames are perishable: a small capacity and short expiry drop stale frames, never queue them.
            "capacity": env_int("CHANNEL_CAPACITY", 20),
            "expiry": 5,
            "group_expiry": 86400,
        },
    },
}

CELERY_BROKER_URL = CELERY_REDBEAT_REDIS_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A stream task runs for days: a worker with no free slot must not reserve the next one while others idle.
CELERY_WORKER_DISABLE_PREFETCH = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "streams"
STREAMS_QUEUE = env_str("STREAMS_QUEUE", "streams")
# Extra queues this host's stream worker consumes, e.g. "gpu" for streams pinned to a GPU host.
WORKER_QUEUES = env_list("WORKER_QUEUES", [])
WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 6)
# The reconciler runs on its own queue, so streams occupying every stream slot never starve it.
CONTROL_QUEUE = env_str("CONTROL_QUEUE", "control")
STREAM_RECONCILE_INTERVAL_S = env_float("STREAM_RECONCILE_INTERVAL_S", 2.0)
CELERY_BEAT_SCHEDULE = {
    "reconcile-streams": {"task": task_names.RECONCILE, "schedule": STREAM_RECONCILE_INTERVAL_S,
                          "options": {"queue": CONTROL_QUEUE, "expires": STREAM_RECONCILE_INTERVAL_S * 2}},
    "prune-stream-events": {"task": task_names.PRUNE_EVENTS, "schedule": 600.0, "options": {"queue": CONTROL_QUEUE}},
}
WORKER_HEARTBEAT_S = 5.0
# One beat per control host; celery-redbeat's Redis lock lets one send, another takes over (docs/operations.md).
CELERY_BEAT_SCHEDULER = "workers.hosting.beat:LeasedScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 1  # also how often a standby beat tries the lock
CELERY_REDBEAT_LOCK_TIMEOUT = env_int("REDBEAT_LOCK_TIMEOUT_S", 5)

# --- Launcher (python -m stack ROLE...; docs/operations.md) ------------------------------------------
NODE_HOST = env_str("NODE_HOST") or socket.gethostname()  # in node names: streams@HOST, control@HOST
WORKER_NAME = env_str("WORKER_NAME")  # the stream worker node; default streams@NODE_HOST
TRITON_LISTEN_HOST = env_str("TRITON_LISTEN_HOST", "127.0.0.1")  # the `triton` role; 0.0.0.0 for other hosts
TRITON_HTTP_PORT, TRITON_METRICS_PORT = env_int("TRITON_HTTP_PORT", 0), env_int("TRITON_METRICS_PORT", 0)
WEB_HOST = env_str("WEB_HOST", "127.0.0.1")
WEB_PORT = env_int("WEB_PORT", 8000)
ADMIN_USERNAME = env_str("DJANGO_SUPERUSER_USERNAME", "admin")
ADMIN_PASSWORD = env_str("DJANGO_SUPERUSER_PASSWORD")
TRITON_VENV = env_path("TRITON_VENV", BASE_DIR / ".venv-triton")
# Each child's log (var/logs/*.log, Triton's, Valkey's) is rotated past LOG_MAX_MB, LOG_KEEP older files kept.
LOG_MAX_MB, LOG_KEEP = env_float("LOG_MAX_MB", 10.0), env_int("LOG_KEEP", 3)

# Prometheus: /metrics for admins and `Authorization: Bearer METRICS_TOKEN`; Triton's relayed at /metrics/triton/
METRICS_TOKEN, TRITON_METRICS_URL = env_str("METRICS_TOKEN"), env_str("TRITON_METRICS_URL")

# --- API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.access.RolePermission"],  # each view declares its roles
    "DEFAULT_PARSER_CLASSES": ["core.api.BoundedJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A service's ValidationError is a 400 with messages per field, in every app's API.
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Stream dashboard API",
    "DESCRIPTION": "Streams, their lifecycle commands and event log, and the worker registry.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models name their choices "kind": one enum name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "StreamEventKindEnum": "streams.models.StreamEvent.Kind",
        "EventRuleKindEnum": "events.models.rules.Rule.Kind",
        "CountKindEnum": "analytics.models.CountBucket.Kind",
    },
}

# --- Logging ---------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # The real stderr: Celery replaces sys.stderr in pool processes with a proxy that drops what loops back.
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.__stderr__"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.channels.server": {"level": "WARNING"}, "daphne": {"level": "WARNING"},
        # The reconciler runs every 2 s: Celery's per-task received/succeeded lines would drown the log.
        "celery.app.trace": {"level": "WARNING"}, "celery.worker.strategy": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # every login at INFO; lockouts are warnings (and in the event log)
    },
}
