"""Websocket consumers: the JSON echo and the chat room.

Both endpoints read frames alike: frames over ``WS_MAX_MESSAGE_BYTES`` close with 1009,
binary frames and text that is not interoperable JSON get a ``malformed_json`` error frame,
and the connection stays usable. The chat room authenticates with a single-use ticket; a
valid frame is persisted, then broadcast to every member of the room on every process
(sender included).

Channels consumers (``AsyncJsonWebsocketConsumer``) routed by ``chat.routing``; they share
one frame reader (``JsonFrameConsumer``). The chat consumer refuses (closes before accept,
which the server answers with HTTP 403) a bad ticket or an unknown room. It sends a message
to the room's group on the channel layer, which delivers it as ``{"type": "chat.message"}``.
"""

import asyncio
import json
import logging
import math
import re
from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from chat.models import Room
from chat.schemas import ROOM_NAME, ChatFrameSerializer, MessageSerializer
from chat.services import ChatService, consume_ticket
from common.errors import NotFoundError
from users.models import User

logger = logging.getLogger("chat")

WS_1009_MESSAGE_TOO_BIG = 1009
BINARY_FRAME = "Frames must be JSON text, not binary."
NOT_JSON = "The frame is not valid JSON."
# Client frames of one connection waiting to be stored and broadcast; a client that sends
# faster than that waits (its socket is not read meanwhile), it is never answered "full".
INBOX_SIZE = 16
LAGGING = "Messages were dropped because this connection fell behind; reload the history."
# What a failing channel layer raises: Redis errors, a dead socket, or our own timeout.
BROADCAST_ERRORS = (TimeoutError, OSError, RedisError)


# Arrays and objects nest at most this deep in a frame (the protocol's limit; the decoder
# itself would hit Python's recursion limit near 1000 and fail the connection).
MAX_JSON_DEPTH = 64
# An escaped lone surrogate ("\\ud800") decodes to a str that has no UTF-8 form: not text.
_SURROGATE = re.compile("[\ud800-\udfff]")


