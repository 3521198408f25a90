"""Websocket consumers: the JSON echo and the chat room.

Both endpoints read frames alike: frames over ``WS_MAX_MESSAGE_BYTES`` close with 1009,
binary frames and text that is not interoperable JSON get a ``malformed_json`` error frame,
and the connection stays usable. The chat room authenticates with a single-use ticket; a
valid frame is persisted, then broadcast to every member of the room on every process
(sender included).

``/ws/echo`` is a ``websocket_listener``: Litestar accepts, reads text frames and sends
what the function returns; it keeps no per-connection state, so one listener serving every
connection is fine. ``/ws/chat/{room}`` needs per-connection state (user, room, its
subscription) and must both read client frames and forward broadcasts, which
``ChannelsPlugin``'s generated handlers do not (they ignore client frames), so it is an
explicit ``@websocket`` handler: checks before ``accept()``, then a receive loop in the
handler while the subscriber's background task forwards broadcasts.

Refusals happen before ``accept()``: closing (or a guard raising) before the handshake is
answered makes uvicorn reply HTTP 403, and nothing is ever sent to a refused client.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec
from litestar import WebSocket, websocket, websocket_listener
from litestar.channels.subscriber import EventCallback
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.exceptions import WebSocketDisconnect, WebSocketException
from litestar.middleware import ASGIMiddleware
from litestar.params import FromPath
from litestar.status_codes import WS_1008_POLICY_VIOLATION
from sqlalchemy.exc import SQLAlchemyError

from chat.schemas import ChatFrame, ErrorCode, ErrorFrame, MessageRead
from chat.services import (
    ChatService,
    ServiceUnavailableError,
    consume_ticket,
    publish_message,
    room_channel,
)
from common.db import sqlalchemy_config
from common.errors import NotFoundError, is_unavailable
from common.stores import TicketStore
from compat.channels import SupervisedChannelsPlugin
from compat.hosts import AllowedHostsMiddleware

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
    from litestar.types.asgi_types import WebSocketDisconnectEvent

    from chat.models import Room
    from users.models import User

logger = logging.getLogger("chat")

WS_1009_MESSAGE_TOO_BIG = 1009
BINARY_FRAME = "Frames must be JSON text, not binary."
NOT_JSON = "The frame is not valid JSON."
# Arrays and objects nest at most this deep in a frame (the protocol's limit; the decoder
# itself would hit Python's recursion limit near 1000 and fail the connection).
MAX_JSON_DEPTH = 64


def decode_frame(text: str) -> Any:
    """A text frame's JSON value; ``msgspec.DecodeError`` when it is not interoperable JSON.

    msgspec already refuses escaped lone surrogates (I-JSON, RFC 7493); the depth limit
    is the protocol's.
    """
    try:
        value = msgspec.json.decode(text)
    except RecursionError:
        raise msgspec.DecodeError(NOT_JSON) from None
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            if depth >= MAX_JSON_DEPTH:
                raise msgspec.DecodeError(
                    f"The frame nests arrays and objects deeper than {MAX_JSON_DEPTH}."
                )
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


def error_frame(code: ErrorCode, detail: str) -> str:
    """An error frame ``{"type": "error", "code", "detail"}``; the connection stays open."""
    return msgspec.json.encode(ErrorFrame(code=code, detail=detail)).decode()


def origin_allowed(origin: str | None, allowed_hosts: tuple[str, ...]) -> bool:
    """Channels' ``AllowedHostsOriginValidator`` rule: an Origin is required and its host
    (port ignored) must match ``ALLOWED_HOSTS`` with Django's semantics."""
    if not origin:
        return False
    parts = urlsplit(origin)
    if not parts.scheme or not parts.hostname:  # also "null" (sandboxed / file pages)
        return False
    if parts.hostname.endswith("."):  # Channels compares the name as sent (is_same_domain):
        return False  # the trailing-dot rule is the Host header's (validate_host), not Origin's
    return AllowedHostsMiddleware(allowed_hosts).is_allowed(parts.hostname)


