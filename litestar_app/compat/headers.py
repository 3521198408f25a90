"""Contract shims: response headers the contract pins.

CONTRACT decisions 11 (405 ``Allow``, OPTIONS 204 with the exact ``Allow``), 16 (the same
security headers on every response), 17 (layered ``Cache-Control``) and 21 (header policy).
Litestar sorts nothing, lists only the first handler's methods in its automatic OPTIONS
answer, applies ``cache_control`` to handler responses only, renders ``Cache-Control``
directives in its own order and has no security-headers middleware (Django's
``SecurityMiddleware``). ``compat.CompatPlugin`` registers the hooks and the 405 handler;
controllers use :class:`CacheControl` where they would use ``CacheControlHeader``.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Final

from litestar.datastructures import CacheControlHeader, MutableScopeHeaders
from litestar.routes import HTTPRoute

from compat.edges import EDGE_ANSWER
from compat.problems import http_exception_handler

if TYPE_CHECKING:
    from litestar import Litestar, Request, Response
    from litestar.exceptions import MethodNotAllowedException
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

# contract-shim: 16 (the same security headers on every response)
SECURITY_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Django's SecurityMiddleware default (decision 21 pins it on every response).
    "Cross-Origin-Opener-Policy": "same-origin",
}


NO_DEFAULT_CACHE_CONTROL: Final = ("/static/", "/admin")
"""Paths whose answers keep their own ``Cache-Control`` (none by default)."""
SESSION_PAGES: Final = re.compile(
    r"/items(/new|/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/(page|edit))?"
)
"""The pages whose every answer is ``private, no-store`` (Django's ``PageView`` and form
pages: their 405 and OPTIONS answers included). Only the canonical id spelling: Django's URL
pattern matches no other, so another spelling is the resolver's 404 with plain ``no-store``."""
SCHEMA_DOCUMENT: Final = re.compile(r"/api/schema/openapi\.json/?")


# contract-shim: 17 (a layered Cache-Control, errors no-store)
class CacheControl(CacheControlHeader):
    """``CacheControlHeader`` with the visibility directive first, as the contract spells it.

    Litestar renders directives in field order (``max-age=60, private``); same meaning,
    but the contract pins ``private, max-age=60``.
    """

    def _get_header_value(self) -> str:
        directives = super()._get_header_value().split(", ")
        first = [d for d in directives if d in ("private", "public")]
        return ", ".join(first + [d for d in directives if d not in first])


# contract-shim: 11 (405 carries a sorted Allow)
def method_not_allowed_handler(
    request: Request[Any, Any, Any], exc: MethodNotAllowedException
) -> Response[dict[str, Any]]:
    """405 problem with a sorted ``Allow`` (Litestar lists methods in registration order)."""
    headers = dict(exc.headers or {})
    allowed = {m.strip().upper() for m in headers.pop("allow", "").split(",") if m.strip()}
    headers["Allow"] = ", ".join(sorted(allowed))
    exc.headers = headers
    return http_exception_handler(request, exc)


# contract-shim: 16 (security headers on every response, errors included)
async def security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: the security headers on every HTTP response (router 404s too)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message=message)
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


# contract-shim: 11 (OPTIONS answers 204 with the exact Allow)
async def correct_options_allow(message: Message, scope: Scope) -> None:
    """``before_send`` hook: give Litestar's automatic OPTIONS answer the path's full ``Allow``.

    Works around Litestar 2.x's automatic OPTIONS handler, which is built when the first
    handler of a path is registered and never sees later ones (GET + POST on one path, or a
    HEAD companion): litestar-org/litestar#4169, fixed in v3 only. The final route's
    methods are used instead, sorted.
    """
    if (
        message["type"] != "http.response.start"
        or scope.get("method") != "OPTIONS"
        or (handler := scope.get("route_handler")) is None
    ):
        return
    for app_route in scope["litestar_app"].routes:
        if isinstance(app_route, HTTPRoute) and handler in app_route.route_handlers:
            headers = MutableScopeHeaders.from_message(message=message)
            # The automatic handler's answers, and the authentication's 401 to an OPTIONS with
            # a bad token (DRF's 401 carries the view's Allow: pinned on every OPTIONS answer).
            if "allow" in headers or message["status"] == 401:
                headers["Allow"] = ", ".join(sorted(app_route.methods))
            return


