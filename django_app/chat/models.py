"""Chat rooms and their messages.

Integer keys (not the UUIDs of items/users): a message id is part of the wire format and
orders messages that share a timestamp. A room is addressed by its unique name.
"""

from django.conf import settings
from django.db import models


class Room(models.Model):
    """A named chat room; its name is the public key (``/ws/chat/<name>``)."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One message posted to a room; history is read by (created_at, id)."""

    id = models.BigAutoField(primary_key=True)
    room = models.ForeignKey(Room, on_delete=models.DB_CASCADE, related_name="messages")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="chat_messages"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = (
            models.Index(fields=("room", "created_at", "id"), name="chat_message_room_order_idx"),
        )

    def __str__(self) -> str:
        return f"{self.room_id}#{self.id}"
