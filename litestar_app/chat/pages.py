"""HTML page: the chat room (template + static ``chat.js``), outside ``/api``.

Unlike the items page it is rendered for anonymous visitors too: the page itself shows a
login form that posts to ``/auth/login`` (CSRF cookie + header), then opens the room over
the websocket protocol. Jinja (``TemplateConfig`` in ``ItemsPlugin``) renders it; the
static files are served by the items feature's ``/static`` router. Not part of the API
schema.
"""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from compat.headers import CacheControl


@get(
    "/chat",
    name="chat-page",
    include_in_schema=False,
    cache_control=CacheControl(private=True, no_store=True),
)
async def chat_page() -> Template:
    """The room named by ``?room=`` (default ``lobby``); chat.js does the rest."""
    return Template("chat/room.html")
