"""Settings read from the environment (one vocabulary for both apps).

Every value comes from an environment variable with a development default, so the same
variables configure both apps (12-factor): a fresh checkout runs on an embedded SQLite file
without Redis, and production only sets ``DATABASE_URL`` / ``REDIS_URL`` / ``SECRET_KEY``.
``Settings.from_env()`` is called once, by ``config.asgi.create_app``; tests build their own
``Settings`` instead of patching globals.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from litestar.exceptions import ImproperlyConfiguredException
from sqlalchemy.engine import make_url

BASE_DIR = Path(__file__).resolve().parent.parent
"""The app folder: relative SQLite paths are resolved against it."""


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean variable: "1", "true", "yes" and "on" (any case) mean true."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> tuple[str, ...]:
    """Read a comma-separated variable into a tuple, dropping blanks."""
    return tuple(item.strip() for item in os.environ.get(name, default).split(",") if item.strip())


DEFAULT_SECRET_KEY = "insecure-dev-secret-change-me-0123456789abcdef"

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def _channels_prefix(value: str) -> str:
    """``CHANNELS_PREFIX``: it ends up in Redis channel and key names, so keep it plain."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", value):
        raise ValueError("CHANNELS_PREFIX must be 1-40 characters: letters, digits, '-', '_', '.'")
    return value


