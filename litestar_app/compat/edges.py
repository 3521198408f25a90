"""Contract shims at the HTTP edge: odd paths, the Host header, chunked bodies, static, CORS.

CONTRACT.md "Paths, hosts and framing (v2: 26-27)" and "Static files, pages and CORS".
Litestar routes on a normalised path (``//api/v1/items`` and ``/api/v1/items%2F`` are the
item list), raises its router 404/405 before any middleware runs (so a foreign Host on an
unknown path is a 404), answers CORS preflights 204/400 text from ``CORSMiddleware`` with its
own header lists (and ``Access-Control-Allow-Methods: *`` on simple responses), and its static
files router has no conditional GET and no ``Content-Type`` on HEAD. Django's answers:

* :class:`EdgeGuard` wraps the whole ASGI handler (outside routing, like Django's
  middleware): odd path -> 404, missing / repeated / foreign Host -> 400, the docs root -> 404,
  then django-cors-headers' CORS rules (preflight 204 or 403 problem+json, ``Vary: Origin``).
  ``CompatPlugin`` installs it at startup (``Litestar.asgi_handler`` exists only once the app
  is built) and hands it the ``cors_config`` Litestar would otherwise serve itself.
* :class:`StaticFilesMiddleware`: 304 for ``If-None-Match`` / ``If-Modified-Since`` and the
  GET's ``Content-Type`` on HEAD (WhiteNoise's rules).

Chunked request bodies need nothing: Litestar reads them and applies ``request_max_body_size``.
"""

from __future__ import annotations

import json
import mimetypes
import re
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware

from compat.hosts import AllowedHostsMiddleware

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.config.cors import CORSConfig
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

ENCODED_SEPARATOR: Final = re.compile(r"%(2f|5c)", re.IGNORECASE)
NO_DOCUMENT: Final = frozenset({"/api/schema", "/api/schema/"})
# django-cors-headers' defaults (CORS_ALLOW_METHODS, CORS_ALLOW_HEADERS, CORS_PREFLIGHT_MAX_AGE)
CORS_ALLOW_METHODS: Final = "DELETE, GET, OPTIONS, PATCH, POST, PUT"
CORS_ALLOW_HEADERS: Final = (
    "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with"
)
CORS_MAX_AGE: Final = "86400"
STATIC_PREFIX: Final = b"/static/"
"""Scope state flag: the guard answered before the CORS layer (no ``Vary: Origin``)."""


def is_odd_path(path: str) -> bool:
    """An empty segment, an encoded slash/backslash, a backslash or a dot segment."""
    if ENCODED_SEPARATOR.search(path) or "\\" in path:
        return True
    segments = unquote(path, encoding="latin-1").split("/")[1:]
    if "" in segments[:-1]:  # "//" anywhere; a single trailing "/" stays the route's business
        return True
    return any(segment in (".", "..") for segment in segments)


def problem_bytes(status: int, instance: str, detail: str | None = None) -> bytes:
    phrase = HTTPStatus(status).phrase
    body = {
        "type": "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail or phrase,
        "instance": instance,
    }
    return json.dumps(body, separators=(",", ":")).encode()


async def send_problem(
    send: Send,
    status: int,
    instance: str,
    extra: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
) -> None:
    body = problem_bytes(status, instance)
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


EDGE_ANSWER: Final = "compat.edges.answer"
"""Scope state flag: the answer is the edge guard's own 404/400 (before CORS: no Vary)."""


def mark_edge_answer(scope: Scope) -> None:
    """Django's ``EdgeMiddleware`` answers above ``CorsMiddleware``: no ``Vary: Origin``."""
    scope.setdefault("state", {})[EDGE_ANSWER] = True  # type: ignore[typeddict-item]


def add_vary_origin(headers: MutableScopeHeaders) -> None:
    current = headers.get("vary")
    tokens = [t.strip() for t in (current or "").split(",") if t.strip()]
    if "origin" not in {t.lower() for t in tokens}:
        headers["Vary"] = ", ".join([*tokens, "Origin"])


# contract-shim: 27 (framing: an answer only once the whole request body arrived)
def whole_body_first(receive: Receive, send: Send) -> tuple[Receive, Send]:
    """Hold the answer until the request body has been received in full (then discard it).

    Django's ASGI handler reads the whole body before any middleware runs, so every answer
    (401, 413, ...) follows the last byte, and a body shorter than its ``Content-Length`` is
    never answered. Litestar answers as soon as it can: the server then closes the socket
    with unread bytes in it, the kernel resets the connection, and the client (still
    sending) loses the answer. The rest of the body is read and dropped before the answer.
    """
    done = False

    async def tracking_receive() -> Message:
        nonlocal done
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            done = True
        return message  # type: ignore[return-value]

    async def draining_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            while not done:
                await tracking_receive()
        await send(message)

    return tracking_receive, draining_send  # type: ignore[return-value]


