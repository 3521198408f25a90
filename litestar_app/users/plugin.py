"""The users feature packaged for the framework: a Litestar ``InitPluginProtocol`` plugin.

``UsersPlugin`` (like ``ItemsPlugin`` and ``ChatPlugin``) registers everything the feature
needs at start-up: the API routes (``/api/v1``), the session routes (``/auth/*``), its
middleware (token rate limit, sessions, authentication), the ``user_registered`` listener,
the admin (SQLAdmin at ``/admin``, which the other features add views to) and the ``users``
CLI group. It needs the ``SQLAlchemyPlugin`` (listed before it) and the app's ``sessions``
and ``rate_limit`` stores (``common.stores``). The Django twin is ``users/apps.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar.exceptions import ImproperlyConfiguredException
from litestar.plugins import InitPluginProtocol
from litestar_saq import SAQConfig, SAQPlugin

from common.stores import STORE_NAMES
from users.admin import admin_plugin
from users.commands import UsersCLIPlugin
from users.events import LISTENERS
from users.tasks import queue_config
from users.urls import middleware, session_handlers, users_router

if TYPE_CHECKING:
    from litestar.config.app import AppConfig

    from config.settings import Settings


class UsersPlugin(InitPluginProtocol):
    """Routes, middleware, listeners, admin and CLI commands of the users feature."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        stores = app_config.stores
        missing = [n for n in STORE_NAMES if not isinstance(stores, dict) or n not in stores]
        if missing:
            raise ImproperlyConfiguredException(f"UsersPlugin needs the stores {missing}")
        sqlalchemy = next((p for p in app_config.plugins if isinstance(p, SQLAlchemyPlugin)), None)
        if sqlalchemy is None:
            raise ImproperlyConfiguredException("UsersPlugin needs the SQLAlchemyPlugin first")
        app_config.route_handlers.extend([users_router, *session_handlers])
        app_config.middleware.extend(middleware(self.settings))  # rate limit, sessions, auth
        app_config.listeners.extend(LISTENERS)
        config = sqlalchemy.config[0]
        assert isinstance(config, SQLAlchemyAsyncConfig)
        # Appended plugins still get their on_app_init (Litestar iterates the live list):
        # the admin is mounted, and the features listed after this plugin add their views.
        app_config.plugins.extend(
            [admin_plugin(self.settings, config.get_engine()), UsersCLIPlugin()]
        )
        if (outbox := queue_config(self.settings)) is not None:
            # services mode: welcome e-mails go through SAQ on Redis; its worker process is
            # `litestar --app config.asgi:application workers run` (the app never runs jobs)
            app_config.plugins.append(
                SAQPlugin(SAQConfig(queue_configs=[outbox], use_server_lifespan=False))
            )
        return app_config
