"""The items feature packaged for the framework: Django's app registry entry.

``ItemsConfig`` is what ``INSTALLED_APPS`` loads: it makes the models, migrations and
admin of this package known to Django (the page's template and static files live in the
project-level ``templates/items/`` and ``static/`` folders, see ``TEMPLATES`` and
``STATICFILES_DIRS``). Routes are not part of an AppConfig: ``config/urls.py`` includes
``items.urls`` (the Litestar twin, ``ItemsPlugin``, registers its routes itself).
"""

from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"
    verbose_name = "Items"
