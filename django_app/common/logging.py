"""Structured logs: one access line per request, JSON in production, text in development.

``LOG_FORMAT=json`` renders every log line (the access line and the standard-library
loggers: errors, Django, uvicorn) as one JSON object; ``LOG_FORMAT=console`` (the default)
as readable ``key=value`` text. Plain structlog (``configure_structlog``, called by the
settings) hands its events to the standard library's handlers (``ProcessorFormatter`` in
``LOGGING``), so both kinds of lines share one renderer, as in the Litestar app.

The access line (event ``request``) carries ``ACCESS_FIELDS`` on both apps. It is written
by ``AccessLogMiddleware``, the outermost middleware, so its duration covers the others
and its status is the one sent. Secret query values (``ticket=``) are redacted.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode

import structlog
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

if TYPE_CHECKING:
    from structlog.typing import Processor

LOG_FORMATS: Final = ("console", "json")
ACCESS_EVENT: Final = "request"
ACCESS_FIELDS: Final = ("request_id", "method", "path", "status", "duration_ms", "user_id")
"""The fields of the access line, the same on both apps."""
SECRET_QUERY_KEYS: Final = frozenset({"ticket"})
REDACTED: Final = "[redacted]"

access_logger = structlog.get_logger("common.access")

# Processors both apps run on every event (structlog's own and the standard library's).
SHARED_PROCESSORS: Final[list[Processor]] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def renderer(log_format: str) -> Processor:
    """JSON for machines (production), aligned text for people (development)."""
    if log_format == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


def redact_query(query: str) -> str:
    """The query string with the values of ``SECRET_QUERY_KEYS`` replaced."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(key, REDACTED if key.lower() in SECRET_QUERY_KEYS else value) for key, value in pairs],
        safe="[]/",
    )


def logged_path(path: str, query: str) -> str:
    """The path as logged: with its query string, secrets redacted."""
    redacted = redact_query(query)
    return f"{path}?{redacted}" if redacted else path


def logging_config(log_format: str, log_level: str) -> dict[str, Any]:
    """``LOGGING``: every standard-library record through structlog's renderer, to stdout."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}: {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    renderer(log_format),
                ],
            },
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "structlog",
            },
        },
        "root": {"handlers": ["stdout"], "level": log_level},
        # The access line is ours (uvicorn's is off in the harness; this covers `manage.py`
        # runners that have their own request lines).
        "loggers": {"django.server": {"level": "WARNING"}, "uvicorn.access": {"level": "WARNING"}},
    }


def configure_structlog() -> None:
    """structlog on top of the standard library (rendered by ``LOGGING``'s formatter)."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class AccessLogMiddleware(MiddlewareMixin):
    """One ``request`` event per request, once the response is built (every status).

    ``MiddlewareMixin`` keeps it usable under ASGI and WSGI alike (a plain callable class
    would make Django run the whole chain synchronously under ASGI).
    """

    def process_request(self, request: HttpRequest) -> None:
        request._access_log_start = time.perf_counter()  # type: ignore[attr-defined]

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        started: float = getattr(request, "_access_log_start", time.perf_counter())
        access_logger.info(
            ACCESS_EVENT,
            request_id=getattr(request, "request_id", None),
            method=request.method,
            path=logged_path(request.path, request.META.get("QUERY_STRING", "")),
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            user_id=_user_id(request),
        )
        return response


def _user_id(request: HttpRequest) -> str | None:
    """The authenticated user (session, or bearer through DRF), else ``None``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return str(user.pk)
