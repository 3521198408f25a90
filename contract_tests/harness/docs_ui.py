"""The docs UIs (Swagger UI, ReDoc) as a browser renders them with every host but 127.0.0.1 cut off.

Chromium resolves no other host name (``--host-resolver-rules``), and each page's requests to
another host are aborted and recorded, so a UI whose JavaScript comes from a CDN renders
nothing and is caught, and any other outside request is listed. What counts as "rendered":
every operation of the served OpenAPI document shows up in the UI.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeout

#: Chromium flag: no name resolves except 127.0.0.1 (a CDN host fails as if offline).
OFFLINE_ARG = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
#: Outside requests a UI makes that change nothing on the page when they fail: ReDoc 2.x
#: hard-codes the image of its "API docs by Redocly" sidebar footer (no option removes it).
DECORATIVE_URLS = frozenset({"https://cdn.redoc.ly/redoc/logo-mini.svg"})
LOCAL_HOSTS = frozenset({"127.0.0.1"})
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UI_PATHS = {"swagger": "/api/schema/swagger", "redoc": "/api/schema/redoc"}


@dataclass
class RenderedDocs:
    """What one docs page showed: its operations, and the outside requests it tried."""

    operations: set[str]
    external_requests: list[str] = field(default_factory=list)

    @property
    def unexpected_external(self) -> list[str]:
        return [url for url in self.external_requests if url not in DECORATIVE_URLS]


def schema_operations(schema: dict[str, Any], ui: str) -> set[str]:
    """The operations a UI must show: ``"METHOD /path"`` (Swagger UI) or operation ids (ReDoc)."""
    found = set()
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            found.add(operation["operationId"] if ui == "redoc" else f"{method.upper()} {path}")
    return found


def swagger_operations(page: Page) -> set[str]:
    """``"METHOD /path"`` of every operation block Swagger UI rendered."""
    blocks = page.locator(".opblock .opblock-summary")
    return {
        f"{b.locator('.opblock-summary-method').inner_text().strip()} "
        f"{b.locator('.opblock-summary-path').get_attribute('data-path')}"
        for b in blocks.all()
    }


def redoc_operations(page: Page) -> set[str]:
    """Operation ids of every operation section ReDoc rendered (``operation/<id>``)."""
    ids = page.eval_on_selector_all(
        "[data-section-id^='operation/']", "els => els.map(e => e.dataset.sectionId)"
    )
    return {section.removeprefix("operation/") for section in ids}


def render_docs(
    browser: Browser,
    base_url: str,
    ui: str,
    *,
    screenshot: Path | None = None,
    timeout_ms: float = 20_000,
) -> RenderedDocs:
    """Open one docs UI offline, wait for its operations (or the timeout), collect them."""
    external: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort("internetdisconnected")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.route("**/*", only_local)
        page = context.new_page()
        page.goto(base_url + UI_PATHS[ui], wait_until="load", timeout=timeout_ms)
        selector = ".opblock" if ui == "swagger" else "[data-section-id^='operation/']"
        with suppress(PlaywrightTimeout):  # nothing rendered: the caller's comparison says so
            page.wait_for_selector(selector, timeout=timeout_ms)
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        operations = swagger_operations(page) if ui == "swagger" else redoc_operations(page)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        return RenderedDocs(operations=operations, external_requests=external)
    finally:
        context.close()
