"""Chat rooms and their messages.

Integer keys (not the UUIDs of items/users): a message id is part of the wire format and
orders messages that share a timestamp. A room is addressed by its unique name. advanced-
alchemy's ``IdentityBase`` gives the identity primary key (Django's ``BigAutoField``); the
tables have ``created_at`` only, so the audit base is not used. Columns mirror the Django
models one to one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from advanced_alchemy.base import IdentityBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from users.models import User

ROOM_NAME_MAX_LENGTH = 50


def _now() -> datetime:
    return datetime.now(UTC)


class Room(IdentityBase):
    """A named chat room; its name is the public key (``/ws/chat/<name>``)."""

    __tablename__ = "chat_room"

    name: Mapped[str] = mapped_column(String(ROOM_NAME_MAX_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)

    def __repr__(self) -> str:
        return f"<Room {self.name!r}>"


class Message(IdentityBase):
    """One message posted to a room; history is read by (created_at, id)."""

    __tablename__ = "chat_message"

    room_id: Mapped[int] = mapped_column(ForeignKey("chat_room.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users_user.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=_now)

    room: Mapped[Room] = relationship(lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")

    # The history is read per room in (created_at, id) order: one index serves it.
    __table_args__ = (Index("chat_message_room_order_idx", "room_id", "created_at", "id"),)

    def __repr__(self) -> str:
        return f"<Message {self.id!r} in room {self.room_id!r}>"
