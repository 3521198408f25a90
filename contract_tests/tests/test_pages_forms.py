"""HTML form flows (decision 30): the browser login/logout and the item create/edit pages.

A form post whose Accept prefers text/html (what a browser sends) gets HTML and redirects:
303 after success, the form again with status 400 on errors, 403 problem+json on a CSRF
refusal. Everything else (``*/*``, JSON) keeps the JSON answers test_sessions.py pins. Pages
are compared through what a browser reads: status, Location, the form's fields and values
and which fields carry an error (``.field-error[data-field]``), never message text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from harness.accounts import Account, Browser, new_account, set_cookies
from harness.items import create_item
from harness.problem import assert_problem, media_type
from harness.servers import LiveServer

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTML = {"Accept": BROWSER_ACCEPT}
NO_STORE = "private, no-store"


class Page(HTMLParser):
    """What a browser would submit and show: form fields, field errors, alerts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.errors: set[str] = set()
        self.alerts = 0
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and "name" in a:
            self._textarea = a["name"]
            self.fields[a["name"]] = ""
        if "field-error" in a.get("class", "").split():
            self.errors.add(a.get("data-field", ""))
        if a.get("role") == "alert":
            self.alerts += 1

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # HTML drops one newline right after <textarea>
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None


def page(resp: httpx.Response, status: int = 200) -> Page:
    assert resp.status_code == status, resp.text[:500]
    assert media_type(resp) == "text/html", resp.headers.get("content-type")
    return Page(resp.text)


def csrf_field(browser: Browser, path: str) -> str:
    """The hidden CSRF field of the form at ``path`` (as a browser submits it)."""
    token = page(browser.get(path, headers=HTML)).fields.get("csrfmiddlewaretoken")
    assert token, f"no csrfmiddlewaretoken field on {path}"
    return token


def location(resp: httpx.Response) -> str:
    """The redirect target as path[?query] (servers may send it absolute)."""
    parts = urlsplit(str(resp.headers.get("location", "")))
    return f"{parts.path}?{parts.query}" if parts.query else str(parts.path)


def html_login(browser: Browser, who: Account, **extra: str) -> httpx.Response:
    form = {"username": who.username, "password": who.password, **extra}
    form["csrfmiddlewaretoken"] = csrf_field(browser, "/auth/login")
    return browser.post("/auth/login", data=form, headers=HTML)


def item_count(client: httpx.Client, who: Account) -> int:
    resp = client.get("/api/v1/items", headers=who.headers)
    assert resp.status_code == 200, resp.text
    total: int = resp.json()["total"]
    return total


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    with Browser(server.base_url) as b:
        yield b


@pytest.fixture(scope="module")
def owner(session_http: httpx.Client) -> Account:
    """The user of the item-form tests (one per framework: logins hash passwords, slowly)."""
    return new_account(session_http, "forms")


@pytest.fixture(scope="module")
def owner_browser(server: LiveServer, owner: Account) -> Iterator[Browser]:
    """``owner`` logged in through the HTML form, once per framework."""
    with Browser(server.base_url) as b:
        resp = html_login(b, owner)
        assert resp.status_code == 303, resp.text[:300]
        yield b


# --------------------------------------------------------------------------- login flow


@pytest.mark.concept("templates", "sessions", "csrf")
def test_login_page_carries_csrf_and_next(browser: Browser) -> None:
    form = page(browser.get("/auth/login?next=/items/new", headers=HTML))
    assert {"username", "password", "csrfmiddlewaretoken", "next"} <= set(form.fields)
    assert form.fields["next"] == "/items/new"
    assert form.alerts == 0
    assert "csrftoken" in browser.jar


@pytest.mark.concept("sessions", "form-data", "html-forms")
@pytest.mark.parametrize(
    ("next_url", "target"),
    [
        ("/items/new", "/items/new"),
        ("/items?x=1", "/items?x=1"),
        (None, "/items"),
        ("", "/items"),
        ("//evil.example/x", "/items"),
        ("/\\evil.example", "/items"),
        ("https://evil.example/", "/items"),
        ("items", "/items"),
        ("/items\r\nX-Evil: 1", "/items"),
    ],
)
def test_html_login_redirects_to_a_local_next(
    browser: Browser, alice: Account, next_url: str | None, target: str
) -> None:
    extra = {} if next_url is None else {"next": next_url}
    resp = html_login(browser, alice, **extra)
    assert resp.status_code == 303, resp.text[:300]
    assert location(resp) == target
    assert "sessionid" in set_cookies(resp)
    who = browser.get("/auth/whoami")
    assert who.status_code == 200 and who.json()["username"] == alice.username


