"""Routes of the chat feature (HTTP; the websocket routes are in ``chat.routing``).

``api_router`` is mounted under ``/api/v1`` and ``page_handlers`` at the root, both by
``ChatPlugin`` (chat/plugin.py).
"""

from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from chat.api import ChatController
from chat.pages import chat_page
from common.pagination import provide_page_size
from compat.routing import with_head

api_router = Router(
    path="/api/v1",
    route_handlers=[ChatController],
    dependencies={"page_size": Provide(provide_page_size)},
)

page_handlers: list[ControllerRouterHandler] = with_head([chat_page])