# contract-shim: 26 (odd paths 404), Host (400 before routing), docs root 404, CORS (v2 edges)
class EdgeGuard:
    """The checks Django's middleware makes before URL resolution, then CORS."""

    def __init__(self, app: ASGIApp, hosts: AllowedHostsMiddleware, cors: CORSConfig | None):
        self.app = app
        self.hosts = hosts
        self.cors_origins = frozenset(cors.allow_origins) if cors is not None else frozenset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        receive, send = whole_body_first(receive, send)
        raw = scope.get("raw_path") or scope["path"].encode()
        path: str = scope["path"]
        if is_odd_path(raw.decode("latin-1").split("?", 1)[0]):
            mark_edge_answer(scope)  # Django's EdgeMiddleware answers above django-cors-headers
            await send_problem(send, 404, path)
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) != 1 or not self.hosts.is_allowed(hosts[0].decode("latin-1")):
            mark_edge_answer(scope)
            await send_problem(send, 400, path)
            return
        if path in NO_DOCUMENT:  # Django's URL resolver, below CORS: Vary (vary_on_origin)
            await send_problem(send, 404, path)
            return
        await self.cors(scope, receive, send)

    async def cors(self, scope: Scope, receive: Receive, send: Send) -> None:
        """django-cors-headers' rules (only the origin is checked)."""
        request_headers = dict(scope["headers"])
        origin = request_headers.get(b"origin", b"").decode("latin-1")
        allowed = bool(origin) and origin in self.cors_origins
        is_options = scope.get("method") == "OPTIONS"
        if is_options and origin and b"access-control-request-method" in request_headers:
            mark_edge_answer(scope)  # its own Vary: Origin, answered above the pages
            if not allowed:
                await send_problem(send, 403, scope["path"], [(b"vary", b"Origin")])
                return
            headers = [
                (b"vary", b"Origin"),
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-headers", CORS_ALLOW_HEADERS.encode()),
                (b"access-control-allow-methods", CORS_ALLOW_METHODS.encode()),
                (b"access-control-max-age", CORS_MAX_AGE.encode()),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message=message)
                add_vary_origin(headers)
                if allowed:
                    headers["Access-Control-Allow-Origin"] = origin
                    if is_options:
                        headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
                        headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
                        headers["Access-Control-Max-Age"] = CORS_MAX_AGE
            await send(message)

        await self.app(scope, receive, send_with_cors)


def install_edge_guard(
    app: Litestar, hosts: AllowedHostsMiddleware, cors: CORSConfig | None
) -> None:
    """Wrap the app's ASGI handler once (``on_startup``: the handler exists by then)."""
    if not isinstance(app.asgi_handler, EdgeGuard):
        app.asgi_handler = EdgeGuard(app.asgi_handler, hosts, cors)


# contract-shim: static files: conditional GET (304), HEAD headers and file names like WhiteNoise
class StaticFilesMiddleware(ASGIMiddleware):
    """``If-None-Match`` (exact ETag) or ``If-Modified-Since`` -> 304; Content-Type on HEAD;
    a path ending in ``/`` or holding a NUL is 404."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raw = scope.get("raw_path") or b""
        if raw.startswith(STATIC_PREFIX) and scope.get("method") == "OPTIONS":
            await next_app(scope, receive, uncached_options(send))
            return
        if not raw.startswith(STATIC_PREFIX) or scope.get("method") not in ("GET", "HEAD"):
            await next_app(scope, receive, send)
            return
        if raw.endswith(b"/") or "\x00" in scope["path"]:
            # WhiteNoise serves file names only: ``items.css/`` is no file (Litestar's router
            # drops the slash and served it), and a NUL made ``stat()`` raise (a 500).
            raise NotFoundException()
        request_headers = dict(scope["headers"])
        if_none_match = request_headers.get(b"if-none-match")
        if_modified_since = request_headers.get(b"if-modified-since")
        swallow = False

        async def conditional_send(message: Message) -> None:
            nonlocal swallow
            if swallow:
                return
            if message["type"] != "http.response.start" or message["status"] != 200:
                await send(message)
                return
            headers = MutableScopeHeaders.from_message(message=message)
            if "content-type" not in headers:
                guessed, _ = mimetypes.guess_type(raw.decode("latin-1"))
                if guessed:
                    text = guessed.startswith("text/") or guessed == "application/javascript"
                    headers["Content-Type"] = guessed + ("; charset=utf-8" if text else "")
            if not_modified(headers, if_none_match, if_modified_since):
                swallow = True
                kept = [
                    (name, value)
                    for name, value in message["headers"]
                    if name.lower() not in (b"content-type", b"content-length")
                ]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await next_app(scope, receive, conditional_send)


def uncached_options(send: Send) -> Send:
    """WhiteNoise's OPTIONS answer (204 + ``Allow``) has no ``Cache-Control``; the static
    router's ``max-age=60, public`` is for the files, not for its automatic OPTIONS answer."""

    async def send_without_cache_control(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message=message)
            if "cache-control" in headers:
                del headers["cache-control"]
        await send(message)

    return send_without_cache_control


def not_modified(
    headers: MutableScopeHeaders, if_none_match: bytes | None, if_modified_since: bytes | None
) -> bool:
    """WhiteNoise's rule: If-None-Match decides when present, else If-Modified-Since."""
    if if_none_match is not None:
        return if_none_match.decode("latin-1") == headers.get("etag")
    if if_modified_since is None or (modified := headers.get("last-modified")) is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
        return since >= parsedate_to_datetime(modified)
    except (TypeError, ValueError):
        return False
