"""Admin UI for chat rooms and messages.

SQLAdmin views, added to the admin mounted at ``/admin`` (staff only, see
``users/admin.py``) by ``ChatPlugin``: rooms, and messages read-only (they are posted over
the websocket, which also broadcasts them).
"""

from typing import Any, ClassVar

from sqladmin import ModelView

from chat.models import Message, Room


class RoomAdmin(ModelView, model=Room):
    name = "Room"
    icon = "fa-solid fa-comments"
    column_list: ClassVar[Any] = [Room.name, Room.created_at]
    column_searchable_list: ClassVar[Any] = [Room.name]
    column_sortable_list: ClassVar[Any] = [Room.name, Room.created_at]
    column_default_sort: ClassVar[Any] = [(Room.name, False)]
    form_columns: ClassVar[Any] = [Room.name]


class MessageAdmin(ModelView, model=Message):
    name = "Message"
    icon = "fa-solid fa-comment"
    can_create = False
    can_edit = False
    column_list: ClassVar[Any] = [
        Message.id,
        Message.room_id,
        Message.user_id,
        Message.body,
        Message.created_at,
    ]
    column_searchable_list: ClassVar[Any] = [Message.body]
    column_default_sort: ClassVar[Any] = [(Message.created_at, True), (Message.id, True)]


ADMIN_VIEWS = (RoomAdmin, MessageAdmin)
