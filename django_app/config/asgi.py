"""ASGI entry point: ``uvicorn config.asgi:application``.

Channels routes each connection by protocol: HTTP to Django, websockets to the chat
routes behind an Origin check (``ALLOWED_HOSTS`` rules; a refused handshake gets HTTP 403).
"""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Set up Django first: the websocket routes import consumers, which import models.
django_asgi_app = get_asgi_application()

from chat.routing import websocket_urlpatterns  # noqa: E402 (needs the app registry)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # No session middleware: chat sockets authenticate with a single-use ticket.
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
