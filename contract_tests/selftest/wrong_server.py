"""A deliberately wrong server: it gets the contract wrong in many visible ways.

/health answers a wrong shape (framework "flask", no app/started_at), without Cache-Control;
X-Process-Time is everywhere; errors are HTML without X-Request-ID or security headers; the
forced 500 leaks a traceback; OPTIONS answers 200 with a body. Only the docs UIs are right, so
a test about them passes (the selftest uses that to prove a stale divergence fails the run).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML_404 = b"<html><body><h1>Not Found</h1></body></html>"
TRACEBACK = (
    b'Traceback (most recent call last):\n  File "/app/views.py", line 1\n'
    b"RuntimeError: boom: this text must never reach a client\n"
)


class WrongHandler(BaseHTTPRequestHandler):
    """Answers every request wrongly (except the docs UIs)."""

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Process-Time", "0.1")  # wrong: not "%.6f", and sent on /health
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.rstrip("/") == "/health":
            body = json.dumps({"status": "ok", "framework": "flask", "database": "ok"}).encode()
            self._send(200, body, "application/json")
        elif path == "/_test/error":
            self._send(500, TRACEBACK, "text/plain")
        elif path in ("/api/schema/swagger", "/api/schema/redoc"):
            name = path.rsplit("/", 1)[-1]
            self._send(200, f"<html><body>{name}</body></html>".encode(), "text/html")
        else:
            self._send(404, HTML_404, "text/html")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        self._send(404, HTML_404, "text/html")

    def do_OPTIONS(self) -> None:
        self._send(200, b"{}", "application/json", Allow="GET")


def start(port: int = 0) -> ThreadingHTTPServer:
    """Serve on 127.0.0.1 in a daemon thread; call ``.shutdown()`` and ``.server_close()``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", port), WrongHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
