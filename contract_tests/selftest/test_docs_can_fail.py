"""Proof the offline docs check can fail: docs pages whose UI comes from a CDN render nothing.

A small local server serves a two-operation OpenAPI document and Swagger UI / ReDoc pages in
two flavours: "cdn" (the script and style URLs Litestar's render plugins use by default) and
"local" (the bundles vendored in litestar_app/static/vendor). :func:`render_docs` must find no
operation and list the blocked CDN requests for the first, every operation for the second.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from harness.browser import launched_chromium
from harness.docs_ui import OFFLINE_ARG, render_docs, schema_operations
from harness.paths import app_dir

VENDOR = app_dir("litestar") / "static" / "vendor"
SCHEMA = {
    "openapi": "3.1.0",
    "info": {"title": "Wrong docs", "version": "1"},
    "paths": {
        "/things": {
            "get": {"operationId": "things_list", "responses": {"200": {"description": "ok"}}},
            "post": {"operationId": "things_create", "responses": {"201": {"description": "ok"}}},
        },
    },
}
ASSETS = {
    "cdn": {
        "swagger": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.18.2",
        "redoc": "https://cdn.redoc.ly/redoc/latest/bundles",
    },
    "local": {"swagger": "/vendor/swagger-ui-dist-5.33.1", "redoc": "/vendor/redoc-2.5.4"},
}


def page(flavour: str, ui: str) -> str:
    base = ASSETS[flavour][ui]
    if ui == "redoc":
        return (
            f'<!DOCTYPE html><html><body><redoc spec-url="/api/schema/openapi.json"></redoc>'
            f'<script src="{base}/redoc.standalone.js"></script></body></html>'
        )
    return (
        f'<!DOCTYPE html><html><head><link rel="stylesheet" href="{base}/swagger-ui.css">'
        f'</head><body><div id="swagger-ui"></div><script src="{base}/swagger-ui-bundle.js">'
        "</script><script>SwaggerUIBundle({url: '/api/schema/openapi.json', "
        "dom_id: '#swagger-ui'})</script></body></html>"
    )


class DocsHandler(BaseHTTPRequestHandler):
    flavour = "cdn"

    def do_GET(self) -> None:
        body: bytes
        if self.path == "/api/schema/openapi.json":
            body, kind = json.dumps(SCHEMA).encode(), "application/json"
        elif self.path in ("/api/schema/swagger", "/api/schema/redoc"):
            body, kind = (
                page(self.flavour, self.path.rsplit("/", 1)[1]).encode(),
                "text/html; charset=utf-8",
            )
        elif self.path.startswith("/vendor/") and ".." not in self.path:
            file = VENDOR / self.path.removeprefix("/vendor/")
            if not file.is_file():
                self.send_error(404)
                return
            body = file.read_bytes()
            kind = "text/css" if file.suffix == ".css" else "text/javascript; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def offline_chromium() -> Iterator[Browser]:
    with launched_chromium(["--headless", "--no-sandbox", OFFLINE_ARG]) as browser:
        yield browser


@pytest.fixture(params=["cdn", "local"])
def docs_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    handler = type("Handler", (DocsHandler,), {"flavour": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield request.param, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("ui", ["swagger", "redoc"])
def test_cdn_docs_are_caught_and_vendored_docs_pass(
    docs_server: tuple[str, str], offline_chromium: Browser, ui: str, tmp_path: Path
) -> None:
    flavour, base_url = docs_server
    timeout = 3_000 if flavour == "cdn" else 20_000
    rendered = render_docs(offline_chromium, base_url, ui, timeout_ms=timeout)
    if flavour == "cdn":
        assert rendered.operations == set(), rendered
        assert rendered.unexpected_external, "the blocked CDN requests are reported"
    else:
        assert rendered.operations == schema_operations(SCHEMA, ui)
        assert not rendered.unexpected_external, rendered.external_requests
