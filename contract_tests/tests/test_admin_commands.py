"""Admin UI (staff only) and management commands whose effect is visible over HTTP."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import urljoin

import httpx
import pytest

from harness.accounts import (
    PASSWORD,
    SEED_PASSWORD,
    SEED_STAFF,
    SEED_USERS,
    Account,
    Browser,
    obtain_token,
    run_management,
    seed_user_id,
    unique,
)
from harness.problem import media_type
from harness.servers import LiveServer

REDIRECTS = (301, 302, 303, 307, 308)
INPUT_RE = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTR_RE = re.compile(r'(\w[\w-]*)\s*=\s*("([^"]*)"|\'([^\']*)\')')
FORM_RE = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    with Browser(server.base_url) as b:
        yield b


def _attrs(tag: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(3) or m.group(4) or "")
        for m in ATTR_RE.finditer(tag)
    }


def follow(browser: Browser, resp: httpx.Response, limit: int = 5) -> httpx.Response:
    """Follow redirects by hand (the browser keeps the cookies)."""
    for _ in range(limit):
        if resp.status_code not in REDIRECTS:
            return resp
        resp = browser.get(urljoin(str(resp.request.url), resp.headers["location"]))
    return resp


def admin_login(browser: Browser, username: str, password: str) -> httpx.Response:
    """Fill the admin login form found at the end of GET /admin/'s redirect; return the index."""
    page = follow(browser, browser.get("/admin/"))
    assert page.status_code == 200, page.text[:300]
    forms = FORM_RE.findall(page.text)
    assert forms, "login page has no <form>"
    action = _attrs(forms[0]).get("action") or str(page.request.url)
    data: dict[str, str] = {}
    for tag in INPUT_RE.findall(page.text):
        attrs = _attrs(tag)
        if attrs.get("name") and attrs.get("type", "text").lower() in ("hidden",):
            data[attrs["name"]] = attrs.get("value", "")
    data["username"] = username
    data["password"] = password
    target = urljoin(str(page.request.url), action)
    headers = {"Referer": str(page.request.url)}
    if "csrftoken" in browser.jar:
        headers |= browser.csrf()
    posted = browser.post(target, data=data, headers=headers)
    return follow(browser, posted)


@pytest.mark.concept("admin")
def test_admin_anonymous_redirects_to_login(browser: Browser) -> None:
    resp = browser.get("/admin/")
    assert resp.status_code in REDIRECTS, f"{resp.status_code}: {resp.text[:200]}"
    assert "/admin/login" in resp.headers.get("location", "")
    page = follow(browser, resp)
    assert page.status_code == 200
    assert media_type(page) == "text/html"
    assert 'type="password"' in page.text.lower()


@pytest.mark.concept("admin", "management-commands")
def test_admin_staff_sees_index(browser: Browser, staff: Account) -> None:
    index = admin_login(browser, SEED_STAFF, SEED_PASSWORD)
    assert index.status_code == 200, index.text[:300]
    assert "/admin/login" not in str(index.request.url), "staff login must leave the login page"
    assert 'type="password"' not in index.text.lower()
    again = browser.get("/admin/")
    assert again.status_code == 200, f"after login GET /admin/ -> {again.status_code}"


@pytest.mark.concept("admin")
def test_admin_refuses_non_staff(browser: Browser, alice: Account) -> None:
    admin_login(browser, alice.username, alice.password)
    again = browser.get("/admin/")
    assert again.status_code != 200 or 'type="password"' in again.text.lower(), (
        "a non-staff user must not see the admin index"
    )
    if again.status_code in REDIRECTS:
        assert "/admin/login" in again.headers.get("location", "")


# --------------------------------------------------------------------------- commands


@pytest.mark.concept("management-commands")
def test_seeded_users_are_visible(seeded: None, client: httpx.Client, alice: Account) -> None:
    """``seed`` ran once (fixture); test_auth's cross-app test runs it again (idempotency)."""
    for name in SEED_USERS:
        resp = client.get(f"/api/v1/users/{seed_user_id(name)}", headers=alice.headers)
        assert resp.status_code == 200, f"{name}: {resp.status_code} {resp.text[:200]}"
        assert resp.json()["username"] == name


@pytest.mark.concept("management-commands", "authentication")
def test_create_user_command(server: LiveServer, client: httpx.Client) -> None:
    """create-user --staff (one invocation: each costs a CLI start-up)."""
    if server.external:
        pytest.skip("management commands need a server started by the harness")
    name = unique("cmd")
    args = ["--username", name, "--email", f"{name}@example.com", "--password", PASSWORD, "--staff"]
    result = run_management(server, "create-user", *args)
    assert result.returncode == 0, result.stdout[-2000:]
    assert PASSWORD not in result.stdout, "the password must not be echoed"
    token = obtain_token(client, name, PASSWORD)
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == name
    assert me.json()["is_staff"] is True
