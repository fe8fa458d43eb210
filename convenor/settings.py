"""Django settings, read from environment variables through strict helpers.

Development needs no variables at all: SQLite under var/, the in-memory channel layer, console
email, DEBUG on. CONVENOR_PRODUCTION=1 turns DEBUG off, requires a real secret key and host list,
and switches on every transport-security setting that `manage.py check --deploy` asks for.
A malformed value stops the process at start with a message naming the variable.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything but 1/0/true/false/yes/no/on/off is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value (use 1 or 0, true or false).")


def env_int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """Read a whole number within [minimum, maximum]."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={value} is outside {minimum}..{maximum}.")
    return value


def env_str(name: str, default: str) -> str:
    """Read a string; surrounding whitespace is dropped."""
    return os.environ.get(name, default).strip()


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; empty items are an error (usually a stray comma)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name}={raw!r} has an empty item; separate values by commas.")
    return items


PRODUCTION = env_bool("CONVENOR_PRODUCTION", False)
DEBUG = env_bool("CONVENOR_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("CONVENOR_DEBUG must be off when CONVENOR_PRODUCTION=1.")

# The prefix makes `check --deploy` flag this key if it ever reaches a deployment.
_DEV_SECRET_KEY = "django-insecure-convenor-development-key-not-for-any-deployment"  # noqa: S105
SECRET_KEY = env_str("CONVENOR_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CONVENOR_SECRET_KEY is required when DEBUG is off; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("CONVENOR_SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list(
    "CONVENOR_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("CONVENOR_ALLOWED_HOSTS is required when CONVENOR_PRODUCTION=1.")
CSRF_TRUSTED_ORIGINS = env_list("CONVENOR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "convenor.accounts",
    "convenor.programmes",
    "convenor.workshops",
    "convenor.live",
    "convenor.activities",
    "convenor.boards",
    "convenor.purpose",
    "convenor.reflections",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files (which WhiteNoise answers early) carry the policy too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "convenor.urls"
ASGI_APPLICATION = "convenor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = BASE_DIR / "var" / "convenor.sqlite3"
_database_url = env_str("DATABASE_URL", f"sqlite:///{_default_sqlite}")
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=0, conn_health_checks=True)
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {error}") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    if _database["NAME"] == str(_default_sqlite):
        _default_sqlite.parent.mkdir(exist_ok=True)
    # Write transactions take the lock up front so concurrent writers queue instead of failing
    # with "database is locked" halfway through; WAL lets readers run alongside the writer.
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES: dict[str, dict[str, Any]] = {"default": dict(_database)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis://, rediss://.")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    # Shared by every ASGI process, so throttles count across the whole deployment.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "convenor",
        }
    }
else:
    # Channels' in-memory layer, with its expiry sweep run at most once a second.
    CHANNEL_LAYERS = {"default": {"BACKEND": "convenor.live.layers.SweepingInMemoryChannelLayer"}}
    # One process only (SQLite deployments), so a process-local cache is the whole truth.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "programmes:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3
# Failed sign-ins allowed per (email, client address) within the window, see accounts.throttle.
LOGIN_FAILURE_LIMIT = env_int("CONVENOR_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
LOGIN_FAILURE_WINDOW_SECONDS = env_int(
    "CONVENOR_LOGIN_FAILURE_WINDOW", 15 * 60, minimum=60, maximum=24 * 3600
)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# htmx reads the token from the page (hx-headers on <body>), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "convenor.views.csrf_failure"

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("CONVENOR_FROM_EMAIL", "Convenor <convenor@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_host = env_str("EMAIL_HOST", "")
if _email_host:
    _use_tls = env_bool("EMAIL_USE_TLS", True)
    _use_ssl = env_bool("EMAIL_USE_SSL", False)
    if _use_tls and _use_ssl:
        raise ImproperlyConfigured("Set only one of EMAIL_USE_TLS and EMAIL_USE_SSL.")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 587, minimum=1, maximum=65535),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": _use_tls,
                "use_ssl": _use_ssl,
                "timeout": 20,
            },
        }
    }
elif PRODUCTION:
    raise ImproperlyConfigured(
        "EMAIL_HOST is required when CONVENOR_PRODUCTION=1 (password resets are sent by email); "
        "also set EMAIL_PORT, EMAIL_HOST_USER and EMAIL_HOST_PASSWORD as your provider needs."
    )
else:
    # Development: emails (password resets) are printed where the server runs.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("CONVENOR_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(env_str("CONVENOR_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production serves hashed, compressed files from collectstatic's output; development
        # and tests read the app folders directly so no collectstatic step is needed.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security headers -----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("CONVENOR_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int(
        "CONVENOR_HSTS_SECONDS", 365 * 24 * 3600, minimum=0, maximum=2 * 365 * 24 * 3600
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CONVENOR_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("CONVENOR_HSTS_PRELOAD", True)
    # Behind a TLS-terminating proxy the app sees plain HTTP; trust the proxy's header only
    # when the operator says the proxy sets it (otherwise a client could forge it).
    if env_bool("CONVENOR_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CONVENOR_LOG_LEVEL", "INFO").upper()},
}
