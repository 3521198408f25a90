"""ASGI entry point: ``uvicorn config.asgi:application``.

Channels routes each connection by protocol; websocket routes arrive with the chat issue.
"""

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Set up Django first: websocket routes (later) import consumers, which import models.
django_asgi_app = get_asgi_application()

application = ProtocolTypeRouter({"http": django_asgi_app})
