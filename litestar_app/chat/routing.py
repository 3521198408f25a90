"""Websocket routes of the chat feature.

One ``Router`` layer carries what every websocket route shares: the Origin guard, the
frame size limit (1009) and the exemption from the HTTP authentication middleware (the
chat route authenticates with its ticket; the echo is public). ``ChatPlugin`` mounts it.
"""

from litestar import Router

from chat.consumers import FrameSizeLimitMiddleware, chat_room, echo

websocket_router = Router(
    path="/",
    route_handlers=[echo, chat_room],
    middleware=[FrameSizeLimitMiddleware()],
    # The session/JWT middleware would demand CSRF on a cookie-carrying handshake (it has
    # no "safe" method); websocket routes authenticate themselves.
    opt={"exclude_from_auth": True},
    include_in_schema=False,
)
