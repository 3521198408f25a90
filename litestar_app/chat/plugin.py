"""The chat feature packaged for the framework: a Litestar ``InitPluginProtocol`` plugin.

``ChatPlugin`` (like ``ItemsPlugin``) registers the API router (``/api/v1``), the websocket
routes, the page, the admin views, the ticket store (a dependency) and the pub/sub its
broadcasts go through: a ``ChannelsPlugin`` on ``MemoryChannelsBackend`` in embedded mode,
on ``RedisChannelsPubSubBackend`` when the app has a Redis client (every process of the
app then sees every message). It is given what it needs, the settings and the app's one
Redis client (``common.stores``), by ``create_app``. The Django twin is ``chat/apps.py``
(``ChatConfig`` in ``INSTALLED_APPS``, ``CHANNEL_LAYERS`` in settings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqladmin_litestar_plugin import SQLAdminPlugin

from chat.admin import ADMIN_VIEWS
from chat.routing import websocket_router
from chat.schemas import ErrorFrame
from chat.services import TICKETS_PER_USER
from chat.urls import api_router, page_handlers
from common.stores import MemoryTicketStore, RedisTicketStore, TicketStore
from compat.channels import SupervisedChannelsPlugin
from config.settings import BASE_DIR

if TYPE_CHECKING:
    from litestar.config.app import AppConfig
    from redis.asyncio import Redis

    from config.settings import Settings

LAGGING: Final = "Messages were dropped because this connection fell behind; reload the history."


def channels_plugin(redis: Redis | None, send_backlog: int = 100) -> SupervisedChannelsPlugin:
    """The app's pub/sub: in memory (embedded) or Redis (every process of the app).

    ``send_backlog`` (``WS_SEND_BACKLOG``) broadcasts wait per connection; past it a client
    that does not keep up misses broadcasts (instead of holding up the room) and gets one
    ``lagging`` error frame per gap, where they are missing.
    """
    backend: RedisChannelsPubSubBackend | MemoryChannelsBackend = (
        RedisChannelsPubSubBackend(redis=redis) if redis is not None else MemoryChannelsBackend()
    )
    return SupervisedChannelsPlugin(
        backend,
        lag_event=msgspec.json.encode(ErrorFrame(code="lagging", detail=LAGGING)),
        arbitrary_channels_allowed=True,  # one channel per room, created on first join
        subscriber_max_backlog=send_backlog,
        subscriber_backlog_strategy="backoff",
    )


class ChatPlugin(InitPluginProtocol):
    """Routes, websocket routes, page, admin views, ticket store and pub/sub of chat."""

    def __init__(self, settings: Settings, redis: Redis | None) -> None:
        self.tickets: TicketStore = (
            RedisTicketStore(redis, settings.channels_prefix, TICKETS_PER_USER)
            if redis is not None
            else MemoryTicketStore(TICKETS_PER_USER)
        )
        self.channels = channels_plugin(redis, settings.ws_send_backlog)

    def provide_ticket_store(self) -> TicketStore:
        """Dependency ``ticket_store``: Redis (shared by the app's processes) or memory."""
        return self.tickets

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend([api_router, websocket_router, *page_handlers])
        app_config.dependencies["ticket_store"] = Provide(
            self.provide_ticket_store, sync_to_thread=False
        )
        # Appended plugins still get their on_app_init (Litestar iterates the live list).
        app_config.plugins.append(self.channels)
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
