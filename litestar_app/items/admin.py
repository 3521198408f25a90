"""Admin UI for items.

SQLAdmin views, added by ``ItemsPlugin`` to the admin at ``/admin`` (staff only, see
``users/admin.py``).
Items with their owner, searchable and sortable; attachments read-only (files are
uploaded through the API, which stores them under generated names).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqladmin import ModelView

from items.models import Attachment, Item


class ItemAdmin(ModelView, model=Item):
    name = "Item"
    icon = "fa-solid fa-box"
    column_list: ClassVar[Any] = [Item.name, Item.price, Item.owner_id, Item.created_at]
    column_searchable_list: ClassVar[Any] = [Item.name, Item.description]
    column_sortable_list: ClassVar[Any] = [Item.name, Item.price, Item.created_at]
    column_default_sort: ClassVar[Any] = [(Item.created_at, False), (Item.id, False)]
    form_columns: ClassVar[Any] = [Item.name, Item.description, Item.price, Item.owner_id]


class AttachmentAdmin(ModelView, model=Attachment):
    name = "Attachment"
    icon = "fa-solid fa-paperclip"
    can_create = False
    can_edit = False
    column_list: ClassVar[Any] = [
        Attachment.filename,
        Attachment.item_id,
        Attachment.content_type,
        Attachment.size,
        Attachment.created_at,
    ]
    column_searchable_list: ClassVar[Any] = [Attachment.filename]
    column_default_sort: ClassVar[Any] = [(Attachment.created_at, False)]


ADMIN_VIEWS = (ItemAdmin, AttachmentAdmin)
