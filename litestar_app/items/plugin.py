"""The items feature packaged for the framework: a Litestar ``InitPluginProtocol`` plugin.

``ItemsPlugin`` registers everything the feature needs on the app config at start-up: the
API router (``/api/v1``, with its dependencies), the HTML pages, the
Jinja template configuration and the admin views. ``config/asgi.py`` only lists the plugin
(the Django twin is ``items/apps.py``: ``ItemsConfig`` in ``INSTALLED_APPS`` plus
``include()`` in the URLconf).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqladmin_litestar_plugin import SQLAdminPlugin

from common.pages import human_datetime
from config.settings import BASE_DIR
from items.admin import ADMIN_VIEWS
from items.urls import api_router, page_handlers

if TYPE_CHECKING:
    from litestar.config.app import AppConfig


def register_filters(engine: JinjaTemplateEngine) -> None:
    """Template filters of the pages (Django's built-in ``date`` filter has no Jinja twin)."""
    engine.engine.filters["human_datetime"] = human_datetime


class ItemsPlugin(InitPluginProtocol):
    """Routes, dependencies and templates of the items feature."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend([api_router, *page_handlers])
        # Admin views join the SQLAdmin app the users feature mounts (if it is installed).
        for plugin in app_config.plugins:
            if isinstance(plugin, SQLAdminPlugin):
                for view in ADMIN_VIEWS:
                    plugin.admin.add_view(view)
        if app_config.template_config is None:
            app_config.template_config = TemplateConfig(
                directory=BASE_DIR / "templates",
                engine=JinjaTemplateEngine,
                engine_callback=register_filters,
            )
        return app_config
