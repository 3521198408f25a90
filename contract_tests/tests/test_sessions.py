"""Cookie sessions (form login + CSRF), session auth on the API, the preference cookie."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.accounts import Account, Browser, SetCookie, cookie_header, set_cookies
from harness.http import Client
from harness.problem import (
    VALIDATION_TYPE,
    assert_conforms,
    assert_problem,
    assert_same_everywhere,
    media_type,
)
from harness.servers import LiveServer

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    with Browser(server.base_url) as b:
        yield b


def open_form(browser: Browser) -> httpx.Response:
    resp = browser.get("/auth/login")
    assert resp.status_code == 200, resp.text[:300]
    assert "csrftoken" in browser.jar, f"no csrftoken cookie: {resp.headers.get_list('set-cookie')}"
    return resp


def login(browser: Browser, account: Account) -> httpx.Response:
    open_form(browser)
    return browser.post(
        "/auth/login",
        data={"username": account.username, "password": account.password},
        headers=browser.csrf(),
    )


def assert_no_challenge(resp: httpx.Response) -> None:
    assert "www-authenticate" not in resp.headers, resp.headers.get("www-authenticate")


def assert_session_cookie(cookie: SetCookie) -> None:
    assert "httponly" in cookie.flags, cookie.raw
    assert "secure" in cookie.flags, f"DEBUG=0 -> Secure: {cookie.raw}"
    assert cookie.attrs.get("samesite", "").lower() == "lax", cookie.raw
    assert cookie.attrs.get("path") == "/", cookie.raw


# --------------------------------------------------------------------------- login form


@pytest.mark.concept("templates", "csrf", "sessions")
def test_login_form_sets_csrf_cookie(browser: Browser) -> None:
    resp = open_form(browser)
    assert media_type(resp) == "text/html"
    html = resp.text.lower()
    assert 'name="username"' in html and 'type="password"' in html
    assert 'type="hidden"' in html, "the form carries a hidden CSRF field"
    cookie = set_cookies(resp)["csrftoken"]
    assert cookie.attrs.get("samesite", "").lower() == "lax", cookie.raw
    assert cookie.attrs.get("path") == "/", cookie.raw


# --------------------------------------------------------------------------- login


@pytest.mark.concept("sessions", "form-data", "cookies", "default-status")
def test_login_whoami_logout(browser: Browser, alice: Account) -> None:
    resp = login(browser, alice)
    assert resp.status_code == 200, resp.text
    assert assert_conforms(resp, "SessionUser") == {"id": alice.id, "username": alice.username}
    assert_session_cookie(set_cookies(resp)["sessionid"])
    who = browser.get("/auth/whoami")
    assert who.status_code == 200, who.text
    assert who.json() == {"id": alice.id, "username": alice.username}
    session_id = browser.jar["sessionid"]
    out = browser.post("/auth/logout", headers=browser.csrf())
    assert out.status_code == 204, out.text
    assert out.content == b""
    assert "sessionid" in set_cookies(out), "logout must clear the sessionid cookie"
    assert "sessionid" not in browser.jar, set_cookies(out)["sessionid"].raw
    # the old session id is dead server-side, not just forgotten by the client
    stale = browser.http.get("/auth/whoami", headers=cookie_header({"sessionid": session_id}))
    assert_problem(stale, 401)
    assert_no_challenge(stale)


@pytest.mark.concept("sessions")
def test_whoami_anonymous_is_401_without_challenge(browser: Browser) -> None:
    resp = browser.get("/auth/whoami")
    assert_problem(resp, 401)
    assert_no_challenge(resp)


@pytest.mark.concept("sessions", "form-data")
def test_login_wrong_password_is_401(browser: Browser, alice: Account) -> None:
    open_form(browser)
    resp = browser.post(
        "/auth/login",
        data={"username": alice.username, "password": "not-the-password"},
        headers=browser.csrf(),
    )
    assert_problem(resp, 401)
    assert_no_challenge(resp)
    assert "sessionid" not in browser.jar


@pytest.mark.concept("form-data")
def test_login_missing_fields_is_400(browser: Browser) -> None:
    open_form(browser)
    resp = browser.post("/auth/login", data={"other": "x"}, headers=browser.csrf())
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/username", "/body/password"})


@pytest.mark.concept("form-data", "exceptions")
def test_login_json_body_is_415(browser: Browser, alice: Account) -> None:
    open_form(browser)
    resp = browser.post(
        "/auth/login",
        json={"username": alice.username, "password": alice.password},
        headers=browser.csrf(),
    )
    assert_problem(resp, 415)


# --------------------------------------------------------------------------- CSRF


@pytest.mark.concept("csrf")
@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789abcdef0123456789abcdef"])
def test_login_without_valid_csrf_is_403(
    browser: Browser, alice: Account, token: str | None
) -> None:
    open_form(browser)
    headers = {} if token is None else {"X-CSRFToken": token}
    resp = browser.post(
        "/auth/login",
        data={"username": alice.username, "password": alice.password},
        headers=headers,
    )
    assert_problem(resp, 403)
    assert "sessionid" not in browser.jar


@pytest.mark.concept("csrf")
def test_login_without_csrf_cookie_is_403(server: LiveServer, alice: Account) -> None:
    with Client(base_url=server.base_url, timeout=10) as c:
        resp = c.post(
            "/auth/login",
            data={"username": alice.username, "password": alice.password},
            headers={"X-CSRFToken": "a" * 32},
        )
    assert_problem(resp, 403)


@pytest.mark.concept("csrf", "sessions")
def test_logout_without_csrf_is_403(browser: Browser, alice: Account) -> None:
    assert login(browser, alice).status_code == 200
    assert_problem(browser.post("/auth/logout"), 403)
    assert browser.get("/auth/whoami").status_code == 200, "a refused logout keeps the session"


@pytest.mark.concept("csrf", "sessions", "authentication")
def test_session_auth_on_api_and_csrf_on_unsafe(browser: Browser, alice: Account) -> None:
    assert login(browser, alice).status_code == 200
    me = browser.get("/api/v1/users/me")
    assert me.status_code == 200, me.text
    assert me.json()["id"] == alice.id
    item = {"name": "session item", "price": "1.00"}
    refused = browser.post("/api/v1/items", json=item)
    assert_problem(refused, 403)
    created = browser.post("/api/v1/items", json=item, headers=browser.csrf())
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == alice.id


@pytest.mark.concept("csrf", "authentication")
def test_bearer_requests_are_csrf_exempt(client: httpx.Client, alice: Account) -> None:
    resp = client.post(
        "/api/v1/items", json={"name": "bearer item", "price": "2.00"}, headers=alice.headers
    )
    assert resp.status_code == 201, resp.text


# --------------------------------------------------------------------------- preferences


@pytest.mark.concept("header-cookie-params", "cookies")
@pytest.mark.parametrize(
    ("cookie", "theme"), [(None, "light"), ("light", "light"), ("dark", "dark")]
)
def test_preferences_read_cookie(client: httpx.Client, cookie: str | None, theme: str) -> None:
    headers = {} if cookie is None else cookie_header({"theme": cookie})
    resp = client.get("/api/v1/preferences", headers=headers)
    assert resp.status_code == 200, resp.text
    assert assert_conforms(resp, "Preferences") == {"theme": theme}


@pytest.mark.concept("header-cookie-params")
@pytest.mark.parametrize("value", ["blue", "DARK", "x" * 50])
def test_preferences_invalid_cookie_is_400(client: httpx.Client, value: str) -> None:
    resp = client.get("/api/v1/preferences", headers=cookie_header({"theme": value}))
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/cookie/theme"})


@pytest.mark.concept("cookies", "json-body")
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_preferences_put_sets_cookie(client: httpx.Client, theme: str) -> None:
    resp = client.put("/api/v1/preferences", json={"theme": theme})
    assert resp.status_code == 200, resp.text
    assert assert_conforms(resp, "Preferences") == {"theme": theme}
    cookie = set_cookies(resp)["theme"]
    assert cookie.value == theme
    assert cookie.attrs.get("path") == "/", cookie.raw
    assert cookie.attrs.get("max-age") == "31536000", cookie.raw
    assert cookie.attrs.get("samesite", "").lower() == "lax", cookie.raw
    assert "secure" in cookie.flags, cookie.raw
    assert "httponly" not in cookie.flags, cookie.raw
    echoed = client.get("/api/v1/preferences", headers=cookie_header({"theme": cookie.value}))
    assert echoed.json() == {"theme": theme}


@pytest.mark.concept("cookies", "json-body")
@pytest.mark.parametrize("body", [{}, {"theme": "blue"}, {"theme": 1}, {"theme": None}])
def test_preferences_put_invalid_is_400(client: httpx.Client, body: dict[str, object]) -> None:
    resp = client.put("/api/v1/preferences", json=body)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/theme"})
    assert "theme" not in set_cookies(resp)


# --------------------------------------------------------------------------- parity


@pytest.mark.concept("sessions", "csrf", "cookies")
def test_session_answers_identical_on_both(clients: dict[str, httpx.Client]) -> None:
    def everywhere(method: str, path: str, **kw: Any) -> dict[str, httpx.Response]:
        return {fw: c.request(method, path, **kw) for fw, c in clients.items()}

    assert_same_everywhere(everywhere("GET", "/auth/whoami"), volatile_keys=("detail",))
    assert_same_everywhere(
        everywhere("POST", "/auth/login", data={"username": "x", "password": "y"}),
        volatile_keys=("detail",),
    )
    assert_same_everywhere(
        everywhere("GET", "/api/v1/preferences", headers=cookie_header({"theme": "blue"})),
        volatile_keys=("detail", "errors"),
    )
    assert_same_everywhere(
        everywhere("GET", "/api/v1/preferences", headers=cookie_header({"theme": "dark"}))
    )
