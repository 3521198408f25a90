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
from compat.routing import with_head
from items.api import AttachmentController, ItemController
from items.pages import (
    ItemFormPages,
    item_page_redirect,
    items_page,
)

api_router = Router(
    path="/api/v1",
    route_handlers=[ItemController, AttachmentController],
    dependencies={"page_size": Provide(provide_page_size)},
)

# with_head: each page also answers HEAD (Litestar answers 405 unless HEAD is declared).
page_handlers: list[ControllerRouterHandler] = [
    *with_head([items_page, item_page_redirect]),
    ItemFormPages,
]
