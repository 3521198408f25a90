"""Settings read from the environment (one vocabulary for both apps).

Every value comes from an environment variable with a development default, so the same
variables configure both apps (12-factor): a fresh checkout runs on an embedded SQLite file
without Redis, and production only sets ``DATABASE_URL`` / ``REDIS_URL`` / ``SECRET_KEY``.
Django reads this module once, at start-up.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from common.logging import configure_structlog, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
"""The app folder: relative SQLite paths are resolved against it."""


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean variable: "1", "true", "yes" and "on" (any case) mean true."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated variable into a list, dropping blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEFAULT_SECRET_KEY = "insecure-dev-secret-change-me-0123456789abcdef"


def _channels_prefix(value: str) -> str:
    """``CHANNELS_PREFIX``: it ends up in Redis channel and key names, so keep it plain."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", value):
        raise ValueError("CHANNELS_PREFIX must be 1-40 characters: letters, digits, '-', '_', '.'")
    return value


# --- Core ---------------------------------------------------------------------------------

APP_NAME = os.environ.get("APP_NAME", "items-api")
DEBUG = env_bool("DEBUG")
# APP_ENV=production turns on the deployment checklist below (and refuses unsafe values).
APP_ENV = os.environ.get("APP_ENV", "development").strip().lower()
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
ENABLE_TEST_ROUTES = env_bool("ENABLE_TEST_ROUTES")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "users",
    "items.apps.ItemsConfig",
    "chat.apps.ChatConfig",
    "django_tasks_db",
]

MIDDLEWARE = [
    # Outermost: one access line per request, its duration covering every other layer.
    "common.logging.AccessLogMiddleware",
    "common.middleware.ProcessTimeMiddleware",
    "common.middleware.RequestIdMiddleware",
    # Cache-Control: no-store on API responses unless a view set its own (layered config).
    "compat.headers.CacheControlMiddleware",
    # X-Content-Type-Options and Referrer-Policy.
    "django.middleware.security.SecurityMiddleware",
    # X-Frame-Options; above WhiteNoise so that static files carry it too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Odd paths (404) and a missing or foreign Host (400) first; chunked bodies get a length.
    "compat.edges.EdgeMiddleware",
    # django-cors-headers (preflight 204 / 403 problem): as high as possible, before anything
    # that can answer on its own (WhiteNoise, CommonMiddleware), as its README says.
    "compat.edges.CorsMiddleware",
    # Static files: WhiteNoise (OPTIONS 204 and 405 problems for other methods).
    "compat.edges.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///var/db.sqlite3")
SQLITE_BUSY_TIMEOUT_S = float(os.environ.get("SQLITE_BUSY_TIMEOUT_S", "15"))
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        # A relative path is resolved against BASE_DIR; an absolute one replaces it.
        _sqlite_path = BASE_DIR / str(DATABASES["default"]["NAME"])
        _sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        DATABASES["default"]["NAME"] = str(_sqlite_path)
    # One writer: a burst of writes queues on the lock up to SQLITE_BUSY_TIMEOUT_S (15 s; the
    # sqlite3 default, 5 s, failed bursts under load), then the request answers 503. WAL:
    # readers never block a writer's commit (in the default rollback journal one open read,
    # e.g. an abandoned cursor, held every commit back until the busy timeout).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=SQLITE_BUSY_TIMEOUT_S, init_command="PRAGMA journal_mode=WAL"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Bound connection attempts so /health and requests fail fast while PostgreSQL is down.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    # psycopg's connection pool, as Django recommends under ASGI: persistent connections
    # (CONN_MAX_AGE) are per thread, and ASGI runs each request's sync code in a thread of
    # its own, so they piled up until PostgreSQL refused clients ("too many clients" -> 503
    # under `make bench`). ``check`` tests a connection before handing it out (a restarted
    # server's dead connections are replaced); ``timeout`` bounds the wait while it is down.
    from psycopg_pool import ConnectionPool

    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool replaces persistent connections
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 2,
        # A burst waits for a connection instead of failing: 20 connections, 5 s wait (50
        # concurrent registrations queue, measured); past the wait PoolTimeout -> 503.
        "max_size": int(os.environ.get("DB_POOL_SIZE", "20")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5")),
        "check": ConnectionPool.check_connection,
    }

# Background jobs (django.tasks): the welcome e-mail delivery (users.tasks). On PostgreSQL the
# django-tasks-db backend keeps the queue in the database and `manage.py outbox_worker` runs
# it (a process of its own); embedded mode runs each job in process right after the commit.
TASKS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django_tasks_db.DatabaseBackend"
            if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
            else "django.tasks.backends.immediate.ImmediateBackend",
        ),
    },
}
# The mail transport of the outbox worker (a real deployment sets an SMTP backend).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "items-api@example.com")