# contract-shim: 17 (Cache-Control on every response)
async def default_cache_control(message: Message, scope: Scope) -> None:
    """``before_send`` hook: ``Cache-Control: no-store`` on every answer, errors included.

    The app layer's ``cache_control`` only reaches handler responses; responses built by
    exception handlers (404, 401, 400, 500, the router's own 404/405) get the same default
    here, unless already set. Static files and the admin keep their own.
    """
    path: str = scope.get("path", "")
    if message["type"] != "http.response.start" or path.startswith(NO_DEFAULT_CACHE_CONTROL):
        return
    headers = MutableScopeHeaders.from_message(message=message)
    # Django's ``cache_control`` decorator on ``PageView.dispatch`` covers its OPTIONS and 405
    # answers too; Litestar's automatic OPTIONS handler (the app layer's ``no-store``) and 405
    # skip the route's own.
    edge = scope.get("state", {}).get(EDGE_ANSWER)  # Host refusals, CORS preflights: no page
    if (
        not edge
        and SESSION_PAGES.fullmatch(path)
        and headers.get("cache-control") in (None, "no-store")
    ):
        headers["Cache-Control"] = "private, no-store"
    headers.setdefault("Cache-Control", "no-store")
    if SCHEMA_DOCUMENT.fullmatch(path):
        # drf-spectacular's document view: negotiated (Vary: Accept), named for download.
        add_vary(headers, "Accept")
        if message["status"] == 200:
            headers.setdefault("Content-Disposition", 'inline; filename="Items API.json"')


STATIC_PREFIX: Final = "/static/"
STATIC_SERVED: Final = frozenset({200, 206, 304})
"""Static file answers WhiteNoise gives itself (a missing file falls through to Django)."""
_STARTED: Final = "compat.headers.started"
PROCESS_TIME_HEADER: Final = "X-Process-Time"
HEALTH_PATHS: Final = frozenset({"/health", "/health/"})
"""Django's ``PROCESS_TIME_EXCLUDED_PATHS``: ``/health//`` is an odd path, timed like any."""


# contract-shim: 21 (Vary: Origin wherever Django's CorsMiddleware runs)
async def vary_on_origin(message: Message, scope: Scope) -> None:
    """``before_send`` hook: ``Vary: Origin`` on every answer but served static files.

    django-cors-headers adds it to every response it sees (every one but WhiteNoise's static
    files), whether or not the request had an ``Origin``; Litestar's CORS middleware only when
    it had one. The CORS headers themselves stay Litestar's.
    """
    if message["type"] != "http.response.start":
        return
    if scope.get("path", "").startswith(STATIC_PREFIX) and message["status"] in STATIC_SERVED:
        return
    if scope.get("state", {}).get(EDGE_ANSWER):  # the edge guard's 404/400: above CORS
        return
    add_vary(MutableScopeHeaders.from_message(message=message), "Origin")


def add_vary(headers: MutableScopeHeaders, token: str) -> None:
    """Add ``token`` to ``Vary`` unless present (case-insensitive), like Django's
    ``patch_vary_headers``: one header, tokens joined by ", "."""
    present = [v.strip() for v in (headers.get("vary") or "").split(",") if v.strip()]
    if token.lower() in {v.lower() for v in present}:
        return
    headers["Vary"] = ", ".join([*present, token])


# contract-shim: 21 (API answers carry no validators, as DRF's)
async def no_validators_on_api(message: Message, scope: Scope) -> None:
    """``before_send`` hook: no ``ETag`` / ``Last-Modified`` on ``/api/`` answers.

    Litestar's ``File`` response always adds both (attachment downloads); Django's
    ``FileResponse`` and DRF add neither and answer conditional requests with 200. The
    contract pins Django's answer (nothing to revalidate on private downloads).
    """
    if message["type"] != "http.response.start" or not scope.get("path", "").startswith("/api/"):
        return
    headers = MutableScopeHeaders.from_message(message=message)
    for name in ("etag", "last-modified"):
        if name in headers:
            del headers[name]


# contract-shim: 17 (X-Process-Time on every response but /health, router 404/405 included)
async def process_time_fallback(message: Message, scope: Scope) -> None:
    """``before_send`` hook: ``X-Process-Time`` where ``ProcessTimeMiddleware`` did not run.

    Litestar builds middleware per route: the router's own 404/405 and errors raised by an
    outer middleware (authentication, CSRF) bypass it, while Django's middleware wraps URL
    resolution. The time is measured from :func:`time_every_request`'s start stamp.
    """
    if message["type"] != "http.response.start" or scope.get("path", "") in HEALTH_PATHS:
        return
    started = scope.get("state", {}).get(_STARTED)
    headers = MutableScopeHeaders.from_message(message=message)
    if started is not None and PROCESS_TIME_HEADER not in headers:
        headers[PROCESS_TIME_HEADER] = f"{time.perf_counter() - started:.6f}"


# contract-shim: 17 (X-Process-Time on every response: the start of each request)
def time_every_request(app: Litestar) -> None:
    """``on_startup`` hook: stamp each HTTP request's start before Litestar routes it.

    Litestar has no app-level middleware around its router; this wraps the app's ASGI
    handler (exception handling, CORS and routing) once, at startup.
    """
    inner: ASGIApp = app.asgi_handler

    async def timed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})[_STARTED] = time.perf_counter()  # type: ignore[typeddict-item]
        await inner(scope, receive, send)

    app.asgi_handler = timed


BEFORE_SEND: Final = (
    security_headers,
    correct_options_allow,
    default_cache_control,
    vary_on_origin,
    no_validators_on_api,
    process_time_fallback,
)
"""The ``before_send`` hooks ``CompatPlugin`` adds (after the app's own)."""