def to_async_database_url(url: str, base_dir: Path = BASE_DIR) -> str:
    """Map ``sqlite://`` / ``postgresql://`` onto their async drivers (SQLAlchemy's asyncio API).

    A relative SQLite path (``sqlite:///var/db.sqlite3``) is resolved against the app
    folder, and the file's directory is created if missing so a fresh checkout just runs.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgres":  # Heroku-style alias
        backend = "postgresql"
    if backend not in _ASYNC_DRIVERS:
        return url
    parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = base_dir / parsed.database  # an absolute path replaces base_dir
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed = parsed.set(database=str(path))
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Immutable application settings; build one with :meth:`from_env`."""

    app_name: str = "items-api"
    app_env: str = "development"
    """``production`` makes :meth:`production_problems` fatal at startup (``APP_ENV``)."""
    debug: bool = False
    secret_key: str = DEFAULT_SECRET_KEY
    database_url: str = field(
        default_factory=lambda: to_async_database_url("sqlite:///var/db.sqlite3")
    )
    """Async SQLAlchemy URL (already converted by :func:`to_async_database_url`)."""
    redis_url: str = ""
    """Empty means "no Redis": everything stays in memory."""
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "testserver")
    cors_origins: tuple[str, ...] = ()
    csrf_trusted_origins: tuple[str, ...] = ()
    """Origins besides this host allowed to send session writes (``CSRF_TRUSTED_ORIGINS``)."""
    enable_test_routes: bool = False
    log_level: str = "INFO"
    log_format: str = "console"
    """``console`` (readable text, development) or ``json`` (production) (``LOG_FORMAT``)."""
    access_token_ttl: int = 900
    """Seconds an access token lives (``ACCESS_TOKEN_TTL``)."""
    token_rate_limit: str = "20/minute"
    """``<n>/<second|minute|hour>`` per client IP on the token endpoint."""
    jwt_issuer: str = "items-api"
    jwt_audience: str = "items-api"
    page_size_default: int = 20
    """Default ``limit`` of list endpoints (``PAGE_SIZE_DEFAULT``)."""
    upload_dir: Path = BASE_DIR / "var" / "uploads"
    """Where attachments are stored, by generated name (``UPLOAD_DIR``)."""
    upload_max_bytes: int = 5 * 1024 * 1024
    """Largest accepted attachment (``UPLOAD_MAX_BYTES``); a whole upload is <= 6 MiB."""
    db_pool_size: int = 20
    """Connections kept in the PostgreSQL pool (``DB_POOL_SIZE``), plus 10 overflow."""
    db_pool_pre_ping: bool = False
    """Test each pooled PostgreSQL connection before use (``DB_POOL_PRE_PING``)."""
    sqlite_busy_timeout_s: float = 15.0
    """Seconds a write waits for SQLite's lock before the request answers 503."""
    password_hashing: str = "default"
    """``fast`` (test servers only, refused in production): argon2id at its lowest cost
    (``PASSWORD_HASHING``, read by users/hashing.py at import)."""
    channels_prefix: str = "chat"
    """Prefix of every pub/sub channel name in Redis (``CHANNELS_PREFIX``)."""
    ws_max_message_bytes: int = 16384
    """Largest websocket frame accepted; larger ones close with 1009 (``WS_MAX_MESSAGE_BYTES``)."""
    ws_ticket_ttl: int = 30
    """Seconds a websocket ticket stays valid (``WS_TICKET_TTL``)."""
    ws_broadcast_timeout: float = 1.5
    """Upper bound in seconds for one chat broadcast (``WS_BROADCAST_TIMEOUT``)."""
    ws_send_backlog: int = 100
    """Broadcasts queued per connection; past it the connection gets a ``lagging`` frame."""

    @classmethod
    def from_env(cls) -> Self:
        """Read every setting from ``os.environ`` (see the table in README.md)."""
        settings = cls(
            app_name=os.environ.get("APP_NAME", "items-api"),
            app_env=os.environ.get("APP_ENV", "development").strip().lower(),
            debug=env_bool("DEBUG"),
            secret_key=os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
            database_url=to_async_database_url(
                os.environ.get("DATABASE_URL", "sqlite:///var/db.sqlite3")
            ),
            redis_url=os.environ.get("REDIS_URL", "").strip(),
            allowed_hosts=env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver"),
            cors_origins=env_list("CORS_ORIGINS"),
            csrf_trusted_origins=env_list("CSRF_TRUSTED_ORIGINS"),
            enable_test_routes=env_bool("ENABLE_TEST_ROUTES"),
            log_level=os.environ.get("LOG_LEVEL", "INFO").upper(),
            log_format=os.environ.get("LOG_FORMAT", "console").strip().lower(),
            access_token_ttl=int(os.environ.get("ACCESS_TOKEN_TTL", "900")),
            token_rate_limit=os.environ.get("TOKEN_RATE_LIMIT", "20/minute"),
            jwt_issuer=os.environ.get("JWT_ISSUER", "items-api"),
            jwt_audience=os.environ.get("JWT_AUDIENCE", "items-api"),
            page_size_default=int(os.environ.get("PAGE_SIZE_DEFAULT", "20")),
            upload_dir=BASE_DIR / os.environ.get("UPLOAD_DIR", "var/uploads"),
            upload_max_bytes=int(os.environ.get("UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))),
            db_pool_size=int(os.environ.get("DB_POOL_SIZE", "20")),
            db_pool_pre_ping=env_bool("DB_POOL_PRE_PING", default=False),
            sqlite_busy_timeout_s=float(os.environ.get("SQLITE_BUSY_TIMEOUT_S", "15")),
            password_hashing=os.environ.get("PASSWORD_HASHING", "default").strip().lower()
            or "default",
            channels_prefix=_channels_prefix(os.environ.get("CHANNELS_PREFIX", "chat")),
            ws_max_message_bytes=int(os.environ.get("WS_MAX_MESSAGE_BYTES", "16384")),
            ws_ticket_ttl=int(os.environ.get("WS_TICKET_TTL", "30")),
            ws_broadcast_timeout=float(os.environ.get("WS_BROADCAST_TIMEOUT", "1.5")),
            ws_send_backlog=int(os.environ.get("WS_SEND_BACKLOG", "100")),
        )
        settings.check()
        return settings

    def production_problems(self) -> list[str]:
        """Why these settings must not serve production traffic (empty when they may).

        Litestar has no deployment checklist; :meth:`check` makes them fatal instead.
        """
        problems = []
        if self.debug:
            problems.append("DEBUG must be off")
        if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 50:
            problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
        if not self.allowed_hosts or "*" in self.allowed_hosts:
            problems.append("ALLOWED_HOSTS must list the served host names (no '*')")
        if any("*" in origin for origin in self.cors_origins):
            problems.append("CORS_ORIGINS must list exact origins (no '*')")
        if self.enable_test_routes:
            problems.append("ENABLE_TEST_ROUTES must be off")
        if self.password_hashing != "default":
            problems.append("PASSWORD_HASHING=fast is for tests only (cheapest argon2id)")
        return problems

    def check(self) -> None:
        """Refuse production settings that are unsafe (``APP_ENV=production`` only).

        Called by :meth:`from_env` and by ``create_app``, so neither the process nor an app
        built from hand-made settings starts with them.
        """
        if self.password_hashing not in {"default", "fast"}:
            raise ImproperlyConfiguredException(
                f"PASSWORD_HASHING must be 'default' or 'fast', not {self.password_hashing!r}"
            )
        if self.app_env == "production" and (problems := self.production_problems()):
            raise ImproperlyConfiguredException(
                "unsafe production settings: " + "; ".join(problems)
            )

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")