AUTH_USER_MODEL = "users.User"
# argon2id first (Django's docs recommend Argon2; the parameters in users/hashing.py). The
# stock Argon2 hasher is left out: hashers are looked up by algorithm name, the last one
# listed wins, and its parameters would rehash every password at each login.
# PASSWORD_HASHING=fast is for test servers only (the contract suite's): MD5 first, Django's
# advice for fast tests; the other hashers stay listed so existing hashes still verify.
# Refused with APP_ENV=production.
PASSWORD_HASHING = os.environ.get("PASSWORD_HASHING", "default").strip().lower() or "default"
if PASSWORD_HASHING not in {"default", "fast"}:
    raise ImproperlyConfigured(
        f"PASSWORD_HASHING must be 'default' or 'fast', not {PASSWORD_HASHING!r}"
    )
PASSWORD_HASHERS = [
    *(["django.contrib.auth.hashers.MD5PasswordHasher"] if PASSWORD_HASHING == "fast" else []),
    "users.hashing.Argon2idPasswordHasher",
    *(h for h in global_settings.PASSWORD_HASHERS if not h.endswith(".Argon2PasswordHasher")),
]
# The username is unique case-insensitively (a UniqueConstraint on Lower("username"), which
# is stricter than unique=True); Django's check only recognises a plain unique column.
SILENCED_SYSTEM_CHECKS = ["auth.E003"]

REDIS_URL = os.environ.get("REDIS_URL", "")
# A dead Redis must never hang a request: every client gets short socket timeouts.
REDIS_SOCKET_TIMEOUT = 1.0

# Prefix of every pub/sub channel and group name (Redis pub/sub ignores the database index,
# so two deployments sharing one Redis need different prefixes).
CHANNELS_PREFIX = _channels_prefix(os.environ.get("CHANNELS_PREFIX", "chat"))

#: Cache alias of tickets and rate-limit counters (``caches[SECURITY_CACHE]``).
SECURITY_CACHE = "security"
# Broadcasts queued per connection; past it the connection gets a ``lagging`` frame.
WS_SEND_BACKLOG = int(os.environ.get("WS_SEND_BACKLOG", "100"))
if REDIS_URL:
    _redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }
    # Redis evicts nothing unless it runs with a maxmemory eviction policy (keep it noeviction).
    CACHES: dict[str, dict[str, Any]] = {"default": _redis_cache, SECURITY_CACHE: _redis_cache}
    # The pub/sub layer reconnects (and re-subscribes) by itself after a Redis outage; the
    # core layer's blocking BLPOP workers do not. A short connect timeout keeps a publish
    # during an outage from hanging (the chat consumer also bounds it: WS_BROADCAST_TIMEOUT).
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {"address": REDIS_URL, "socket_connect_timeout": REDIS_SOCKET_TIMEOUT},
                ],
                "prefix": CHANNELS_PREFIX,
            },
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Security state (tickets, rate-limit counters) must not share a cache users can fill:
        # LocMemCache keeps 300 entries and culls a third when full, so ~350 ticket requests
        # reset the login limit. The database cache (table created by a migration) has a
        # bound no user can reach (tickets are capped per user: chat.services).
        SECURITY_CACHE: {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "security_cache",
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
    }
    # One process: groups live in memory. ``capacity`` bounds each connection's channel; a
    # group_send to a full channel drops the message for that connection only, and reports it.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "compat.channels.ReportingInMemoryChannelLayer",
            "CONFIG": {"capacity": WS_SEND_BACKLOG},
        },
    }

# --- HTTP ---------------------------------------------------------------------------------

# Contract: canonical paths have no trailing slash and we never redirect (a 301 on POST
# loses the body). Routes accept an optional slash instead (``/?`` in their regex).
APPEND_SLASH = False

# Security headers on every response, errors included (contract values made explicit;
# they are also Django's defaults).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"  # Django's default, pinned (decision 21)
X_FRAME_OPTIONS = "DENY"

CORS_ALLOWED_ORIGINS = env_list("CORS_ORIGINS")

USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
# Project-level static files (the pages' CSS/JS); the admin's come from its app directory.
STATICFILES_DIRS = [BASE_DIR / "static"]
# ``manage.py collectstatic`` copies (and compresses) everything here; the Dockerfile runs it.
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
# Served by whitenoise under uvicorn (no web server in front). Plain names, not hashed ones:
# the contract pins ``/static/items.css`` in the page.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Also serve straight from the finders, so a checkout (tests, `make run-django`) works
# without a collectstatic step; files are indexed once at start-up (no autorefresh).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
# No ``Access-Control-Allow-Origin: *`` on static files: CORS stays django-cors-headers' job.
WHITENOISE_ALLOW_ALL_ORIGINS = False

# --- Users, auth and security -------------------------------------------------------------

ACCESS_TOKEN_TTL = int(os.environ.get("ACCESS_TOKEN_TTL", "900"))
TOKEN_RATE_LIMIT = os.environ.get("TOKEN_RATE_LIMIT", "20/minute")
JWT_ISSUER = os.environ.get("JWT_ISSUER", "items-api")
JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "items-api")

