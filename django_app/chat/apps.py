"""The chat feature packaged for the framework: Django's app registry entry.

``ChatConfig`` is what ``INSTALLED_APPS`` loads: it makes the chat models, migrations and
admin known to Django. Routes are not part of an AppConfig: ``config/urls.py`` includes
``chat.urls`` (HTTP) and ``config/asgi.py`` includes ``chat.routing`` (websockets).
"""

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"
