"""The docs UIs render offline: Swagger UI and ReDoc from each app's own static files.

Headless Chromium (Debian's package, driven by Playwright) with every host but 127.0.0.1
unreachable opens ``/api/schema/swagger`` and ``/api/schema/redoc`` and must show every
operation of the served OpenAPI document, without any outside request (ReDoc's decorative
footer logo aside, see :mod:`harness.docs_ui`). Screenshots: ``screenshots/docs-<fw>-<ui>.png``
under the reports directory. A missing Chromium is a failure: ``make browser`` installs it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from harness.browser import launched_chromium
from harness.docs_ui import OFFLINE_ARG, render_docs, schema_operations
from harness.paths import reports_dir
from harness.servers import LiveServer

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    OFFLINE_ARG,
]


@pytest.fixture(scope="module")
def offline_chromium() -> Iterator[Browser]:
    """One headless Chromium that resolves no host but 127.0.0.1."""
    with launched_chromium(CHROMIUM_ARGS) as browser:
        yield browser


@pytest.mark.concept("openapi", "static-files")
@pytest.mark.mode_free
@pytest.mark.parametrize("ui", ["swagger", "redoc"])
def test_docs_ui_shows_every_operation_offline(
    server: LiveServer, offline_chromium: Browser, ui: str
) -> None:
    schema = httpx.get(f"{server.base_url}/api/schema/openapi.json", timeout=15).json()
    expected = schema_operations(schema, ui)
    assert len(expected) >= 20, f"the served schema lists too few operations: {expected}"
    shot = reports_dir() / "screenshots" / f"docs-{server.framework}-{ui}.png"
    rendered = render_docs(offline_chromium, server.base_url, ui, screenshot=shot)
    assert not rendered.unexpected_external, (
        f"{ui} asked other hosts (blocked): {rendered.unexpected_external}"
    )
    missing, extra = expected - rendered.operations, rendered.operations - expected
    assert not missing and not extra, f"{ui} operations: missing {missing}, extra {extra}"