# Flat claims shared with the Litestar app: sub, iat, exp, iss, aud, jti, type="access".
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_TTL),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUDIENCE": JWT_AUDIENCE,
    "ISSUER": JWT_ISSUER,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "type",
    "JTI_CLAIM": "jti",
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
    "UPDATE_LAST_LOGIN": False,
}

SESSION_COOKIE_NAME = "sessionid"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_NAME = "csrftoken"
# Origins besides this host allowed to send session writes (the CSRF Origin/Referer check).
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_HEADER_NAME = "HTTP_X_CSRFTOKEN"
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF cookie is not a credential (it only proves same-origin), so it is not Secure-only.
CSRF_FAILURE_VIEW = "compat.sessions.csrf_failure"
# Sessions live in Redis (through the cache) when there is one, like the rate-limit counters.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cache" if REDIS_URL else "django.contrib.sessions.backends.db"
)

# --- DRF and OpenAPI ----------------------------------------------------------------------

# JSON bodies over 1 MiB -> RequestDataTooBig -> 413 problem+json (compat.problems).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# More query/form fields than this -> TooManyFieldsSent -> 400 (Django's default, pinned by
# the contract; the Litestar app has a guard with the same limit).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

REST_FRAMEWORK = {
    # A JSON API: no browsable API, no form parsing on API views.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser, enforcing DATA_UPLOAD_MAX_MEMORY_SIZE (413 over 1 MiB).
    "DEFAULT_PARSER_CLASSES": ["compat.validation.JSONParser"],
    # JSON endpoints ignore Accept (contract #12): never 406, always the JSON renderer.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "compat.views.IgnoreAcceptContentNegotiation",
    # Bearer JWT first: DRF takes WWW-Authenticate (and so 401 rather than 403) from the
    # first class. Session auth second; DRF enforces CSRF for session-authenticated writes.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.auth.JWTAuthentication",
        "users.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_RATES": {"token": TOKEN_RATE_LIMIT},
    "DEFAULT_SCHEMA_CLASS": "compat.schema.ContractAutoSchema",
    "EXCEPTION_HANDLER": "compat.problems.problem_exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Items API",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,
    # The schema and docs routes document nothing about the API itself.
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs UIs load their JS/CSS from drf-spectacular-sidecar's static files (pinned,
    # offline) instead of a CDN; templates/drf_spectacular/redoc.html drops Google Fonts.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["compat.schema.strip_optional_trailing_slash"],
    # The default enum hook, then error responses as application/problem+json.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "compat.schema.problem_media_type",
    ],
}

# --- Logging ------------------------------------------------------------------------------

# structlog over the standard library: LOG_FORMAT=console (readable, default) or json.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "console").strip().lower()
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
configure_structlog()

# --- Items --------------------------------------------------------------------------------

PAGE_SIZE_DEFAULT = int(os.environ.get("PAGE_SIZE_DEFAULT", "20"))
# Attachments are stored under UPLOAD_DIR by a generated name (relative = this app folder).
UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", "var/uploads"))
if not UPLOAD_DIR.is_absolute():
    UPLOAD_DIR = BASE_DIR / UPLOAD_DIR
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
UPLOAD_MAX_REQUEST_BYTES = 6 * 1024 * 1024

# --- Chat ---------------------------------------------------------------------------------

# Text frames over this many UTF-8 bytes close the websocket with 1009 (message too big).
WS_MAX_MESSAGE_BYTES = int(os.environ.get("WS_MAX_MESSAGE_BYTES", "16384"))
# Lifetime of a single-use websocket ticket (POST /api/v1/chat/tickets), in seconds.
WS_TICKET_TTL = int(os.environ.get("WS_TICKET_TTL", "30"))
# Upper bound for one broadcast (group_send); past it the sender gets an "unavailable" frame.
WS_BROADCAST_TIMEOUT = float(os.environ.get("WS_BROADCAST_TIMEOUT", "1.5"))

# --- Production ---------------------------------------------------------------------------


def production_problems() -> list[str]:
    """Why these settings must not serve production traffic (empty when they may).

    ``manage.py check --deploy`` only warns; with APP_ENV=production the process refuses to
    start instead, like the Litestar app's ``Settings.production_problems``.
    """
    problems = []
    if DEBUG:
        problems.append("DEBUG must be off")
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the served host names (no '*')")
    if any("*" in origin for origin in CORS_ALLOWED_ORIGINS):
        problems.append("CORS_ORIGINS must list exact origins (no '*')")
    if ENABLE_TEST_ROUTES:
        problems.append("ENABLE_TEST_ROUTES must be off")
    if PASSWORD_HASHING != "default":
        problems.append("PASSWORD_HASHING=fast is for tests only (MD5)")
    return problems


if APP_ENV == "production":
    if _problems := production_problems():
        raise ImproperlyConfigured("unsafe production settings: " + "; ".join(_problems))
    # TLS terminates at the proxy, which sets X-Forwarded-Proto; /health stays plain http for
    # the load balancer's probe.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_COOKIE_SECURE = True
