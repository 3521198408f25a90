"""Websocket routes of the chat feature.

Channels routes websockets outside the URLconf: ``ProtocolTypeRouter`` (``config/asgi.py``)
hands them to this ``URLRouter`` (behind the Origin check). Unknown paths are refused
(HTTP 403) instead of failing the connection with a server error.
"""

from channels.security.websocket import WebsocketDenier
from django.urls import URLPattern, re_path

from chat.consumers import ChatConsumer, EchoConsumer

websocket_urlpatterns: list[URLPattern] = [
    re_path(r"^ws/echo/?$", EchoConsumer.as_asgi()),
    re_path(r"^ws/chat/(?P<room>[^/]+)/?$", ChatConsumer.as_asgi()),
    re_path(r"", WebsocketDenier.as_asgi()),
]
