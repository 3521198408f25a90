"""Routes of the chat feature (HTTP; the websocket routes are in ``chat.routing``).

``api_urlpatterns`` are mounted under ``/api/v1`` by ``config/urls.py``; ``page_urlpatterns``
(the HTML chat page) at the root. Each route accepts an optional trailing slash.
"""

from django.urls import URLPattern, URLResolver, re_path

from chat.api import MessageListView, RoomListView, TicketView
from chat.pages import chat_page

api_urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^chat/rooms/?$", RoomListView.as_view(), name="chat-rooms"),
    re_path(
        r"^chat/rooms/(?P<room>[^/]+)/messages/?$",
        MessageListView.as_view(),
        name="chat-messages",
    ),
    re_path(r"^chat/tickets/?$", TicketView.as_view(), name="chat-tickets"),
]

page_urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^chat/?$", chat_page, name="chat-page"),
]
