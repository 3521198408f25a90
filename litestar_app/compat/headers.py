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

from typing import TYPE_CHECKING, Any, Final

from litestar.datastructures import CacheControlHeader, MutableScopeHeaders
from litestar.routes import HTTPRoute

from compat.problems import http_exception_handler

if TYPE_CHECKING:
    from litestar import Request, Response
    from litestar.exceptions import MethodNotAllowedException
    from litestar.types import Message, Scope

SECURITY_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class CacheControl(CacheControlHeader):
    """``CacheControlHeader`` with the visibility directive first, as the contract spells it.

    Litestar renders directives in field order (``max-age=60, private``); same meaning,
    but the contract pins ``private, max-age=60``.
    """

    def _get_header_value(self) -> str:
        directives = super()._get_header_value().split(", ")
        first = [d for d in directives if d in ("private", "public")]
        return ", ".join(first + [d for d in directives if d not in first])


def method_not_allowed_handler(
    request: Request[Any, Any, Any], exc: MethodNotAllowedException
) -> Response[dict[str, Any]]:
    """405 problem with a sorted ``Allow`` (Litestar lists methods in registration order)."""
    headers = dict(exc.headers or {})
    allowed = {m.strip().upper() for m in headers.pop("allow", "").split(",") if m.strip()}
    headers["Allow"] = ", ".join(sorted(allowed))
    exc.headers = headers
    return http_exception_handler(request, exc)


async def security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: the security headers on every HTTP response (router 404s too)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message=message)
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


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
            if "allow" in headers:  # only the automatic handler's responses, not CORS preflights
                headers["Allow"] = ", ".join(sorted(app_route.methods))
            return


async def default_cache_control(message: Message, scope: Scope) -> None:
    """``before_send`` hook: ``Cache-Control: no-store`` on API and health error responses too.

    The app layer's ``cache_control`` only reaches handler responses; responses built by
    exception handlers (404, 401, 400, ...) get the same default here, unless already set.
    """
    path: str = scope.get("path", "")
    if message["type"] != "http.response.start" or not (
        path.startswith("/api/") or path.rstrip("/") == "/health"
    ):
        return
    headers = MutableScopeHeaders.from_message(message=message)
    headers.setdefault("Cache-Control", "no-store")


BEFORE_SEND: Final = (security_headers, correct_options_allow, default_cache_control)
"""The ``before_send`` hooks ``CompatPlugin`` adds (after the app's own)."""
