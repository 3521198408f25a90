"""Middleware: X-Process-Time, request id and security headers.

Three mechanisms, in the order a request meets them (the security headers, the Host check
and the ``Allow`` / ``Cache-Control`` corrections are contract workarounds: ``compat/``):

1. ``ProcessTimeMiddleware``: a real ASGI middleware (``ASGIMiddleware``) because it must
   wrap the whole handler call to time it; ``exclude_path_pattern`` keeps it off ``/health``.
2. Request id lifecycle hooks: ``assign_request_id`` (``before_request``) stores the id on
   ``request.state``; ``log_request`` (``after_response``) writes one access-log line.
3. ``stamp_response_headers`` (``before_send``): adds ``X-Request-ID`` to the
   ``http.response.start`` message. It runs for *every* response, including
   404/405 raised by the router before any handler, middleware or hook is resolved, and
   error responses built by exception handlers; ``after_request`` would miss all of those
   (and it only sees the response, not the request).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Final

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

access_logger = logging.getLogger("items_api.access")

REQUEST_ID_HEADER: Final = "X-Request-ID"
PROCESS_TIME_HEADER: Final = "X-Process-Time"
# Contract: an incoming id is echoed only when it is 8..128 safe characters.
_VALID_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._-]{8,128}")


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


async def log_request(request: Request) -> None:
    """``after_response`` hook: one access-log line per handled request, with its id."""
    access_logger.info(
        "%s %s request_id=%s", request.method, request.url.path, get_request_id(request)
    )


async def stamp_response_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: ``X-Request-ID`` on every HTTP response."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message=message)
    headers[REQUEST_ID_HEADER] = get_request_id(ASGIConnection(scope))