@pytest.mark.concept("sessions", "templates", "html-forms")
@pytest.mark.parametrize("password", ["not-the-password", ""])
def test_html_login_failure_rerenders_the_form(
    browser: Browser, alice: Account, password: str
) -> None:
    form = {"username": alice.username, "password": password, "next": "/items/new"}
    form["csrfmiddlewaretoken"] = csrf_field(browser, "/auth/login")
    again = page(browser.post("/auth/login", data=form, headers=HTML), 400)
    assert again.alerts == 1, "the error is shown"
    assert again.fields["username"] == alice.username, "the username is kept"
    assert again.fields["password"] == "", "the password is never echoed"
    assert again.fields["next"] == "/items/new"
    assert again.fields.get("csrfmiddlewaretoken"), "the form can be sent again"
    assert "sessionid" not in browser.jar


@pytest.mark.concept("csrf", "sessions")
@pytest.mark.parametrize("token", [None, "wrong-token-0123456789abcdef0123456789abcdef"])
def test_html_login_csrf_refused(browser: Browser, alice: Account, token: str | None) -> None:
    csrf_field(browser, "/auth/login")  # the cookie is there, the field is not (or wrong)
    form = {"username": alice.username, "password": alice.password}
    if token is not None:
        form["csrfmiddlewaretoken"] = token
    assert_problem(browser.post("/auth/login", data=form, headers=HTML), 403)
    assert "sessionid" not in browser.jar


@pytest.mark.concept("sessions", "serialization")
@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("text/html;q=0.5, application/json", False),
        ("application/json, text/html", False),
        ("text/html", True),
        (BROWSER_ACCEPT, True),
    ],
)
def test_login_flow_is_chosen_by_accept(
    browser: Browser, alice: Account, accept: str | None, html: bool
) -> None:
    form = {"username": alice.username, "password": alice.password}
    form["csrfmiddlewaretoken"] = csrf_field(browser, "/auth/login")
    headers = {} if accept is None else {"Accept": accept}
    resp = browser.post("/auth/login", data=form, headers=headers)
    if html:
        assert (resp.status_code, location(resp)) == (303, "/items")
    else:
        assert resp.status_code == 200, resp.text[:300]
        assert resp.json()["username"] == alice.username
    out = browser.post(
        "/auth/logout", data={"csrfmiddlewaretoken": browser.jar["csrftoken"]}, headers=headers
    )
    assert out.status_code == (303 if html else 204), out.text[:300]
    if html:
        assert location(out) == "/auth/login"


@pytest.mark.concept("sessions", "csrf", "templates")
def test_html_logout_from_the_items_page(browser: Browser, alice: Account) -> None:
    assert html_login(browser, alice).status_code == 303
    items = page(browser.get("/items", headers=HTML))
    token = items.fields.get("csrfmiddlewaretoken")
    assert token, "the items page carries a logout form with its CSRF field"
    assert_problem(browser.post("/auth/logout", headers=HTML), 403)
    out = browser.post("/auth/logout", data={"csrfmiddlewaretoken": token}, headers=HTML)
    assert (out.status_code, location(out)) == (303, "/auth/login")
    assert "sessionid" not in browser.jar
    assert browser.get("/auth/whoami").status_code == 401


# --------------------------------------------------------------------------- item forms


@pytest.mark.concept("html-forms", "sessions")
@pytest.mark.parametrize("path", ["/items/new", "/items/00000000-0000-4000-8000-000000000000/edit"])
def test_form_pages_send_anonymous_visitors_to_login(client: httpx.Client, path: str) -> None:
    resp = client.get(path, headers=HTML)
    assert resp.status_code == 302, resp.text[:200]
    assert location(resp) == f"/auth/login?next={path}"


@pytest.mark.concept("html-forms", "templates")
def test_create_page_renders_an_empty_form(owner_browser: Browser) -> None:
    resp = owner_browser.get("/items/new", headers=HTML)
    form = page(resp)
    assert {k: form.fields.get(k) for k in ("name", "description", "price")} == {
        "name": "",
        "description": "",
        "price": "",
    }
    assert form.fields.get("csrfmiddlewaretoken")
    assert form.errors == set() and form.alerts == 0
    assert resp.headers.get("cache-control") == NO_STORE


@pytest.mark.concept("html-forms", "form-data", "authorization")
def test_create_form_post_redirects_and_stores(
    client: httpx.Client, owner: Account, owner_browser: Browser
) -> None:
    token = csrf_field(owner_browser, "/items/new")
    name = f" spaced <b> {uuid.uuid4().hex[:8]} "
    data = {"name": name, "description": "", "price": "12.5", "owner": "x"}
    resp = owner_browser.post("/items/new", data={**data, "csrfmiddlewaretoken": token})
    assert (resp.status_code, location(resp)) == (303, "/items")
    listed = client.get("/api/v1/items", params={"q": name}, headers=owner.headers).json()
    assert [(i["name"], i["description"], i["price"], i["owner"]) for i in listed["items"]] == [
        (name, None, "12.50", owner.id)
    ]


