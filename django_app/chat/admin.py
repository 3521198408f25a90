"""Admin UI for chat rooms and messages.

Django's admin at ``/admin/`` (staff only): rooms searchable by name, messages read-only
(they are posted over the websocket and were broadcast as they are).
"""

from django.contrib import admin
from django.http import HttpRequest

from chat.models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    ordering = ("name",)
    readonly_fields = ("created_at",)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "room", "user", "body", "created_at")
    list_filter = ("room",)
    search_fields = ("body",)
    ordering = ("created_at", "id")
    readonly_fields = ("room", "user", "body", "created_at")
    list_select_related = ("room", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
