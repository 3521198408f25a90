"""The login flow and the item forms in a real browser (headless Chromium through Playwright).

Plain HTML forms, no page script involved: the browser sends what it always sends
(``Accept: text/html,...``, the hidden CSRF field) and follows the redirects. Screenshots
(``login-<framework>.png``, ``login-error-<framework>.png``,
``item-form-errors-<framework>.png``, ``items-<framework>.png``) go to reports/screenshots/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.accounts import Account
from harness.browser import launched_chromium
from harness.paths import reports_dir
from harness.servers import LiveServer
from tests.test_chat_browser import CHROMIUM_ARGS, UI_TIMEOUT_MS

HUMAN_TIME = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC$")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the module (Playwright never downloads a browser here)."""
    with launched_chromium(CHROMIUM_ARGS) as browser:
        yield browser


@pytest.fixture
def tab(chromium: Browser, server: LiveServer) -> Iterator[Page]:
    context = chromium.new_context(base_url=server.base_url, viewport={"width": 900, "height": 600})
    context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, name: str, framework: str) -> None:
    shots = reports_dir() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}-{framework}.png"), full_page=True)


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


@pytest.mark.concept("sessions", "templates", "csrf", "html-forms")
def test_browser_login_flow(tab: Page, server: LiveServer, alice: Account) -> None:
    tab.goto("/items/new")
    expect(tab).to_have_url(re.compile(r"/auth/login\?next=/items/new$"))
    tab.fill("#id_username", alice.username)
    tab.fill("#id_password", "not-the-password")
    shot(tab, "login", server.framework)
    tab.locator("form.login [type=submit]").click()
    expect(tab.locator("[role=alert]")).to_be_visible()
    expect(tab.locator("#id_username")).to_have_value(alice.username)
    expect(tab.locator("#id_password")).to_have_value("")
    shot(tab, "login-error", server.framework)
    tab.fill("#id_password", alice.password)
    tab.locator("form.login [type=submit]").click()
    expect(tab).to_have_url(re.compile(r"/items/new$"))  # back to where the visitor was going
    expect(tab.locator("h1")).to_have_text("New item")
    expect(tab.locator("nav.account .username")).to_have_text(alice.username)
    tab.locator("form.logout [type=submit]").click()
    expect(tab).to_have_url(re.compile(r"/auth/login$"))
    tab.goto("/items")
    expect(tab).to_have_url(re.compile(r"/auth/login\?next=/items$"))


@pytest.mark.concept("html-forms", "templates", "sessions")
def test_browser_item_create_and_edit(tab: Page, server: LiveServer, bob: Account) -> None:
    tab.goto("/auth/login")
    tab.fill("#id_username", bob.username)
    tab.fill("#id_password", bob.password)
    tab.locator("form.login [type=submit]").click()
    expect(tab).to_have_url(re.compile(r"/items$"))
    tab.locator("a.new-item").click()
    expect(tab).to_have_url(re.compile(r"/items/new$"))
    # invalid: no name, a price with three decimals -> both errors, the input kept
    tab.fill("#id_description", "typed by a browser")
    tab.fill("#id_price", "12.345")
    tab.locator("form.item-form [type=submit]").click()
    expect(tab.locator(".field-error[data-field=name]")).to_be_visible()
    expect(tab.locator(".field-error[data-field=price]")).to_be_visible()
    expect(tab.locator(".field-error[data-field=description]")).to_have_count(0)
    expect(tab.locator("#id_price")).to_have_value("12.345")
    expect(tab.locator("#id_description")).to_have_value("typed by a browser")
    shot(tab, "item-form-errors", server.framework)
    name = f"browser item {secrets.token_hex(3)}"
    tab.fill("#id_name", name)
    tab.fill("#id_price", "12.34")
    tab.locator("form.item-form [type=submit]").click()
    expect(tab).to_have_url(re.compile(r"/items$"))
    row = tab.locator("table.items tbody tr").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row.locator("td.price")).to_have_text("12.34")
    shown = row.locator("time").inner_text()
    assert HUMAN_TIME.match(shown), shown
    # edit it: the form comes filled in, the change shows on the list
    row.locator("a.edit").click()
    expect(tab).to_have_url(re.compile(r"/items/[0-9a-f-]{36}/edit$"))
    expect(tab.locator("#id_name")).to_have_value(name)
    expect(tab.locator("#id_price")).to_have_value("12.34")
    tab.fill("#id_price", "7")
    tab.locator("form.item-form [type=submit]").click()
    expect(tab).to_have_url(re.compile(r"/items$"))
    expect(
        tab.locator("table.items tbody tr").filter(has_text=name).locator("td.price")
    ).to_have_text("7.00")
    shot(tab, "items", server.framework)
    assert path_of(tab) == "/items"