def frame_problem(value: Any) -> str | None:
    """Why a decoded frame is not interoperable JSON (I-JSON, RFC 7493), or None."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            if depth >= MAX_JSON_DEPTH:
                return f"The frame nests arrays and objects deeper than {MAX_JSON_DEPTH}."
            if isinstance(item, dict):  # keys are text too
                stack.extend((key, depth) for key in item)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and _SURROGATE.search(item):
            return "The frame holds a lone UTF-16 surrogate, which is not text."
    return None


def _no_constants(name: str) -> Any:
    # Python's json accepts NaN and Infinity, which are not JSON.
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf, which has no JSON form
        raise ValueError(f"{text} is out of range")
    return value


def room_group(room_name: str) -> str:
    """The channel-layer group of a room (prefixed: one Redis can serve many deployments)."""
    return f"{settings.CHANNELS_PREFIX}.room.{room_name}"


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    """Reads frames for both endpoints: size limit, strict JSON, error frames."""

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # The limit is in UTF-8 bytes, as the frame came over the wire.
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.WS_MAX_MESSAGE_BYTES:
            await self.close(code=WS_1009_MESSAGE_TOO_BIG)
            return
        if text_data is None:
            await self.send_error("malformed_json", BINARY_FRAME)
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):  # json.JSONDecodeError included
            await self.send_error("malformed_json", NOT_JSON)
            return
        if problem := frame_problem(content):
            await self.send_error("malformed_json", problem)
            return
        await self.receive_json(content, **kwargs)

    async def send_error(self, code: str, detail: str) -> None:
        """An error frame; the connection stays open."""
        await self.send_json({"type": "error", "code": code, "detail": detail})

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        return json.loads(text_data, parse_constant=_no_constants, parse_float=_finite_float)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        # Compact and UTF-8 (not \\u escapes), as the Litestar twin's msgspec encoder writes.
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class EchoConsumer(JsonFrameConsumer):
    """``/ws/echo``: every JSON value comes back as one frame (no authentication)."""

    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json(content)


class Outbox:
    """The broadcasts waiting to be sent to one client, at most ``limit`` of them.

    A broadcast that finds the outbox full is dropped for this client alone (a slow reader
    never holds up the room) and, once per gap, a ``lagging`` marker takes its place: the
    client gets a ``lagging`` error frame exactly where messages are missing. The marker
    uses one slot past ``limit``, so the queue never holds more than ``limit + 1`` items.
    """

    MARKER: ClassVar[dict[str, Any]] = {"type": "error", "code": "lagging", "detail": LAGGING}

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.gap_open = False

    def put(self, message: dict[str, Any]) -> None:
        if self.queue.qsize() < self.limit:
            self.gap_open = False
            self.queue.put_nowait(message)
        else:
            self.mark_gap()

    def mark_gap(self) -> None:
        """Messages were lost here (by this outbox or upstream): queue one marker per gap."""
        if not self.gap_open:
            self.gap_open = True
            self.queue.put_nowait(self.MARKER)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()


class ChatConsumer(JsonFrameConsumer):
    """``/ws/chat/<room>?ticket=...``: post to a room and receive everything posted to it."""

    user: User
    room: Room
    group_name: str = ""
    outbox: Outbox
    inbox: asyncio.Queue[Any]
    writer: asyncio.Task[None] | None = None
    poster: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        query = parse_qs(
            self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
        )
        tickets = query.get("ticket", [])
        room_name = self.scope["url_route"]["kwargs"]["room"]
        # Two tickets are ambiguous: refused before either is looked up (neither is used up).
        opened = (
            await database_sync_to_async(self.authorize)(tickets[0], room_name)
            if len(tickets) == 1
            else None
        )
        if opened is None:
            await self.close()  # before accept: the handshake is answered 403
            return
        self.user, self.room = opened
        self.group_name = room_group(self.room.name)
        try:
            async with asyncio.timeout(settings.WS_BROADCAST_TIMEOUT):
                await self.channel_layer.group_add(self.group_name, self.channel_name)
        except BROADCAST_ERRORS:
            logger.warning("chat: joining %s failed", self.group_name, exc_info=True)
            self.group_name = ""
            await self.close()
            return
        self.outbox = Outbox(settings.WS_SEND_BACKLOG)
        self.writer = asyncio.create_task(self.write_outbox())
        # Client frames are stored and broadcast by their own task, in order: while one is
        # being stored this consumer keeps taking broadcasts off its channel (else a busy
        # database would fill the channel and the room's messages would be dropped).
        self.inbox = asyncio.Queue(maxsize=INBOX_SIZE)
        self.poster = asyncio.create_task(self.post_inbox())
        await self.accept()

    def authorize(self, ticket: str, room_name: str) -> tuple[User, Room] | None:
        """The ticket's user and the room, or None (the ticket is used up either way)."""
        user = consume_ticket(ticket)
        if user is None or not ROOM_NAME.fullmatch(room_name):
            return None
        try:
            return user, ChatService(user).get_room(room_name)
        except NotFoundError:
            return None

    async def disconnect(self, code: int) -> None:
        for task in (self.writer, self.poster):
            if task is not None:
                task.cancel()
        if take_dropped := getattr(self.channel_layer, "take_dropped", None):
            take_dropped(self.channel_name)
        if self.group_name:
            try:
                async with asyncio.timeout(settings.WS_BROADCAST_TIMEOUT):
                    await self.channel_layer.group_discard(self.group_name, self.channel_name)
            except BROADCAST_ERRORS:
                logger.warning("chat: leaving %s failed", self.group_name, exc_info=True)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.inbox.put(content)  # waits while INBOX_SIZE frames are pending

    async def post_inbox(self) -> None:
        """Handle the client's frames one after the other (their order is kept)."""
        while True:
            content = await self.inbox.get()
            try:
                await self.post(content)
            except Exception:  # the client went away mid-answer: disconnect() cleans up
                logger.debug("chat: answering a frame failed", exc_info=True)
                return

    async def post(self, content: Any) -> None:
        """One decoded frame: validate, persist, broadcast (or answer with an error frame)."""
        if not isinstance(content, dict):
            await self.send_error("malformed_json", 'A chat frame is a JSON object {"body": ...}.')
            return
        frame = ChatFrameSerializer(data=content)
        if not frame.is_valid():
            detail = "; ".join(
                f"{field}: {' '.join(str(error) for error in errors)}"
                for field, errors in frame.errors.items()
            )
            await self.send_error("invalid_message", detail)
            return
        try:
            message = await database_sync_to_async(self.persist)(frame.validated_data["body"])
        except DatabaseError:
            logger.warning("chat: storing a message failed", exc_info=True)
            await self.send_error("unavailable", "The message could not be stored; try again.")
            return
        try:
            # Bounded: while Redis is down the layer would retry (and wait) for much longer.
            async with asyncio.timeout(settings.WS_BROADCAST_TIMEOUT):
                await self.channel_layer.group_send(
                    self.group_name, {"type": "chat.message", "message": message}
                )
        except BROADCAST_ERRORS:
            logger.warning("chat: broadcast to %s failed", self.group_name, exc_info=True)
            await self.discard(message["id"])
            await self.send_error("unavailable", "The message could not be delivered; try again.")

    def persist(self, body: str) -> dict[str, Any]:
        """Store the message and render it as the broadcast (and history) object."""
        message = ChatService(self.user).post_message(self.room, body)
        return dict(MessageSerializer(message).data)

    async def discard(self, message_id: int) -> None:
        try:
            await database_sync_to_async(ChatService(self.user).discard_message)(message_id)
        except DatabaseError:
            logger.warning("chat: discarding message %s failed", message_id, exc_info=True)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Broadcasts go straight to ``chat_message``; every other event as Channels does it.

        Channels runs ``close_old_connections`` in a thread (``aclose_old_connections``)
        before every handler, because a handler may use the ORM. ``chat_message`` does not,
        and it runs once per broadcast per member: 50 members at 20 messages/s made 1000
        hops a second through asgiref's one thread-sensitive executor, the fan-out's p99.
        The handlers that touch the database use ``database_sync_to_async``, which closes
        stale connections itself.
        """
        if message["type"] == "chat.message":
            await self.chat_message(message)
        else:
            await super().dispatch(message)

    async def chat_message(self, event: dict[str, Any]) -> None:
        """A broadcast from the group (any process): queue it for this client.

        The in-memory layer reports broadcasts it dropped because this connection's channel
        was full (``compat.channels``): they become a ``lagging`` marker too.
        """
        self.outbox.put(event["message"])
        take_dropped = getattr(self.channel_layer, "take_dropped", None)
        if take_dropped is not None and take_dropped(self.channel_name):
            self.outbox.mark_gap()

    async def write_outbox(self) -> None:
        """Send queued broadcasts in order; a client that stops reading only stalls this task."""
        while True:
            message = await self.outbox.get()
            try:
                await self.send_json(message)
            except Exception:  # the client went away mid-send: disconnect() cleans up
                logger.debug("chat: send to a closed socket", exc_info=True)
                return