async def require_allowed_origin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of every websocket route: refuse (before accept -> 403) a foreign Origin."""
    settings = connection.app.state.settings
    if not origin_allowed(connection.headers.get("origin"), settings.allowed_hosts):
        raise WebSocketException(detail="Origin not allowed.", code=WS_1008_POLICY_VIOLATION)


class FrameSizeLimitMiddleware(ASGIMiddleware):
    """Close with 1009 when a client frame is larger than ``WS_MAX_MESSAGE_BYTES``.

    Works below the handlers so the listener and the chat handler share it: the oversize
    frame never reaches them; they see a disconnect instead. Sends after the close are
    dropped (a broadcast may race with it). The limit is in UTF-8 bytes, as the frame came
    over the wire.
    """

    scopes = (ScopeType.WEBSOCKET,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        limit: int = scope["litestar_app"].state.settings.ws_max_message_bytes
        closed = False

        async def limited_receive() -> ReceiveMessage:
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive":
                text = message.get("text")
                size = len(text.encode()) if text is not None else len(message.get("bytes") or b"")
                if size > limit:
                    closed = True
                    await send(
                        {
                            "type": "websocket.close",
                            "code": WS_1009_MESSAGE_TOO_BIG,
                            "reason": "Frame too large.",
                        }
                    )
                    disconnect: WebSocketDisconnectEvent = {
                        "type": "websocket.disconnect",
                        "code": WS_1009_MESSAGE_TOO_BIG,
                    }
                    return disconnect
            return message

        async def guarded_send(message: Message) -> None:
            if not closed:
                await send(message)

        await next_app(scope, limited_receive, guarded_send)


@websocket_listener("/ws/echo", receive_mode="text", guards=[require_allowed_origin])
async def echo(data: str) -> str:
    """``/ws/echo``: every JSON value comes back as one frame (no authentication).

    Stateless, so one listener instance may serve every connection. A binary frame reaches
    a text-mode listener as ``""``, which is not JSON either.
    """
    if not data:
        return error_frame("malformed_json", BINARY_FRAME)
    try:
        value = decode_frame(data)
    except msgspec.DecodeError as exc:
        return error_frame("malformed_json", str(exc) or NOT_JSON)
    return msgspec.json.encode(value).decode()


@websocket("/ws/chat/{room:str}", guards=[require_allowed_origin])
async def chat_room(
    socket: WebSocket[Any, Any, Any],
    channels: NamedDependency[SupervisedChannelsPlugin],
    ticket_store: NamedDependency[TicketStore],
    room: FromPath[str],
) -> None:
    """``/ws/chat/<room>?ticket=...``: post to a room and receive everything posted to it."""
    tickets = socket.query_params.getall("ticket", [])
    if len(tickets) != 1:  # two are ambiguous: refused before either is looked up
        return await _refuse(socket, "Missing, invalid, expired or used ticket.")
    config = sqlalchemy_config(socket.app)
    async with config.get_session() as session:
        user = await consume_ticket(session, ticket_store, tickets[0])
        if user is None:
            return await _refuse(socket, "Missing, invalid, expired or used ticket.")
        try:
            chat_room_ = await ChatService(session=session, user=user).get_room(room)
        except NotFoundError:
            return await _refuse(socket, "Room not found.")

    channel = room_channel(socket.app.state.settings.channels_prefix, chat_room_.name)
    async with AsyncExitStack() as stack:
        try:
            # Subscribed before accept: a client that sees the connection open does not
            # miss a message sent right after.
            subscriber = await stack.enter_async_context(channels.start_subscription([channel]))
        except Exception:  # Redis down: no subscription, no connection
            logger.warning("chat: joining %s failed", channel, exc_info=True)
            return await _refuse(socket, "Chat unavailable.")
        await socket.accept()
        # Broadcasts go out from the subscriber's own task through a bounded queue
        # (``dropleft``): a client that stops reading only stalls its own connection.
        await stack.enter_async_context(
            subscriber.run_in_background(_forwarder(socket), join=False)
        )
        await _receive_loop(socket, channels, channel, chat_room_, user)


async def _refuse(socket: WebSocket[Any, Any, Any], reason: str) -> None:
    """Close before accept: uvicorn answers the handshake with HTTP 403."""
    await socket.close(code=WS_1008_POLICY_VIOLATION, reason=reason)


def _forwarder(socket: WebSocket[Any, Any, Any]) -> EventCallback:
    """The subscriber callback: send one broadcast (already JSON) to this client."""

    async def forward(event: bytes) -> None:
        try:
            await socket.send_text(event.decode())
        except Exception:  # the client went away mid-send: the receive loop ends it
            logger.debug("chat: send to a closed socket", exc_info=True)

    return forward


async def _receive_loop(
    socket: WebSocket[Any, Any, Any],
    channels: SupervisedChannelsPlugin,
    channel: str,
    room: Room,
    user: User,
) -> None:
    """Handle client frames until the client disconnects (or the frame limit closes it)."""
    while True:
        try:
            event = await socket.receive()
        except WebSocketDisconnect:
            return
        if event["type"] == "websocket.disconnect":
            return
        text = event.get("text")
        if not isinstance(text, str):
            await socket.send_text(error_frame("malformed_json", BINARY_FRAME))
            continue
        try:
            content = decode_frame(text)
        except msgspec.DecodeError as exc:
            await socket.send_text(error_frame("malformed_json", str(exc) or NOT_JSON))
            continue
        await _receive_json(socket, channels, channel, room, user, content)


def _validation_detail(exc: msgspec.ValidationError) -> str:
    """``"body: <why>"`` from msgspec's ``"<why> - at `$.body`"``."""
    why, _, where = str(exc).partition(" - at `$.")
    return f"{where.rstrip('`') or 'body'}: {why}"


