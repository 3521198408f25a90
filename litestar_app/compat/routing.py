"""Contract shims: HEAD on every GET handler and on the docs pages.

CONTRACT decision 11: HEAD works on every GET resource with the GET's headers and no body. Litestar
answers 405 to HEAD unless a handler declares it, and one handler for both methods
(``@route(http_method=[GET, HEAD])``) gives HEAD the GET's operation id, which breaks
schema generation. So each GET gets a separate, hidden HEAD handler that runs the same
function with the same guards, dependencies and header settings; Litestar sends a HEAD
response without its body. (Django needs none of this: its views answer HEAD as GET.)
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from litestar import HttpMethod, Request, Response, route
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin

if TYPE_CHECKING:
    from collections.abc import Iterable

    from litestar.types import ControllerRouterHandler


def head_twin(handler: HTTPRouteHandler) -> HTTPRouteHandler:
    """A hidden HEAD handler running ``handler``'s function on the same paths."""
    return route(
        list(handler.paths),
        http_method=HttpMethod.HEAD,
        name=f"{handler.name}_head" if handler.name else None,
        include_in_schema=False,  # drf-spectacular leaves HEAD out of the schema too
        # Whatever shapes the GET's status and headers applies to HEAD as well.
        guards=handler.guards,
        opt=dict(handler.opt),  # e.g. exclude_from_auth
        dependencies=handler.dependencies,
        cache_control=handler.cache_control,
        media_type=handler.media_type,
        return_dto=handler.return_dto,
        response_headers=handler.response_headers,
        response_cookies=handler.response_cookies,
        status_code=handler.status_code,
        signature_namespace=handler.signature_namespace,
        sync_to_thread=None if inspect.iscoroutinefunction(handler.fn) else True,
    )(handler.fn)


def with_head(handlers: Iterable[ControllerRouterHandler]) -> list[ControllerRouterHandler]:
    """``handlers`` plus a :func:`head_twin` for each GET route handler among them."""
    result = list(handlers)
    result += [
        head_twin(handler)
        for handler in result
        if isinstance(handler, HTTPRouteHandler)
        and HttpMethod.GET in handler.http_methods
        and HttpMethod.HEAD not in handler.http_methods
    ]
    return result


# The OpenAPI plugin only registers GET handlers for the docs UIs and the JSON document.
# This renders the same page (same headers; the server drops the body) for whichever
# render plugin owns the path. ``CompatPlugin`` adds it to the schema router.
@route(
    ["/", "/openapi.json", "/swagger", "/redoc"],
    http_method=HttpMethod.HEAD,
    include_in_schema=False,
)
async def schema_head(request: Request[Any, Any, Any]) -> Response[bytes]:
    """HEAD companion of the schema and docs pages."""
    config = request.app.openapi_config
    assert config is not None  # this handler is only registered when OpenAPI is configured
    path = request.url.path.removeprefix(config.path or "").rstrip("/") or "/"
    plugin = next((p for p in config.render_plugins if p.has_path(path)), None)
    if plugin is None:  # "/" is the default UI; "/openapi.json" is Litestar's own JSON plugin
        plugin = (config.default_plugin if path == "/" else None) or JsonRenderPlugin()
    schema = request.app.openapi_schema.to_schema()
    return Response(plugin.render(request, schema), media_type=plugin.media_type)