@pytest.mark.concept("html-forms", "bad-input")
@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": "", "price": "1.00"}, {"name"}),
        ({"price": "1.00"}, {"name"}),
        ({"name": "x" * 101, "price": "1.00"}, {"name"}),
        ({"name": "nul\x00", "price": "1.00"}, {"name"}),
        ({"name": "ok", "description": "d" * 2001, "price": "1.00"}, {"description"}),
        ({"name": "ok", "price": ""}, {"price"}),
        ({"name": "ok", "price": "12.345"}, {"price"}),
        ({"name": "ok", "price": "1e3"}, {"price"}),
        ({"name": "ok", "price": "-1.00"}, {"price"}),
        ({"name": "ok", "price": " 1.00"}, {"price"}),
        ({"name": "ok", "price": "123456789"}, {"price"}),
        ({"name": "", "description": "d" * 2001, "price": "abc"}, {"name", "description", "price"}),
    ],
)
def test_create_form_errors_rerender_with_input_kept(
    client: httpx.Client,
    owner: Account,
    owner_browser: Browser,
    fields: dict[str, str],
    errors: set[str],
) -> None:
    before = item_count(client, owner)
    token = csrf_field(owner_browser, "/items/new")
    resp = owner_browser.post("/items/new", data={**fields, "csrfmiddlewaretoken": token})
    form = page(resp, 400)
    assert form.errors == errors
    assert form.alerts == 1
    for name, value in fields.items():
        if "\x00" not in value:
            assert form.fields.get(name) == value, f"{name}: the input is kept"
    assert form.fields.get("csrfmiddlewaretoken")
    assert item_count(client, owner) == before, "nothing written"


@pytest.mark.concept("html-forms", "csrf")
@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789abcdef0123456789abcdef"])
def test_create_form_post_without_csrf_is_403(
    client: httpx.Client, owner: Account, owner_browser: Browser, token: str | None
) -> None:
    before = item_count(client, owner)
    data = {"name": "no csrf", "price": "1.00"}
    if token is not None:
        data["csrfmiddlewaretoken"] = token
    assert_problem(owner_browser.post("/items/new", data=data, headers=HTML), 403)
    assert item_count(client, owner) == before


@pytest.mark.concept("html-forms", "authorization", "url-reverse")
def test_edit_form_shows_updates_and_is_owner_only(
    server: LiveServer, client: httpx.Client, owner: Account, owner_browser: Browser, bob: Account
) -> None:
    item = create_item(client, owner, name="before", description="desc", price="3.00")
    path = f"/items/{item['id']}/edit"
    listing = page(owner_browser.get("/items", headers=HTML))
    assert listing.alerts == 0
    assert path in owner_browser.get("/items").text, "the items page links to the edit page"
    form = page(owner_browser.get(path, headers=HTML))
    assert (form.fields["name"], form.fields["description"], form.fields["price"]) == (
        "before",
        "desc",
        "3.00",
    )
    token = form.fields["csrfmiddlewaretoken"]
    bad = page(
        owner_browser.post(
            path, data={"name": "after", "price": "x", "csrfmiddlewaretoken": token}
        ),
        400,
    )
    assert bad.errors == {"price"}
    assert (
        client.get(f"/api/v1/items/{item['id']}", headers=owner.headers).json()["name"] == "before"
    )
    data = {"name": "after", "description": "", "price": "4", "csrfmiddlewaretoken": token}
    resp = owner_browser.post(path, data=data)
    assert (resp.status_code, location(resp)) == (303, "/items")
    now = client.get(f"/api/v1/items/{item['id']}", headers=owner.headers).json()
    assert (now["name"], now["description"], now["price"]) == ("after", None, "4.00")
    # someone else's item and a malformed id: 404, as on the API (no existence leak)
    with Browser(server.base_url) as other:
        assert html_login(other, bob).status_code == 303
        assert_problem(other.get(path, headers=HTML), 404)
        their_token = csrf_field(other, "/items/new")
        stolen = other.post(
            path, data={**data, "name": "stolen", "csrfmiddlewaretoken": their_token}
        )
        assert_problem(stolen, 404)
    assert (
        client.get(f"/api/v1/items/{item['id']}", headers=owner.headers).json()["name"] == "after"
    )
    assert_problem(owner_browser.get("/items/not-a-uuid/edit", headers=HTML), 404)


@pytest.mark.concept("templates")
def test_items_page_shows_human_readable_timestamps(
    client: httpx.Client, owner: Account, owner_browser: Browser
) -> None:
    item = create_item(client, owner, name="dated")
    created = datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
    html = owner_browser.get("/items").text
    row = re.search(rf'<tr id="item-{item["id"]}">(.*?)</tr>', html, re.S)
    assert row is not None, html[:500]
    shown = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", row.group(1))
    expected = f"{created.day} {created:%b %Y, %H:%M} UTC"
    assert shown == [expected], (shown, expected)
