"""Chat business rules: rooms, history, posting, and single-use websocket tickets.

``ChatService`` is a plain class over the ORM, built for one caller (``user``), like
``ItemService``; it raises the domain errors of ``common.errors``. Everything here is
synchronous: the REST views call it directly and the websocket consumers through
``database_sync_to_async`` (which also closes stale database connections).

Tickets live in the security cache (``settings.SECURITY_CACHE``): Redis when ``REDIS_URL`` is
set, so every process of the app accepts a ticket issued by any other, else the database cache
(never culled by other users' requests; at most ``TICKETS_PER_USER`` outstanding per user).
"""

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from redis.exceptions import RedisError

from chat.models import Message, Room
from common.errors import ConflictError, NotFoundError, UnavailableError
from common.pagination import LimitOffset
from users.models import User

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


@dataclass(frozen=True, slots=True)
class Ticket:
    """A websocket ticket and its lifetime in seconds."""

    ticket: str
    expires_in: int


class ChatService:
    """Every rule about rooms and messages, for one caller."""

    def __init__(self, user: Any) -> None:
        self.user = user

    # --- queries ------------------------------------------------------------------------

    def list_rooms(self, page: LimitOffset) -> tuple[list[Room], int]:
        """One page of rooms by name, and the total."""
        queryset = Room.objects.all()
        rows = queryset.order_by("name")[page.offset : page.offset + page.limit]
        return list(rows), queryset.count()

    def get_room(self, name: str) -> Room:
        if "\x00" in name:  # no room name holds NUL; PostgreSQL refuses it in a query (500)
            raise NotFoundError("Room not found.")
        try:
            return Room.objects.get(name=name)
        except Room.DoesNotExist:
            raise NotFoundError("Room not found.") from None

    def list_messages(self, room_name: str, page: LimitOffset) -> tuple[list[Message], int]:
        """One page of a room's history, oldest first, ties broken by id."""
        room = self.get_room(room_name)
        queryset = room.messages.all()
        rows = queryset.select_related("user", "room").order_by("created_at", "id")
        return list(rows[page.offset : page.offset + page.limit]), queryset.count()

    # --- commands -----------------------------------------------------------------------

    def create_room(self, name: str) -> Room:
        """A new room; a taken name is a conflict (also under a race: the unique index)."""
        try:
            with transaction.atomic():
                return Room.objects.create(name=name)
        except IntegrityError:
            raise ConflictError("A room with this name already exists.") from None

    def post_message(self, room: Room, body: str) -> Message:
        """Persist a message by the caller (before it is broadcast)."""
        return Message.objects.create(room=room, user=self.user, body=body)

    def discard_message(self, message_id: int) -> None:
        """Delete a message whose broadcast failed: history only keeps what was delivered."""
        Message.objects.filter(pk=message_id).delete()


def _ticket_key(ticket: str) -> str:
    return f"{settings.CHANNELS_PREFIX}:ticket:{ticket}"


def issue_ticket(user: Any) -> Ticket:
    """A new single-use ticket bound to ``user``, valid for ``WS_TICKET_TTL`` seconds."""
    ticket = secrets.token_urlsafe(TICKET_BYTES)
    cache = caches[settings.SECURITY_CACHE]
    issued_key = f"{settings.CHANNELS_PREFIX}:tickets-of:{user.pk}"
    try:
        issued = [*(cache.get(issued_key) or []), ticket]
        cache.delete_many([_ticket_key(t) for t in issued[:-TICKETS_PER_USER]])
        cache.set_many(
            {_ticket_key(ticket): str(user.pk), issued_key: issued[-TICKETS_PER_USER:]},
            timeout=settings.WS_TICKET_TTL,
        )
    except RedisError:
        logger.warning("chat: storing a ticket failed", exc_info=True)
        raise ServiceUnavailableError() from None
    return Ticket(ticket=ticket, expires_in=settings.WS_TICKET_TTL)


def consume_ticket(ticket: str) -> User | None:
    """The active user a ticket was issued to, or None; a ticket works exactly once."""
    if not _TICKET_SHAPE.fullmatch(ticket):
        return None
    key = _ticket_key(ticket)
    cache = caches[settings.SECURITY_CACHE]
    try:
        user_id = cache.get(key)
        # delete() reports whether this call removed the key (Redis DEL is atomic): of two
        # connections racing with one ticket, exactly one gets True.
        if user_id is None or not cache.delete(key):
            return None
    except RedisError:
        logger.warning("chat: reading a ticket failed", exc_info=True)
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
