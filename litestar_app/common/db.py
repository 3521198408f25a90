"""Database session access outside handlers: middleware, listeners, CLI commands, websockets.

Also :func:`on_commit`, for work that must wait until a transaction is committed.

Handlers get the request's ``AsyncSession`` as the ``db_session`` dependency from
advanced-alchemy's ``SQLAlchemyPlugin``; code that is not a handler reaches the same
configuration through the app's plugin registry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from sqlalchemy import event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from collections.abc import Callable

    from litestar import Litestar
    from litestar.connection import ASGIConnection
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

logger = logging.getLogger("items_api.db")

_ON_COMMIT_KEY: Final = "on_commit_callbacks"


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
