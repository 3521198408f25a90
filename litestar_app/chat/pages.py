"""HTML page: the chat room (template + static ``chat.js``), outside ``/api``.

The page renders for everyone: ``chat.js`` asks ``/auth/whoami`` and shows a login form
(posting to ``/auth/login`` with the CSRF cookie) when the visitor has no session, then
talks to the chat API and websocket. Not part of the API schema.
"""

from litestar import get
from litestar.response import Template

from common.pages import NO_STORE


@get("/chat", name="chat-page", include_in_schema=False, cache_control=NO_STORE)
async def chat_page() -> Template:
    """The room named by ``?room=`` (default ``lobby``); chat.js does the rest."""
    return Template("chat/room.html")
