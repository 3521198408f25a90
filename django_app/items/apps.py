"""The items feature packaged for the framework: Django's app registry entry.

``ItemsConfig`` is what ``INSTALLED_APPS`` loads: it makes the models, migrations,
templates (``items/templates``), static files (``items/static``) and admin of this package
known to Django. Routes are not part of an AppConfig: ``config/urls.py`` includes
``items.urls`` (the Litestar twin, ``ItemsPlugin``, registers its routes itself).
"""

from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"
    verbose_name = "Items"
