"""Mock server pairs for the whole-surface differential selftest.

:func:`start` runs a tiny HTTP server (and a websocket echo server) that gets a small slice
of the contract right: a bearer-protected ``/api/v1/items``, a session login with a CSRF pair
and an Origin check, ``/auth/whoami``, problem+json errors, ``Cache-Control: no-store``, and
``/ws/echo`` with error frames. ``fault`` names one deliberate mistake (see :data:`FAULTS`);
the selftest pairs a correct server with each wrong one and expects the check to fail.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from websockets.sync.server import ServerConnection, serve

FAULTS = (
    "merge-slashes",  # serves //api/v1/items like /api/v1/items
    "session-fixation",  # keeps the client's sessionid at login
    "no-origin-check",  # session write with a foreign Origin accepted
    "reissue-session-cookie",  # Set-Cookie: sessionid on plain reads
    "cache-control",  # Cache-Control: private, max-age=0 instead of no-store
    "unclassified-header",  # X-Powered-By on every answer
    "server-error",  # a body that is not JSON -> 500
    "html-error",  # 404 as text/html
    "reads-chunked",  # reads a chunked request body (the correct one refuses it)
    "ws-closes-on-surrogate",  # closes the socket on a lone surrogate instead of an error frame
)
TOKEN = "good-token"
CSRF = "c" * 32


def _problem(status: int, title: str) -> bytes:
    return json.dumps({"type": "about:blank", "title": title, "status": status}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fault = ""
    sessions: ClassVar[dict[str, str]] = {}
    items: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(
        self,
        status: int,
        body: bytes = b"",
        ctype: str = "application/problem+json",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.send_response(status)
        if body:
            self.send_header(
                "Content-Type",
                "text/html" if (self.fault == "html-error" and status == 404) else ctype,
            )
        self.send_header("Content-Length", str(len(body)))
        cache = "private, max-age=0" if self.fault == "cache-control" else "no-store"
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.fault == "unclassified-header":
            self.send_header("X-Powered-By", "mock")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _cookies(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for raw in self.headers.get_all("Cookie") or []:
            for part in raw.split(";"):
                k, _, v = part.strip().partition("=")
                out.setdefault(k, v)
        return out

    def _body(self) -> bytes | None:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            if self.fault != "reads-chunked":
                return None
            data = bytearray()
            while size := int(self.rfile.readline().split(b";")[0], 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return bytes(data)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _path(self) -> str:
        path = self.path.split("?")[0]
        if self.fault == "merge-slashes":
            while "//" in path:
                path = path.replace("//", "/")
        return path

    def _user(self) -> str | None:
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return "alice"
        return self.sessions.get(self._cookies().get("sessionid", ""))

    def do_GET(self) -> None:
        path = self._path()
        if path == "/api/v1/items":
            if self._user() is None:
                self._send(
                    401, _problem(401, "Unauthorized"), headers=(("WWW-Authenticate", "Bearer"),)
                )
                return
            self._send(200, json.dumps({"items": self.items}).encode(), "application/json")
        elif path == "/auth/whoami":
            user = self._user()
            if user is None:
                self._send(401, _problem(401, "Unauthorized"))
                return
            extra: tuple[tuple[str, str], ...] = ()
            if self.fault == "reissue-session-cookie":
                sid = self._cookies().get("sessionid", "")
                extra = (("Set-Cookie", f"sessionid={sid}; Path=/; HttpOnly; SameSite=Lax"),)
            self._send(200, json.dumps({"username": user}).encode(), "application/json", extra)
        else:
            self._send(404, _problem(404, "Not Found"))

    def do_POST(self) -> None:
        path = self._path()
        body = self._body()
        cookies = self._cookies()
        if body is None:
            self._send(400, _problem(400, "Bad Request"))
            return
        if path == "/auth/login":
            if cookies.get("csrftoken") != CSRF or self.headers.get("X-CSRFToken") != CSRF:
                self._send(403, _problem(403, "Forbidden"))
                return
            chosen = cookies.get("sessionid")
            sid = chosen if self.fault == "session-fixation" and chosen else secrets.token_hex(16)
            self.sessions[sid] = "alice"
            self._send(
                200,
                b'{"username": "alice"}',
                "application/json",
                (("Set-Cookie", f"sessionid={sid}; Path=/; HttpOnly; SameSite=Lax"),),
            )
        elif path == "/api/v1/items":
            session = self.headers.get("Authorization") is None
            if self._user() is None:
                self._send(
                    401, _problem(401, "Unauthorized"), headers=(("WWW-Authenticate", "Bearer"),)
                )
                return
            if session:
                origin = self.headers.get("Origin")
                host = self.headers.get("Host")
                if self.headers.get("X-CSRFToken") != cookies.get("csrftoken") or (
                    self.fault != "no-origin-check"
                    and origin is not None
                    and origin != f"http://{host}"
                ):
                    self._send(403, _problem(403, "Forbidden"))
                    return
            try:
                data = json.loads(body)
            except ValueError:
                if self.fault == "server-error":
                    self._send(500, _problem(500, "Internal Server Error"))
                else:
                    self._send(400, _problem(400, "Bad Request"))
                return
            if not isinstance(data, dict) or not isinstance(data.get("name"), str):
                self._send(400, _problem(400, "Bad Request"))
                return
            self._send(201, json.dumps({"name": data["name"]}).encode(), "application/json")
        else:
            self._send(404, _problem(404, "Not Found"))

    def _not_allowed(self) -> None:
        self._body()
        self._send(405, _problem(405, "Method Not Allowed"), headers=(("Allow", "GET, POST"),))

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_OPTIONS(self) -> None:
        self._send(204, headers=(("Allow", "GET, POST"),))

    do_PUT = do_PATCH = do_DELETE = do_TRACE = _not_allowed


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients of the check hang up early on purpose (framing variants)


def _ws_handler(fault: str) -> Any:
    def handle(conn: ServerConnection) -> None:
        for frame in conn:
            if isinstance(frame, bytes):
                conn.send('{"type":"error","code":"malformed_json","detail":"binary"}')
                continue
            if "\\ud800" in frame and fault == "ws-closes-on-surrogate":
                conn.close(1011)
                return
            try:
                value = json.loads(frame)
                json.dumps(value).encode("utf-8")
            except (ValueError, RecursionError):
                conn.send('{"type":"error","code":"malformed_json","detail":"bad"}')
                continue
            conn.send(json.dumps(value, separators=(",", ":")))

    return handle


@dataclass
class MockServer:
    base_url: str
    #: the websocket echo server (http:// form, like base_url)
    ws_base_url: str


@contextmanager
def start(fault: str = "") -> Iterator[MockServer]:
    """A mock server with ``fault`` ("" = correct) on a free port, stopped on exit."""
    handler = type("Handler", (_Handler,), {"fault": fault, "sessions": {}, "items": []})
    httpd = _Quiet(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    wsd = serve(_ws_handler(fault), "127.0.0.1", 0)
    ws_thread = threading.Thread(target=wsd.serve_forever, daemon=True)
    ws_thread.start()
    try:
        port = httpd.server_address[1]
        yield MockServer(
            f"http://127.0.0.1:{port}", f"http://127.0.0.1:{wsd.socket.getsockname()[1]}"
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        wsd.shutdown()
