"""The HTML chat page in a real browser: headless Chromium (Debian's package) driven by Playwright.

Two pages per framework, each logged in as another user through the page's own login form
(session cookie + CSRF header); one sends, the other shows the message. A screenshot of both
pages is kept under the reports directory (``chat-<framework>.png``). A missing Chromium is a
failure, not a skip: ``make browser`` installs it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from harness.accounts import Account
from harness.browser import launched_chromium
from harness.paths import reports_dir
from harness.servers import LiveServer
from harness.ws import create_room, history

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UI_TIMEOUT_MS = 20_000  # generous: CI shares 2 cores; a pass takes a fraction of it


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the module (Playwright never downloads a browser here)."""
    with launched_chromium(CHROMIUM_ARGS) as browser:
        yield browser


def open_chat(browser: Browser, base_url: str, room: str, account: Account) -> Page:
    """A new browser context (own cookies) on /chat?room=..., logged in through the page."""
    context = browser.new_context(base_url=base_url, viewport={"width": 800, "height": 500})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"/chat?room={room}")
    expect(page.locator("#room")).to_have_text(room)
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#status")).to_have_text("connected")
    return page


@pytest.mark.concept("websockets", "pubsub", "templates", "static-files", "sessions")
def test_chat_page_two_browsers(
    server: LiveServer,
    client: httpx.Client,
    chromium: Browser,
    alice: Account,
    bob: Account,
) -> None:
    room = create_room(client, alice)["name"]
    sender = open_chat(chromium, server.base_url, room, alice)
    receiver = open_chat(chromium, server.base_url, room, bob)
    try:
        body = f"hello from the browser {secrets.token_hex(3)}"
        sender.fill("#body", body)
        sender.locator("#send [type=submit]").click()
        for page in (receiver, sender):
            line = page.locator("#messages li.message").filter(has_text=body)
            expect(line).to_have_count(1)
            expect(line.locator(".user")).to_have_text(alice.username)
            expect(line.locator(".body")).to_have_text(body)
        stored = history(client, alice, room)
        assert [m["body"] for m in stored] == [body]
        shown_id = receiver.locator("#messages li.message").first.get_attribute("data-id")
        assert shown_id == str(stored[0]["id"]), "the page keys messages by their id"
        # a page opened later loads the history
        late = open_chat(chromium, server.base_url, room, bob)
        expect(late.locator("#messages li.message .body")).to_have_text([body])
        late.context.close()
    finally:
        shots = reports_dir() / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        for name, page in (("sender", sender), ("receiver", receiver)):
            page.screenshot(path=str(shots / f"chat-{server.framework}-{name}.png"))
            page.context.close()
