"""URL map: mounts the health route, the API routers and the schema/docs UIs.

Litestar has no URLconf: ``route_handlers()`` returns what ``create_app`` registers, and
``schema_router()`` is the router ``OpenAPIConfig`` fills with the docs UIs. Feature
routers are added to ``api_v1`` (``/api/v1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import HttpMethod, Request, Response, Router, route
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.status_codes import HTTP_404_NOT_FOUND

from common.health import health_check, health_check_head
from common.testing_routes import test_router
from users.urls import session_handlers, users_router

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

    from config.settings import Settings

SCHEMA_PATH = "/api/schema"


def route_handlers(settings: Settings) -> list[ControllerRouterHandler]:
    """Everything mounted on the app; ``/_test`` only when ENABLE_TEST_ROUTES is on."""
    api_v1 = Router(path="/api/v1", route_handlers=[users_router])  # feature routers are added here
    handlers: list[ControllerRouterHandler] = [
        health_check,
        health_check_head,
        api_v1,
        *session_handlers,
    ]
    if settings.enable_test_routes:
        handlers.append(test_router)
    return handlers


# Contract: HEAD works on every GET, but the OpenAPI plugin only registers GET handlers for
# the docs UIs and the JSON document. This renders the same page (same headers; the server
# drops the body) for whichever render plugin owns the path.
@route(
    ["/", "/openapi.json", "/swagger", "/redoc"],
    http_method=HttpMethod.HEAD,
    include_in_schema=False,
)
async def schema_head(request: Request) -> Response[bytes]:
    """HEAD companion of the schema and docs pages."""
    config = request.app.openapi_config
    assert config is not None  # this router only exists when OpenAPI is configured
    path = request.url.path.removeprefix(SCHEMA_PATH).rstrip("/") or "/"
    plugin = next((p for p in config.render_plugins if p.has_path(path)), None)
    if plugin is None:  # "/" is the default UI; "/openapi.json" is Litestar's own JSON plugin
        plugin = (config.default_plugin if path == "/" else None) or JsonRenderPlugin()
    schema = request.app.openapi_schema.to_schema()
    return Response(plugin.render(request, schema), media_type=plugin.media_type)


def schema_not_found_as_problem(response: Response[Any]) -> Response[Any]:
    """``after_request`` of the schema router: its 404s become problem+json.

    Litestar's OpenAPI plugin registers a catch-all ``/api/schema/{path}`` handler that
    *returns* an HTML 404 page (it raises only for ``*.json``/``*.yaml``), so no exception
    handler sees it. Raising here hands it to ``common.errors`` like any other 404.
    """
    if response.status_code == HTTP_404_NOT_FOUND:
        raise NotFoundException
    return response


def schema_router() -> Router:
    """The router ``OpenAPIConfig`` adds its schema and docs UI handlers to."""
    return Router(
        path=SCHEMA_PATH,
        route_handlers=[schema_head],
        include_in_schema=False,
        after_request=schema_not_found_as_problem,
    )
