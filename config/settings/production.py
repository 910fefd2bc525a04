"""Production settings: everything of config.settings, plus what `manage.py check --deploy` asks for behind
a TLS-terminating proxy. Select with DJANGO_SETTINGS_MODULE=config.settings.production (deploy/ does).

It refuses to start without an explicit DJANGO_SECRET_KEY (every host must sign alike) and a DATABASE_URL
(several hosts share one PostgreSQL; SQLite under var/ is a single machine's).
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.settings import *  # noqa: F403

if not env_str("DJANGO_SECRET_KEY"):
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (50+ random characters), the same on every host.")
if not env_str("DATABASE_URL"):
    raise ImproperlyConfigured("Set DATABASE_URL, e.g. postgres://user:password@db-host:5432/streamvision.")

DEBUG = False
# The proxy terminates TLS and says so in X-Forwarded-Proto; Django then builds https URLs and secure cookies.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Prometheus scrapes over the private network, with its bearer token, not through the public proxy.
SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^metrics/triton$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS])  # noqa: F405
