"""Middleware: X-Process-Time, request id and security headers.

Order in ``settings.MIDDLEWARE`` (mirrors the Litestar app): process time, request id, then
security headers, which come from Django's own middleware and need no code here:
``SecurityMiddleware`` (X-Content-Type-Options, Referrer-Policy) and
``XFrameOptionsMiddleware`` (X-Frame-Options). Both run on error responses too, because
Django turns exceptions into responses inside every middleware layer.

Both classes use ``MiddlewareMixin``, so they run natively under ASGI and WSGI.
"""

import logging
import re
import uuid
from time import perf_counter

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

access_log = logging.getLogger("common.access")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is echoed only when it is safe to log and to send back.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
# The health check is polled constantly; the contract keeps timing headers off it.
PROCESS_TIME_EXCLUDED_PATHS = frozenset({"/health", "/health/"})


class ProcessTimeMiddleware(MiddlewareMixin):
    """Add ``X-Process-Time: <seconds>`` to every response except the health check's."""

    def process_request(self, request: HttpRequest) -> None:
        request._process_time_start = perf_counter()  # type: ignore[attr-defined]

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        started = getattr(request, "_process_time_start", None)
        if started is not None and request.path not in PROCESS_TIME_EXCLUDED_PATHS:
            response["X-Process-Time"] = f"{perf_counter() - started:.6f}"
        return response


class RequestIdMiddleware(MiddlewareMixin):
    """Set ``request.request_id`` and echo it as ``X-Request-ID``; log one access line.

    Django has no per-request hook API besides middleware and the request signals, so the
    Litestar app's before_request / after_request / after_response hooks live here.
    """

    def process_request(self, request: HttpRequest) -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = (  # type: ignore[attr-defined]
            incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        )

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        request_id: str = getattr(request, "request_id", None) or uuid.uuid4().hex
        response[REQUEST_ID_HEADER] = request_id
        access_log.info(
            "%s %s %s request_id=%s",
            request.method,
            request.get_full_path(),
            response.status_code,
            request_id,
        )
        return response
