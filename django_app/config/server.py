"""Hardened serving: uvicorn with header/body read timeouts, a header size limit and redacted logs.

uvicorn has no header-read timeout (its keep-alive timer starts only after a first response,
so a silent socket or a slowloris client is held forever), no header size limit with its
default httptools parser, and ``--limit-concurrency`` answers a plain-text 503 that also
counts idle keep-alive connections. :class:`HardenedHttpToolsProtocol` adds what is missing,
at the only level where it can be done (an ASGI app is called after the headers are read):

* ``HTTP_HEADER_TIMEOUT`` (10 s): a connection must deliver a request's complete headers
  within it (silent sockets included), else it is closed;
* ``HTTP_BODY_TIMEOUT`` (30 s): at most this long without a body byte while a request body is
  expected (not counted while the app itself has paused reading), else the connection is closed;
* ``HTTP_MAX_HEADER_BYTES`` (16 KiB, h11's default): request line + headers over it answer
  ``431`` and close;
* ``HTTP_MAX_IN_FLIGHT`` (100): more requests in progress in this process answer ``503``
  problem+json with ``Retry-After: 1`` instead of queueing without bound (open websockets
  are not requests in progress: a crowded chat room does not count).

``ticket=`` values (single-use chat credentials) are redacted from uvicorn's log lines (the
websocket ``[accepted]`` line carries the query string). The run command, for every deployment
(Makefile, Dockerfile, contract harness)::

    uvicorn config.asgi:application --http config.server:HardenedHttpToolsProtocol \\
        --timeout-keep-alive 5 --backlog 2048 --timeout-graceful-shutdown 10

or ``python -m config.server`` (the same options; ``HOST``, ``PORT``, ``WEB_CONCURRENCY``).
This file is identical in both apps: it is about the server, not the framework.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_S = float(os.environ.get("HTTP_HEADER_TIMEOUT", "10"))
BODY_TIMEOUT_S = float(os.environ.get("HTTP_BODY_TIMEOUT", "30"))
MAX_HEADER_BYTES = int(os.environ.get("HTTP_MAX_HEADER_BYTES", str(16 * 1024)))
MAX_IN_FLIGHT = int(os.environ.get("HTTP_MAX_IN_FLIGHT", "100"))
#: This process's HTTP request tasks (not its websockets): what ``MAX_IN_FLIGHT`` bounds.
_HTTP_TASKS: set[asyncio.Task[None]] = set()
#: uvicorn options that go with the protocol (``python -m config.server`` and the docs).
UVICORN_OPTIONS: dict[str, Any] = {
    "http": "config.server:HardenedHttpToolsProtocol",
    "timeout_keep_alive": 5,
    "backlog": 2048,
    "timeout_graceful_shutdown": 10,
}

_TICKET = re.compile(r"(ticket=)[^&\s\"']+")


class RedactTickets(logging.Filter):
    """Replace ``ticket=<value>`` in a record's message with ``ticket=[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "ticket=" in message:
            record.msg, record.args = _TICKET.sub(r"\1[redacted]", message), ()
        return True


def install_log_redaction() -> None:
    """Attach :class:`RedactTickets` to uvicorn's loggers (idempotent)."""
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTickets) for f in logger.filters):
            logger.addFilter(RedactTickets())


# uvicorn imports this module (``--http config.server:...``) after configuring its logging.
install_log_redaction()


def _overloaded_body(path: str) -> bytes:
    return json.dumps(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "The server is at capacity; retry shortly.",
            "instance": path,
        }
    ).encode()


async def overloaded(scope: Any, receive: Any, send: Any) -> None:
    """503 problem+json + ``Retry-After`` for a request past ``HTTP_MAX_IN_FLIGHT``."""
    body = _overloaded_body(scope["path"])
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _HeadersTooLarge(Exception):
    pass


class HardenedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus read timeouts, a header size limit, an in-flight bound."""

    _timer: asyncio.TimerHandle | None = None
    _header_bytes = 0

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _header_timeout(self) -> None:
        self._timer = None
        self.logger.info("closing a connection that sent no complete headers in time")
        self.transport.close()

    def _body_timeout(self) -> None:
        self._timer = None
        if self.flow.read_paused:  # the app is not reading: not the client's fault
            self._arm(BODY_TIMEOUT_S, self._body_timeout)
            return
        self.logger.info("closing a connection whose request body stalled")
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADER_TIMEOUT_S, self._header_timeout)  # a silent socket is cut off too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadersTooLarge) or self._header_bytes > (
                MAX_HEADER_BYTES
            ):
                self._disarm()
                self.logger.warning("Request headers too large.")
                self._send_and_close(431, "Request header fields too large.")
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _send_and_close(self, status: int, msg: str) -> None:
        reason = {431: b"Request Header Fields Too Large"}.get(status, b"Error")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (status, reason, len(msg), msg.encode())
        )
        self.transport.close()

    def _count(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > MAX_HEADER_BYTES:
            raise _HeadersTooLarge

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm(HEADER_TIMEOUT_S, self._header_timeout)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        upgrade = self.parser.should_upgrade() and self._should_upgrade()
        if not upgrade:
            self._arm(BODY_TIMEOUT_S, self._body_timeout)
        if not upgrade and self._http_in_flight() >= MAX_IN_FLIGHT:
            self.logger.warning("More than %d requests in flight: 503", MAX_IN_FLIGHT)
            app, self.app = self.app, overloaded
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            return
        if upgrade:
            super().on_headers_complete()
            return
        before = set(self.tasks)
        super().on_headers_complete()
        for task in self.tasks - before:  # the request's task (not started yet if pipelined)
            _HTTP_TASKS.add(task)
            task.add_done_callback(_HTTP_TASKS.discard)

    def _http_in_flight(self) -> int:
        """HTTP requests in progress (``_HTTP_TASKS``): uvicorn's own task set also holds one
        task per open websocket, and a crowded chat room must not make the API answer 503."""
        return len(_HTTP_TASKS)

    def on_body(self, body: bytes) -> None:
        if self._timer is not None:
            self._arm(BODY_TIMEOUT_S, self._body_timeout)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def main() -> None:
    """Serve ``config.asgi:application`` with the hardened options (container entry point)."""
    import uvicorn

    uvicorn.run(
        "config.asgi:application",
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        workers=int(os.environ.get("WEB_CONCURRENCY", "1")),
        **UVICORN_OPTIONS,
    )


if __name__ == "__main__":
    main()
