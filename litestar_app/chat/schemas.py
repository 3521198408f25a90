"""Wire shapes: room, room create, pages, message, ticket, and the client's chat frame.

msgspec structs, strict like the items ones: strings must be JSON strings (no coercion),
are not trimmed, and unknown input fields are ignored (structs drop unknown keys). The same
``MessageRead`` renders the history and the websocket broadcast, so both are equal.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec
from msgspec import Meta

if TYPE_CHECKING:
    from chat.models import Message, Room

ROOM_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,49}$"
# Python's "$" also matches before a final "\n" (msgspec patterns use re.search): the
# look-ahead refuses that. The schema shows the plain pattern, which means the same in the
# ECMA dialect of JSON Schema ("$" is the end of input there).
_ROOM_NAME_STRICT = ROOM_NAME_PATTERN + r"(?!\n)"
ROOM_NAME_MAX_LENGTH = 50
BODY_MAX_LENGTH = 2000

RoomName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=ROOM_NAME_MAX_LENGTH,
        pattern=_ROOM_NAME_STRICT,
        description='Lower-case letters, digits, "_" and "-"; starts with a letter or digit.',
        examples=["lobby"],
        extra_json_schema={"extra": {"pattern": ROOM_NAME_PATTERN}},  # Litestar: schema_extra
    ),
]
MessageBody = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=BODY_MAX_LENGTH,
        pattern=r"\S",
        description="1..2000 characters, not whitespace-only.",
    ),
]
ErrorCode = Literal["malformed_json", "invalid_message", "unavailable", "lagging"]


class RoomRead(msgspec.Struct, kw_only=True):
    """ChatRoom: its name and when it was created."""

    name: str
    created_at: datetime

    @classmethod
    def from_model(cls, room: Room) -> RoomRead:
        return cls(name=room.name, created_at=room.created_at)


class RoomCreate(msgspec.Struct, kw_only=True):
    """ChatRoomCreate: ``name`` only (lower-case letters, digits, "_" and "-")."""

    name: RoomName


class RoomPage(msgspec.Struct, kw_only=True):
    """ChatRoomPage: one page of rooms by name."""

    items: list[RoomRead]
    total: int
    limit: int
    offset: int


class MessageRead(msgspec.Struct, kw_only=True):
    """ChatMessage: the persisted message, exactly as broadcast on the room's websocket."""

    type: Literal["message"]
    id: int
    room: str
    user: str
    body: str
    created_at: datetime

    @classmethod
    def from_model(cls, message: Message, *, room: str, user: str) -> MessageRead:
        return cls(
            type="message",
            id=message.id,
            room=room,
            user=user,
            body=message.body,
            created_at=message.created_at,
        )


class MessagePage(msgspec.Struct, kw_only=True):
    """ChatMessagePage: one page of a room's history, newest last."""

    items: list[MessageRead]
    total: int
    limit: int
    offset: int


class TicketRead(msgspec.Struct, kw_only=True):
    """ChatTicket: an opaque single-use websocket ticket and its lifetime in seconds."""

    ticket: str
    expires_in: int


class ChatFrame(msgspec.Struct, kw_only=True):
    """A client's chat frame ``{"body": str}``; other keys are ignored."""

    body: MessageBody

    def __post_init__(self) -> None:
        # PostgreSQL cannot store U+0000 in text (SQLite can): refused in every mode.
        if "\x00" in self.body:
            raise ValueError("Null characters are not allowed.")


class ErrorFrame(msgspec.Struct, kw_only=True):
    """ChatErrorFrame: ``{"type": "error", "code", "detail"}``; the connection stays open."""

    type: Literal["error"] = "error"
    code: ErrorCode
    detail: str
