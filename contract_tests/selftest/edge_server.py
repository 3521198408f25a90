"""A small stdlib server that gets the HTTP-edge decisions right, or wrong in one named way.

Just enough for the selftest's subset of ``tests/test_edge_*.py``: the API of
``security_server`` (register, token, items) plus odd paths, the Host rules, chunked bodies, a
static file with conditional GET and CORS preflights. ``start(fault)`` with ``fault=None`` is
right (the tests pass); each entry of ``FAULTS`` reproduces one divergence of issue 12.
"""

from __future__ import annotations

import hashlib
import re
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from harness.problem import SECURITY_HEADERS
from harness.servers import ALLOWED_ORIGIN
from selftest.security_server import Handler, State

FAULTS = {
    "merges-slashes": "empty path segments are merged (//api/v1/items is the list)",
    "ignores-chunked": "a chunked request body is read as empty",
    "routes-before-host": "an unknown path is 404 before the Host is checked",
    "preflight-always-200": "a refused origin's preflight is 200 (django-cors-headers' default)",
    "no-conditional-get": "static files ignore If-None-Match / If-Modified-Since",
    "static-drops-trailing-slash": "/static/items.css/ serves the file (Litestar's router)",
}
STATIC = {"/static/items.css": b"body { margin: 0; }\n"}
MODIFIED = formatdate(1_700_000_000, usegmt=True)
HOST_RE = re.compile(r"([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?")
KNOWN = ("/health", "/api/v1/items", "/api/v1/users", "/api/v1/auth/token", "/items")


def odd(path: str) -> bool:
    if re.search(r"%(2f|5c)", path, re.IGNORECASE) or "\\" in path:
        return True
    segments = unquote(path).split("/")[1:]
    return "" in segments[:-1] or any(s in (".", "..") for s in segments)


class EdgeHandler(Handler):
    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Vary", "Origin")
        super().end_headers()

    def body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                out += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return b"" if self.state.fault == "ignores-chunked" else out
        return super().body()

    def host_ok(self) -> bool:
        hosts = self.headers.get_all("Host") or []
        match = HOST_RE.fullmatch(hosts[0].lower()) if len(hosts) == 1 else None
        if match is None or (match.group(2) and int(match.group(2)) > 65535):
            return False
        return match.group(1).removesuffix(".") in ("127.0.0.1", "localhost")

    def edge(self) -> bool:
        """True when the edge answered (odd path, bad Host, preflight)."""
        # the target as sent: http.server rewrites a leading "//" in self.path (gh-87389)
        path = self.requestline.split(" ")[1].split("?", 1)[0]
        if self.state.fault == "merges-slashes":
            self.path = re.sub("/+", "/", self.path)
        elif odd(path):
            self.send(404)
            return True
        known = path in KNOWN or path.startswith("/static/")
        if self.state.fault == "routes-before-host" and not known:
            self.send(404)
            return True
        if not self.host_ok():
            self.send(400)
            return True
        if self.command == "OPTIONS" and self.headers.get("Access-Control-Request-Method"):
            if self.headers.get("Origin") == ALLOWED_ORIGIN:
                self.send(204)
            elif self.state.fault == "preflight-always-200":
                self.send(200, {})
            else:
                self.send(403)
            return True
        return False

    def static(self) -> None:
        path = urlsplit(self.path).path
        if self.state.fault == "static-drops-trailing-slash":
            path = path.rstrip("/")
        content = STATIC.get(path)
        if content is None:
            self.send(404)
            return
        etag = '"' + hashlib.sha1(content).hexdigest()[:12] + '"'
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        fresh = False
        if self.state.fault != "no-conditional-get":
            if inm is not None:
                fresh = inm == etag
            elif ims is not None:
                fresh = parsedate_to_datetime(ims) >= parsedate_to_datetime(MODIFIED)
        self.send_response(304 if fresh else 200)
        self.send_header("ETag", etag)
        self.send_header("Cache-Control", "max-age=60, public")
        if not fresh:
            self.send_header("Content-Type", "text/css; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.send_header("Last-Modified", MODIFIED)
        self.end_headers()
        if not fresh and self.command == "GET":
            self.wfile.write(content)

    def do_GET(self) -> None:
        if self.edge():
            return
        path = urlsplit(self.path).path
        if path.startswith("/static/"):
            self.static()
        elif path == "/health":
            self.send(200, {"status": "ok"})
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        if not self.edge():
            super().do_POST()

    def do_OPTIONS(self) -> None:
        if not self.edge():
            self.send(204, Allow="GET, HEAD, OPTIONS")

    def do_DELETE(self) -> None:
        if not self.edge():
            self.send(405, Allow="GET, HEAD, OPTIONS")

    do_PUT = do_DELETE
    do_PATCH = do_DELETE


def start(fault: str | None = None) -> ThreadingHTTPServer:
    """Serve on 127.0.0.1 in a daemon thread; ``.shutdown()`` and ``.server_close()`` after."""
    handler = type("BoundEdgeHandler", (EdgeHandler,), {"state": State(fault)})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
