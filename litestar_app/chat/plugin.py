"""The chat feature packaged for the framework: a Litestar ``InitPluginProtocol`` plugin.

``ChatPlugin`` (like ``ItemsPlugin``) registers the API router (``/api/v1``), the websocket
routes, the page, the admin views and a lifespan that creates the ticket store. The
pub/sub it relies on is the ``ChannelsPlugin`` built by ``chat.channels.channels_plugin``,
which ``config/asgi.py`` lists next to it (the Django twin is ``chat/apps.py``:
``ChatConfig`` in ``INSTALLED_APPS``, ``CHANNEL_LAYERS`` in settings).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqladmin_litestar_plugin import SQLAdminPlugin

from chat.admin import ADMIN_VIEWS
from chat.routing import websocket_router
from chat.services import MemoryTicketStore, RedisTicketStore
from chat.urls import api_router, page_handlers
from config.settings import BASE_DIR

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from litestar.config.app import AppConfig

    from config.settings import Settings


@asynccontextmanager
async def chat_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Create the ticket store: Redis (shared by the app's processes) or process memory."""
    settings: Settings = app.state.settings
    redis = app.state.get("redis")
    app.state.chat_tickets = (
        RedisTicketStore(redis, settings.channels_prefix)
        if redis is not None
        else MemoryTicketStore()
    )
    yield


class ChatPlugin(InitPluginProtocol):
    """Routes, websocket routes, page, admin views and ticket store of the chat feature."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend([api_router, websocket_router, *page_handlers])
        app_config.lifespan.append(chat_lifespan)
        if app_config.template_config is None:  # ItemsPlugin may have set it already
            app_config.template_config = TemplateConfig(
                directory=BASE_DIR / "templates", engine=JinjaTemplateEngine
            )
        # Admin views join the SQLAdmin app the users feature mounts (if it is installed).
        for plugin in app_config.plugins:
            if isinstance(plugin, SQLAdminPlugin):
                for view in ADMIN_VIEWS:
                    plugin.admin.add_view(view)
        return app_config
