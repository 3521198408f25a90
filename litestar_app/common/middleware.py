"""Middleware: X-Process-Time, request id and security headers.

Four mechanisms, in the order a request meets them:

1. ``ProcessTimeMiddleware``: a real ASGI middleware (``ASGIMiddleware``) because it must
   wrap the whole handler call to time it; ``exclude_path_pattern`` keeps it off ``/health``.
   ``AllowedHostsMiddleware`` rejects unknown ``Host`` headers with a 400 problem.
2. Request id lifecycle hook: ``assign_request_id`` (``before_request``) stores the id on
   ``request.state`` (the access line itself is written by ``common.logging.AccessLog``).
3. ``stamp_response_headers`` (``before_send``): adds ``X-Request-ID`` and the security
   headers to the ``http.response.start`` message. It runs for *every* response, including
   404/405 raised by the router before any handler, middleware or hook is resolved, and
   error responses built by exception handlers; ``after_request`` would miss all of those
   (and it only sees the response, not the request).
4. ``correct_options_allow`` (``before_send``): works around Litestar 2.x's automatic
   OPTIONS handler, which lists only the methods of the *first* handler registered for a
   path (litestar-org/litestar#4169, fixed in v3 only).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Final

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.routes import HTTPRoute

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER: Final = "X-Request-ID"
PROCESS_TIME_HEADER: Final = "X-Process-Time"
# Contract: an incoming id is echoed only when it is 8..128 safe characters.
_VALID_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._-]{8,128}")
SECURITY_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class ProcessTimeMiddleware(ASGIMiddleware):
    """Add ``X-Process-Time`` (seconds, 6 decimals) to every HTTP response but ``/health``."""

    scopes = (ScopeType.HTTP,)
    # Contract: health probes are polled constantly; their responses carry no timing header.
    exclude_path_pattern = r"^/health/?$"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()

        async def send_with_process_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message=message)
                headers[PROCESS_TIME_HEADER] = f"{time.perf_counter() - started:.6f}"
            await send(message)

        await next_app(scope, receive, send_with_process_time)


class AllowedHostsMiddleware(ASGIMiddleware):
    """Reject requests whose ``Host`` (port ignored) is not in ``ALLOWED_HOSTS``.

    Used instead of Litestar's ``AllowedHostsConfig``, which matches the header *with* its
    port (``127.0.0.1:8000`` never matches ``127.0.0.1``) and answers with its own JSON
    body rather than a problem. Entries follow Django's rules: exact host, ``.example.com``
    for the domain and its subdomains, ``*`` for anything.
    """

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, allowed_hosts: tuple[str, ...]) -> None:
        self.allow_any = "*" in allowed_hosts
        self.exact = frozenset(h.lower() for h in allowed_hosts if not h.startswith("."))
        self.suffixes = tuple(h.lower() for h in allowed_hosts if h.startswith("."))

    def is_allowed(self, host: str) -> bool:
        name = host.lower()
        if name.rfind(":") > name.rfind("]"):  # strip the port, also after "[::1]"
            name = name.rsplit(":", 1)[0]
        return (
            self.allow_any
            or name in self.exact
            or any(name.endswith(suffix) or name == suffix[1:] for suffix in self.suffixes)
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        host = MutableScopeHeaders(scope=scope).get("host", "")
        if not self.is_allowed(host):
            raise ClientException(detail="Invalid Host header.")
        await next_app(scope, receive, send)


def get_request_id(connection: ASGIConnection) -> str:
    """Return the connection's request id, choosing it on first use.

    A valid incoming ``X-Request-ID`` is reused unchanged; otherwise a new ``uuid4().hex``.
    The choice is kept in ``connection.state`` (backed by ``scope["state"]``) so the hook,
    exception handlers, log lines and the response header all agree.
    """
    state = connection.state
    request_id: str | None = state.get("request_id")
    if request_id is None:
        incoming = connection.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        state["request_id"] = request_id
    return request_id


async def assign_request_id(request: Request) -> None:
    """``before_request`` hook: fix the request id before the handler runs (handlers may log it)."""
    get_request_id(request)


async def stamp_response_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: ``X-Request-ID`` and security headers on every HTTP response."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message=message)
    headers[REQUEST_ID_HEADER] = get_request_id(ASGIConnection(scope))
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


async def correct_options_allow(message: Message, scope: Scope) -> None:
    """``before_send`` hook: give Litestar's automatic OPTIONS answer the path's full ``Allow``.

    Contract: ``OPTIONS`` -> 204 with every allowed method, sorted. The automatic handler is
    built when the first handler of a path is registered and never sees later ones (GET +
    POST on one path, or a HEAD companion), so the final route's methods are used instead.
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
