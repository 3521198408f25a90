"""Wire shapes: room, room create, pages, message, ticket, and the client's chat frame.

DRF serializers, strict like the items ones: strings must be JSON strings (no coercion),
are not trimmed, and unknown input fields are not declared, so they are ignored. The same
``MessageSerializer`` renders the history and the websocket broadcast, so both are equal.
"""

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat.models import Message, Room
from common.pagination import LimitOffsetSerializer
from compat.validation import StrictCharField

# re.fullmatch, not a "^...$" search: "$" also matches before a final "\n".
ROOM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
ROOM_NAME_MAX_LENGTH = 50
BODY_MAX_LENGTH = 2000


class RoomSerializer(serializers.ModelSerializer):
    """ChatRoom: its name and when it was created."""

    class Meta:
        model = Room
        fields = ("name", "created_at")
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": ROOM_NAME_MAX_LENGTH,
        "pattern": f"^{ROOM_NAME.pattern}$",
    }
)
class RoomNameField(StrictCharField):
    """A room name, documented with its pattern (``validate_name`` checks it with fullmatch)."""


class RoomCreateSerializer(serializers.Serializer):
    """ChatRoomCreate: ``name`` only (lower-case letters, digits, "_" and "-")."""

    name = RoomNameField(max_length=ROOM_NAME_MAX_LENGTH, trim_whitespace=False)

    def validate_name(self, value: str) -> str:
        if not ROOM_NAME.fullmatch(value):
            raise serializers.ValidationError(
                "Use 1-50 lower-case letters, digits, '_' or '-', starting with a letter or digit."
            )
        return value


class RoomPageSerializer(serializers.Serializer):
    """ChatRoomPage: one page of rooms by name."""

    items = RoomSerializer(many=True)
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


@extend_schema_field({"type": "string", "const": "message"})
class MessageTypeField(serializers.Field):
    """The constant ``"type": "message"`` that tags a broadcast frame."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, value: Any) -> str:
        return "message"


class MessageSerializer(serializers.ModelSerializer):
    """ChatMessage: the persisted message, exactly as broadcast on the room's websocket."""

    type = MessageTypeField()
    room = serializers.CharField(source="room.name", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Message
        fields = ("type", "id", "room", "user", "body", "created_at")
        read_only_fields = fields


class MessagePageSerializer(serializers.Serializer):
    """ChatMessagePage: one page of a room's history, newest last."""

    items = MessageSerializer(many=True)
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class PageQuerySerializer(LimitOffsetSerializer):
    """``?limit=&offset=`` of the chat lists (errors -> ``/query/<name>``)."""


class TicketSerializer(serializers.Serializer):
    """ChatTicket: an opaque single-use websocket ticket and its lifetime in seconds."""

    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class ChatFrameSerializer(serializers.Serializer):
    """A client's chat frame ``{"body": str}``; other keys are ignored."""

    body = StrictCharField(max_length=BODY_MAX_LENGTH, trim_whitespace=False)

    def validate_body(self, value: str) -> str:
        if not re.search(r"\S", value):
            raise serializers.ValidationError("This field may not be blank.")
        return value