async def _receive_json(
    socket: WebSocket[Any, Any, Any],
    channels: SupervisedChannelsPlugin,
    channel: str,
    room: Room,
    user: User,
    content: Any,
) -> None:
    """One decoded frame: validate, persist, broadcast (or answer with an error frame)."""
    if not isinstance(content, dict):
        await socket.send_text(
            error_frame("malformed_json", 'A chat frame is a JSON object {"body": ...}.')
        )
        return
    try:
        frame = msgspec.convert(content, ChatFrame)
    except msgspec.ValidationError as exc:
        await socket.send_text(error_frame("invalid_message", _validation_detail(exc)))
        return
    settings = socket.app.state.settings
    try:
        async with sqlalchemy_config(socket.app).get_session() as session:
            service = ChatService(session=session, user=user)
            try:
                stored = await service.post_message(room, frame.body)
            except Exception as exc:
                if not _storage_failed(exc):
                    raise
                logger.warning("chat: storing a message failed: %r", exc)
                await socket.send_text(
                    error_frame("unavailable", "The message could not be stored; try again.")
                )
                return
            message = MessageRead.from_model(stored, room=room.name, user=user.username)
            try:
                await publish_message(channels, channel, message, settings.ws_broadcast_timeout)
            except ServiceUnavailableError:
                await _discard(service, stored.id)
                await socket.send_text(
                    error_frame("unavailable", "The message could not be delivered; try again.")
                )
    except Exception as exc:  # closing a session on a dead connection: not the client's fault
        if not _storage_failed(exc):
            raise
        logger.warning("chat: the database session failed: %r", exc)


def _storage_failed(exc: BaseException) -> bool:
    """A database failure (also wrapped by advanced-alchemy): answered with ``unavailable``."""
    return isinstance(exc, SQLAlchemyError) or is_unavailable(exc)


async def _discard(service: ChatService, message_id: int) -> None:
    try:
        await service.discard_message(message_id)
    except Exception as exc:
        if not _storage_failed(exc):
            raise
        logger.warning("chat: discarding message %s failed: %r", message_id, exc)
