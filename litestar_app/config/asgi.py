"""ASGI entry point: ``uvicorn config.asgi:application``.

``create_app()`` is the application factory (tests call it with their own ``Settings``);
``application`` is the instance uvicorn and the ``litestar`` CLI load. Configuration is
layered: what is set here (app layer) applies to every router, controller and handler
unless a lower layer overrides it.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components

from chat.plugin import ChatPlugin
from common.db import RequestSQLAlchemyConfig, create_engine_config
from common.errors import EXCEPTION_HANDLERS, JSON_MAX_BYTES
from common.logging import logging_plugins
from common.middleware import (
    ProcessTimeMiddleware,
    assign_request_id,
    stamp_response_headers,
)
from common.stores import create_redis, create_stores, redis_lifespan
from compat import CompatPlugin
from config.settings import BASE_DIR, Settings
from config.urls import SCHEMA_PATH, route_handlers, schema_router
from items.plugin import ItemsPlugin
from users.auth import SECURITY_SCHEMES
from users.plugin import UsersPlugin


@asynccontextmanager
async def app_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Fill app state at startup (``started_at``, reported by ``/health``)."""
    app.state.started_at = datetime.now(UTC)
    yield


def create_sqlalchemy_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    """advanced-alchemy config: engine, per-request session, Alembic (never ``create_all``)."""
    config_class = RequestSQLAlchemyConfig if settings.is_postgres else SQLAlchemyAsyncConfig
    return config_class(
        connection_string=settings.database_url,
        engine_config=create_engine_config(settings),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # Commit the request's session on 2xx/3xx, roll back otherwise, before responding.
        before_send_handler="autocommit",
        create_all=False,  # the schema is owned by Alembic migrations
        alembic_config=AlembicAsyncConfig(script_location=str(BASE_DIR / "migrations")),
        # errors are rendered by common.errors (problem+json), not advanced-alchemy's default.
        set_default_exception_handler=False,
    )


SWAGGER_UI_VERSION = "5.33.1"
REDOC_VERSION = "2.5.4"
"""Docs UI bundles vendored under static/vendor/ (see its README): no CDN, works offline."""
_VENDOR = "/static/vendor"
_SWAGGER = f"{_VENDOR}/swagger-ui-dist-{SWAGGER_UI_VERSION}"
_FAVICON = f"<link rel='icon' type='image/png' href='{_SWAGGER}/favicon-32x32.png'>"


def create_openapi_config() -> OpenAPIConfig:
    """OpenAPI 3.1 at /api/schema/openapi.json, Swagger UI and ReDoc next to it."""
    return OpenAPIConfig(
        title="Items API",
        version="1.0.0",
        path=SCHEMA_PATH,
        openapi_router=schema_router(),
        # The first plugin also answers /api/schema itself; the JSON document is added by
        # Litestar at /api/schema/openapi.json because no plugin claims that path.
        render_plugins=[
            SwaggerRenderPlugin(
                path="/swagger",
                js_url=f"{_SWAGGER}/swagger-ui-bundle.js",
                css_url=f"{_SWAGGER}/swagger-ui.css",
                standalone_preset_js_url=f"{_SWAGGER}/swagger-ui-standalone-preset.js",
                favicon=_FAVICON,
            ),
            RedocRenderPlugin(
                path="/redoc",
                js_url=f"{_VENDOR}/redoc-{REDOC_VERSION}/redoc.standalone.js",
                google_fonts=False,
                favicon=_FAVICON,
            ),
        ],
        components=Components(security_schemes=SECURITY_SCHEMES),
    )


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the Litestar application from ``settings`` (default: the environment)."""
    settings = settings or Settings.from_env()
    settings.check()  # refuses unsafe production settings before anything is built
    redis = create_redis(settings)  # one client (or None) for every Redis user of the app
    return Litestar(
        route_handlers=route_handlers(settings),
        plugins=[
            SQLAlchemyPlugin(config=create_sqlalchemy_config(settings)),
            # The contract workarounds (compat/), first: its middleware precedes the features'.
            CompatPlugin(settings),
            # One registration line per feature. UsersPlugin mounts the admin the others
            # add views to, so it comes first.
            UsersPlugin(settings),
            ItemsPlugin(),
            ChatPlugin(settings, redis),
            # structlog (LOG_FORMAT: console | json) and one access line per request.
            *logging_plugins(settings.log_format, settings.log_level),
        ],
        # Layer 1 of Cache-Control: every response unless a router/controller/handler says.
        cache_control=CacheControlHeader(no_store=True),
        openapi_config=create_openapi_config(),
        # Contract: CORS only for listed origins (CORSConfig's own default is "*").
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins))
        if settings.cors_origins
        else None,
        exception_handlers=EXCEPTION_HANDLERS,
        # Contract for every JSON endpoint: body over 1 MiB -> 413 (upload routes set their
        # own, larger limit).
        request_max_body_size=JSON_MAX_BYTES,
        middleware=[ProcessTimeMiddleware()],
        stores=create_stores(redis),
        before_request=assign_request_id,
        before_send=[stamp_response_headers],
        state=State({"settings": settings, "redis": redis}),
        # Lifespans exit in reverse order: the Redis client is closed after its users.
        lifespan=[redis_lifespan, app_lifespan],
        debug=settings.debug,
    )


application = create_app()
