"""Database session access outside handlers: middleware, listeners, CLI commands, websockets.

Handlers get the request's ``AsyncSession`` as the ``db_session`` dependency from
advanced-alchemy's ``SQLAlchemyPlugin``; code that is not a handler reaches the same
configuration through the app's plugin registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.connection import ASGIConnection
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


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
