"""Chat business rules: rooms, history, posting, and single-use websocket tickets.

``ChatService`` is an advanced-alchemy ``SQLAlchemyAsyncRepositoryService`` over rooms with
an inner message repository, built for one caller (``user``) like ``ItemService``; it is
built per HTTP request (the request's session) or per websocket frame (a short session of
its own) and raises the domain errors of ``common.errors``.

Tickets live in a ``common.stores.TicketStore`` (``ChatPlugin`` creates it): Redis when
``REDIS_URL`` is set, so every process of the app accepts a ticket issued by any other
(consumed atomically with ``GETDEL``), else process memory (embedded mode is one process;
at most ``TICKETS_PER_USER`` outstanding per user).
A message is broadcast with ``publish_message`` through the ``ChannelsPlugin``, bounded
by ``WS_BROADCAST_TIMEOUT`` so a dead Redis is an error, not a hang.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any

import msgspec
from advanced_alchemy.filters import LimitOffset as LimitOffsetFilter
from advanced_alchemy.filters import OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from chat.models import Message, Room
from common.errors import ConflictError, NotFoundError, UnavailableError
from common.stores import TicketStore
from compat.channels import SupervisedChannelsPlugin
from users.models import User

if TYPE_CHECKING:
    from chat.schemas import MessageRead
    from common.pagination import LimitOffset

logger = logging.getLogger("chat")

TICKET_BYTES = 32
# Outstanding tickets per user: one more revokes that user's oldest, so nobody can grow the
# store (or push other users' tickets out of it) by asking for tickets in a loop.
TICKETS_PER_USER = 10
# What ``issue_ticket`` produces (token_urlsafe); anything else is refused without a lookup.
_TICKET_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,128}")


class ServiceUnavailableError(UnavailableError):
    """A backing service (Redis) did not answer; the request may be retried."""

    detail = "A backing service is unavailable; try again shortly."


def room_channel(prefix: str, room_name: str) -> str:
    """The pub/sub channel of a room (prefixed: one Redis can serve many deployments)."""
    return f"{prefix}.room.{room_name}"


class ChatService(SQLAlchemyAsyncRepositoryService[Room]):
    """Every rule about rooms and messages, for one caller."""

    class Repository(SQLAlchemyAsyncRepository[Room]):
        model_type = Room

    class MessageRepository(SQLAlchemyAsyncRepository[Message]):
        model_type = Message

    repository_type = Repository

    def __init__(self, session: AsyncSession, *, user: User, **repo_kwargs: Any) -> None:
        super().__init__(session=session, **repo_kwargs)
        self.user = user
        self.messages = self.MessageRepository(session=session)

    # --- queries ------------------------------------------------------------------------

    async def list_rooms(self, page: LimitOffset) -> tuple[list[Room], int]:
        """One page of rooms by name, and the total."""
        rooms, total = await self.repository.get_many_and_count(
            OrderBy(field_name="name", sort_order="asc"),
            LimitOffsetFilter(limit=page.limit, offset=page.offset),
            # Two queries: the window-function count has no row to ride on past the last page.
            count_with_window_function=False,
        )
        return list(rooms), total

    async def get_room(self, name: str) -> Room:
        if "\x00" in name:  # no room name holds NUL; PostgreSQL refuses it in a query (409)
            raise NotFoundError("Room not found.")
        room = await self.repository.get_one_or_none(Room.name == name)
        if room is None:
            raise NotFoundError("Room not found.")
        return room

    async def list_messages(self, room_name: str, page: LimitOffset) -> tuple[list[Message], int]:
        """One page of a room's history (authors loaded), oldest first, ties broken by id."""
        room = await self.get_room(room_name)
        messages, total = await self.messages.get_many_and_count(
            Message.room_id == room.id,
            OrderBy(field_name="created_at", sort_order="asc"),
            OrderBy(field_name="id", sort_order="asc"),
            LimitOffsetFilter(limit=page.limit, offset=page.offset),
            load=[joinedload(Message.user)],
            count_with_window_function=False,
        )
        return list(messages), total

    # --- commands -----------------------------------------------------------------------

    async def create_room(self, name: str) -> Room:
        """A new room; a taken name is a conflict (also under a race: the unique index)."""
        if await self.repository.exists(Room.name == name):
            raise ConflictError("A room with this name already exists.")
        return await self.repository.add(Room(name=name))

    async def post_message(self, room: Room, body: str) -> Message:
        """Persist a message by the caller (before it is broadcast), committed."""
        return await self.messages.add(
            Message(room_id=room.id, user_id=self.user.id, body=body), auto_commit=True
        )

    async def discard_message(self, message_id: int) -> None:
        """Delete a message whose broadcast failed: history only keeps what was delivered."""
        await self.messages.delete(message_id, auto_commit=True)


async def publish_message(
    channels: SupervisedChannelsPlugin, channel: str, message: MessageRead, timeout: float
) -> None:
    """Publish ``message`` to ``channel`` on every process; ``ServiceUnavailableError`` on failure.

    ``wait_published`` (not ``publish``, which queues and returns at once) so a failure is
    seen here; the timeout turns a hanging Redis into the same error.
    """
    if not channels.listening:  # Redis is (or just was) down: this process would not hear it
        raise ServiceUnavailableError()
    try:
        async with asyncio.timeout(timeout):
            await channels.wait_published(msgspec.json.encode(message), [channel])
    except Exception as exc:  # any backend failure (refused, reset, timeout)
        logger.warning("chat publish to %s failed: %r", channel, exc)
        raise ServiceUnavailableError() from exc


async def issue_ticket(store: TicketStore, user: User, ttl: int) -> str:
    """A new single-use ticket bound to ``user``, valid for ``ttl`` (``WS_TICKET_TTL``) seconds."""
    ticket = secrets.token_urlsafe(TICKET_BYTES)
    try:
        await store.issue(ticket, user.id, ttl)
    except (RedisError, OSError):
        logger.warning("chat: storing a ticket failed", exc_info=True)
        raise ServiceUnavailableError() from None
    return ticket


async def consume_ticket(session: AsyncSession, store: TicketStore, ticket: str) -> User | None:
    """The active user a ticket was issued to, or None; a ticket works exactly once."""
    if not _TICKET_SHAPE.fullmatch(ticket):
        return None
    try:
        user_id = await store.consume(ticket)
    except (RedisError, OSError):
        logger.warning("chat: reading a ticket failed", exc_info=True)
        return None
    user = None if user_id is None else await session.get(User, user_id)
    return user if user is not None and user.is_active else None
