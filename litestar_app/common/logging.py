"""Structured logs: one access line per request, JSON in production, text in development.

``LOG_FORMAT=json`` renders every log line (the access line and the standard-library
loggers: errors, uvicorn) as one JSON object; ``LOG_FORMAT=console`` (the default) as
readable ``key=value`` text. structlog is set up through Litestar's ``StructlogPlugin``
and hands its events to the standard library's handlers (``ProcessorFormatter``), so both
kinds of lines share one renderer, as in the Django app.

The access line (event ``request``) carries ``ACCESS_FIELDS`` on both apps. It is written
by an ASGI wrapper around the app's handler, not by a Litestar middleware or hook: those
run only once a route matched, so 404 and 405 answers would go unlogged (Django's
middleware sees every request). Secret query values (``ticket=``) are redacted.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode

import structlog
from litestar.connection import ASGIConnection
from litestar.logging.config import LoggingConfig, StructLoggingConfig
from litestar.plugins import InitPluginProtocol
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from sqlalchemy import inspect

from common.middleware import get_request_id

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.config.app import AppConfig
    from litestar.types import ASGIApp, Message, Receive, Scope, Send
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
    """JSON for machines (production), aligned text for people (development).

    Tracebacks in the standard library's plain form, as in the Django app: structlog's
    default when ``rich`` is installed (it is, for Litestar's CLI) renders each frame's local
    variables (the ASGI scope with its ``Authorization`` and ``Cookie`` headers) and costs
    tens of milliseconds of CPU per traceback.
    """
    if log_format == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


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


def structlog_plugin(log_format: str, log_level: str) -> StructlogPlugin:
    """structlog on top of the standard library's handlers, rendered by ``log_format``."""
    stdlib_config = LoggingConfig(
        formatters={
            "standard": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    renderer(log_format),
                ],
            }
        },
        root={"level": log_level, "handlers": ["console"]},
        # common.errors logs unhandled exceptions itself (once, with the request id).
        log_exceptions="never",
    )
    config = StructLoggingConfig(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        standard_lib_logging_config=stdlib_config,
        log_exceptions="never",
    )
    # The plugin's own request/response logging writes two lines without a duration.
    return StructlogPlugin(
        StructlogConfig(structlog_logging_config=config, enable_middleware_logging=False)
    )


class AccessLog:
    """ASGI wrapper: one ``request`` event per HTTP request, after the response is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped every handler

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            access_logger.info(
                ACCESS_EVENT,
                request_id=get_request_id(ASGIConnection(scope)),
                method=scope.get("method"),
                path=logged_path(scope["path"], scope.get("query_string", b"").decode("latin-1")),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user_id=_user_id(scope),
            )


def _user_id(scope: Scope) -> str | None:
    """The authenticated user, else the session's (pages and /auth/* read the session)."""
    user = scope.get("user")
    # The identity map's key, not ``user.id``: after a rollback the instance is expired
    # and its session may be closed already (reading an attribute would query or fail).
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is not None and state.identity:
        return str(state.identity[0])
    session = scope.get("session")
    user_id = session.get("user_id") if isinstance(session, dict) else None
    return str(user_id) if user_id else None


class AccessLogPlugin(InitPluginProtocol):
    """Wraps the app's ASGI handler in ``AccessLog`` at start-up (outside the router)."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.on_startup.append(self.install)
        return app_config

    @staticmethod
    def install(app: Litestar) -> None:
        if not isinstance(app.asgi_handler, AccessLog):  # a test client may restart the app
            app.asgi_handler = AccessLog(app.asgi_handler)


def logging_plugins(log_format: str, log_level: str) -> list[Any]:
    """The plugins ``create_app`` adds: structlog and the access line."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}: {log_format!r}")
    logging.getLogger("uvicorn.access").disabled = True  # the access line is ours
    return [structlog_plugin(log_format, log_level), AccessLogPlugin()]
