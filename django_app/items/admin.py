"""Admin UI for items.

Django's admin at ``/admin/`` (staff only, see ``users/admin.py``).
Items with their owner, searchable and filterable; attachments read-only (files are
uploaded through the API, which stores them under generated names).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from items.models import Attachment, Item


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ("filename", "content_type", "size", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "owner", "created_at")
    list_filter = ("owner",)
    search_fields = ("name", "description")
    ordering = ("created_at", "id")
    readonly_fields = ("id", "created_at", "updated_at")
    raw_id_fields = ("owner",)
    inlines = (AttachmentInline,)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("filename", "item", "content_type", "size", "created_at")
    search_fields = ("filename",)
    ordering = ("created_at", "id")
    readonly_fields = ("id", "item", "filename", "content_type", "size", "storage_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
