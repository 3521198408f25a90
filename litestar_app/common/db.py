"""Database session access outside handlers: middleware, listeners, CLI commands, websockets.

Also the engine and per-request session configuration ``create_app`` registers (pool,
autocommit reads), and :func:`on_commit`, for work that must wait until a transaction is
committed.

Handlers get the request's ``AsyncSession`` as the ``db_session`` dependency from
advanced-alchemy's ``SQLAlchemyPlugin``; code that is not a handler reaches the same
configuration through the app's plugin registry.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any, Final

from advanced_alchemy.extensions.litestar import (
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from collections.abc import Callable

    from litestar import Litestar
    from litestar.connection import ASGIConnection
    from litestar.datastructures import State
    from litestar.types import Scope
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from config.settings import Settings

logger = logging.getLogger("items_api.db")

_ON_COMMIT_KEY: Final = "on_commit_callbacks"


POOL_RECYCLE_S: Final = 1800
"""Seconds after which a pooled connection is replaced (idle-connection killers, failovers)."""

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY: Final = "read_only_request"
"""``Session.info`` key: the session of a safe-method request (``RequestSQLAlchemyConfig``)."""


def create_engine_config(settings: Settings) -> EngineConfig:
    """PostgreSQL: a pool with room for every request a worker serves at once.

    SQLAlchemy's default pool (5 + 10 overflow) closes each overflow connection when it is
    returned, so past 5 concurrent requests every request paid a fresh connect (TLS probe,
    auth, startup) under ``make bench``. No pre-ping by default (``DB_POOL_PRE_PING``): on
    asyncpg it costs three round trips per checkout (BEGIN, ``;``, ROLLBACK). Dropped
    connections are recovered without it: the first query on one fails as a disconnect,
    SQLAlchemy then invalidates every connection of the pool older than that moment, and that
    request answers 503 (the fault suite's PostgreSQL restart test proves the recovery);
    ``pool_recycle`` bounds a connection's age. SQLite has no server to lose.
    """
    if not settings.is_postgres:
        # One writer: a burst of writes queues on the lock up to SQLITE_BUSY_TIMEOUT_S (15 s; the
        # sqlite3 default, 5 s, failed bursts under load), then the request answers 503. WAL
        # (``_sqlite_wal``): readers never block a writer's commit.
        return EngineConfig(connect_args={"timeout": settings.sqlite_busy_timeout_s})
    return EngineConfig(
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=POOL_RECYCLE_S,
        pool_size=settings.db_pool_size,
        max_overflow=10,
    )


@event.listens_for(Engine, "connect")
def _sqlite_wal(dbapi_connection: Any, _record: object) -> None:
    """Every SQLite connection in WAL mode: in the default rollback journal one open read
    (e.g. an abandoned cursor) held every commit back until the busy timeout."""
    if "sqlite" in type(dbapi_connection).__module__:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@functools.cache
def _autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool) with connections in autocommit mode."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class RequestSQLAlchemyConfig(SQLAlchemyAsyncConfig):
    """A GET/HEAD/OPTIONS request's session reads without a transaction (PostgreSQL).

    Its connection is in autocommit mode, so the reads cost no ``BEGIN``/``COMMIT`` round
    trips (like Django's autocommit reads); every other request keeps one transaction that
    the before-send handler commits or rolls back.
    """

    def provide_session(self, state: State, scope: Scope) -> AsyncSession:
        session = super().provide_session(state, scope)
        if scope.get("method") in SAFE_METHODS and not session.info.get(READ_ONLY):
            # the first call of the request: the session has not touched the database yet
            session.info[READ_ONLY] = True
            session.bind = _autocommit(self.get_engine())
            session.sync_session.bind = session.bind.sync_engine
        return session


def sqlalchemy_config(app: Litestar) -> SQLAlchemyAsyncConfig:
    """The app's advanced-alchemy config (state keys are made unique per app instance)."""
    config = app.plugins.get(SQLAlchemyPlugin).config[0]
    assert isinstance(config, SQLAlchemyAsyncConfig)
    return config


def db_session(connection: ASGIConnection[Any, Any, Any, Any]) -> AsyncSession:
    """The request's SQLAlchemy session (the same one handlers get as ``db_session``)."""
    config = sqlalchemy_config(connection.app)
    return config.provide_session(connection.app.state, connection.scope)


def session_maker(app: Litestar) -> async_sessionmaker[AsyncSession]:
    """A factory of sessions of their own (listeners, websocket frames, streams)."""
    maker: async_sessionmaker[AsyncSession] = app.state[
        sqlalchemy_config(app).session_maker_app_state_key
    ]
    return maker


def on_commit(session: AsyncSession, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the session's transaction has committed; drop it on rollback.

    SQLAlchemy's twin of Django's ``transaction.on_commit``: a service can announce a change
    (emit a domain event) without another session seeing rows that are not committed yet,
    whoever commits (the request's ``autocommit`` hook, a CLI command, a test).
    """
    session.sync_session.info.setdefault(_ON_COMMIT_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    for callback in session.info.pop(_ON_COMMIT_KEY, []):
        try:
            callback()
        except Exception:  # the data is committed; a failed announcement must not undo that
            logger.exception("on_commit callback %r failed", callback)


@event.listens_for(Session, "after_rollback")
def _drop_on_commit(session: Session) -> None:
    session.info.pop(_ON_COMMIT_KEY, None)
