"""Routes of the items feature.

``api_router`` is mounted under ``/api/v1`` and ``page_handlers`` at the root, both by
``ItemsPlugin`` (items/plugin.py). The router is the layer that provides ``page_size``
(``common.pagination``).
"""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from common.pagination import provide_page_size
from items.api import AttachmentController, ItemController
from items.pages import ItemFormPages, ItemPages

api_router = Router(
    path="/api/v1",
    route_handlers=[ItemController, AttachmentController],
    dependencies={"page_size": Provide(provide_page_size)},
)

page_handlers: list[ControllerRouterHandler] = [ItemPages, ItemFormPages]
