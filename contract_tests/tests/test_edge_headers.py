"""Response headers on every kind of answer (decision 21): the pinned values, both apps.

``CONTRACT.md`` "Response headers and order of checks (v2: 21, 24)" names each rule; this
module sends one request of every kind of answer (API reads and writes, validation errors,
401/404/405/500, the router's own 404/405, pages, docs, static files, downloads) and checks
the security headers, ``X-Request-ID``, ``X-Process-Time``, ``Cache-Control``, ``Vary``,
validators and rate-limit headers on each; then ``Allow`` per route, the cookies and the
downloads' conditional requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from harness import rawhttp
from harness.accounts import Account, Browser, set_cookies
from harness.http import Client
from harness.items import ITEMS, create_item
from harness.problem import GENERATED_REQUEST_ID_RE, PROCESS_TIME_RE
from harness.servers import LiveServer
from tests.test_security import CSRF_SET, cookie_shape

#: Decision 21: the security headers, on every answer (Django's SecurityMiddleware and
#: XFrameOptionsMiddleware values). No Content-Security-Policy on either app.
SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
NOT_SENT = ("content-security-policy", "ratelimit-limit", "ratelimit-remaining")
RATE_LIMIT_HEADERS = (
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
)
BAD_TOKEN = {"Authorization": "Bearer not.a.token"}
PAGE = "private, no-store"
THEME_MAX_AGE = "31536000"


def vary_tokens(resp: httpx.Response | Any) -> frozenset[str]:
    """The ``Vary`` tokens, lower-cased (field names are case-insensitive), all headers."""
    values = resp.headers.get_list("vary") if isinstance(resp, httpx.Response) else []
    return frozenset(t.strip().lower() for v in values for t in v.split(",") if t.strip())


@dataclass(frozen=True)
class Case:
    """One kind of answer and its pinned headers (``None``: not pinned here)."""

    id: str
    method: str
    path: str  # {item} / {attachment}: alice's item and its attachment
    auth: str  # "none" | "token" | "bad" | "session"
    status: int
    cache: str | None
    vary: frozenset[str] | None
    body: dict[str, Any] | None = None


ORIGIN = frozenset({"origin"})
CO = frozenset({"cookie", "origin"})
CASES = [
    Case("health", "GET", "/health", "none", 200, "no-store", ORIGIN),
    Case("list", "GET", ITEMS, "token", 200, "private, max-age=0", ORIGIN),
    Case("list-session", "GET", ITEMS, "session", 200, "private, max-age=0", CO),
    Case("list-anon-401", "GET", ITEMS, "none", 401, "no-store", CO),
    Case("list-bad-token-401", "GET", ITEMS, "bad", 401, "no-store", ORIGIN),
    Case("head-list", "HEAD", ITEMS, "token", 200, "private, max-age=0", ORIGIN),
    # The items controller's layer (private, max-age=0) covers its writes and OPTIONS too.
    Case(
        "create",
        "POST",
        ITEMS,
        "token",
        201,
        "private, max-age=0",
        ORIGIN,
        {"name": "h", "price": "1.00"},
    ),
    Case("create-400", "POST", ITEMS, "token", 400, "no-store", ORIGIN, {"name": "h"}),
    Case("collection-405", "PUT", ITEMS, "token", 405, "no-store", ORIGIN, {}),
    Case("detail", "GET", ITEMS + "/{item}", "token", 200, "private, max-age=60", ORIGIN),
    Case(
        "detail-404",
        "GET",
        ITEMS + "/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
        "token",
        404,
        "no-store",
        ORIGIN,
    ),
    Case("export", "GET", ITEMS + "/export", "token", 200, "no-cache", ORIGIN),
    Case(
        "attachments",
        "GET",
        ITEMS + "/{item}/attachments",
        "token",
        200,
        "private, max-age=0",
        ORIGIN,
    ),
    Case(
        "download",
        "GET",
        ITEMS + "/{item}/attachments/{attachment}",
        "token",
        200,
        "private, max-age=0",
        ORIGIN,
    ),
    Case("options-anon", "OPTIONS", ITEMS, "none", 204, "private, max-age=0", CO),
    Case("options-token", "OPTIONS", ITEMS, "token", 204, "private, max-age=0", ORIGIN),
    Case("router-404", "GET", "/no-such-route", "none", 404, "no-store", ORIGIN),
    Case("router-404-api", "GET", "/api/v1/no-such-route", "none", 404, "no-store", ORIGIN),
    Case("router-405", "PATCH", "/api/v1/users", "none", 405, "no-store", ORIGIN, {}),
    Case("router-options-404", "OPTIONS", "/no-such-route", "none", 404, "no-store", ORIGIN),
    Case("error-500", "GET", "/_test/error", "none", 500, "no-store", ORIGIN),
    Case("me-session", "GET", "/api/v1/users/me", "session", 200, "no-store", CO),
    Case("preferences", "GET", "/api/v1/preferences", "none", 200, "no-store", ORIGIN),
    Case(
        "token",
        "POST",
        "/api/v1/auth/token",
        "none",
        401,
        "no-store",
        ORIGIN,
        {"username": "nobody-here", "password": "wrong-password"},
    ),
    Case("chat-rooms", "GET", "/api/v1/chat/rooms", "token", 200, "no-store", ORIGIN),
    Case("chat-ticket", "POST", "/api/v1/chat/tickets", "token", 201, "no-store", ORIGIN),
    Case(
        "schema",
        "GET",
        "/api/schema/openapi.json",
        "none",
        200,
        "no-store",
        frozenset({"accept", "cookie", "origin"}),
    ),
    Case(
        "schema-bad-token",
        "GET",
        "/api/schema/openapi.json",
        "bad",
        401,
        "no-store",
        frozenset({"accept", "origin"}),
    ),
    Case("swagger", "GET", "/api/schema/swagger", "none", 200, "no-store", CO),
    Case("redoc", "GET", "/api/schema/redoc", "none", 200, "no-store", CO),
    Case("login-form", "GET", "/auth/login", "none", 200, "no-store", CO),
    Case("whoami-session", "GET", "/auth/whoami", "session", 200, "no-store", CO),
    Case("whoami-anon", "GET", "/auth/whoami", "none", 401, "no-store", CO),
    Case("options-login", "OPTIONS", "/auth/login", "none", 204, "no-store", ORIGIN),
    Case("page-anon-redirect", "GET", "/items", "none", 302, PAGE, CO),
    Case("page", "GET", "/items", "session", 200, PAGE, CO),
    Case("chat-page", "GET", "/chat", "session", 200, PAGE, CO),
    # Static files: Cache-Control and Vary are the static-files class's (not pinned here).
    Case("static", "GET", "/static/items.css", "none", 200, None, None),
]


@pytest.fixture(scope="session")
def edge_item(session_http: httpx.Client, alice: Account) -> dict[str, str]:
    """alice's item with one text attachment (ids for the catalogue's paths)."""
    item = create_item(session_http, alice, name="edge-headers", price="2.00")
    resp = session_http.post(
        f"{ITEMS}/{item['id']}/attachments",
        files={"files": ("notes.txt", b"hello headers\n", "text/plain")},
        headers=alice.headers,
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    attachment = (body["items"] if isinstance(body, dict) else body)[0]
    return {"item": item["id"], "attachment": attachment["id"]}


@pytest.fixture
def browser(logged_in: Browser) -> Iterator[Browser]:
    """alice's logged-in browser (sessionid + csrftoken cookies)."""
    yield logged_in


def send(
    client: httpx.Client,
    browser: Browser,
    alice: Account,
    ids: dict[str, str],
    case: Case,
) -> httpx.Response:
    path = case.path.format(**ids)
    kw: dict[str, Any] = {}
    if case.body is not None:
        kw["json"] = case.body
    if case.auth == "session":
        return browser.request(case.method, path, headers=browser.csrf(), **kw)
    headers = {"token": alice.headers, "bad": BAD_TOKEN, "none": {}}[case.auth]
    return client.request(case.method, path, headers=headers, **kw)


@pytest.mark.concept("middleware", "lifecycle-hooks")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_pinned_headers_on_every_kind_of_answer(
    client: httpx.Client,
    browser: Browser,
    alice: Account,
    edge_item: dict[str, str],
    case: Case,
) -> None:
    """21: security headers, X-Request-ID, X-Process-Time, Cache-Control, Vary, no validators
    on API answers and no RateLimit-* on any answer, whatever the kind of answer."""
    resp = send(client, browser, alice, edge_item, case)
    where = f"{case.method} {case.path} ({case.auth})"
    assert resp.status_code == case.status, f"{where}: {resp.status_code} {resp.text[:200]}"
    for name, value in SECURITY.items():
        assert resp.headers.get(name) == value, f"{where}: {name}={resp.headers.get(name)!r}"
    for name in (*NOT_SENT, *RATE_LIMIT_HEADERS):
        assert name not in resp.headers, f"{where}: unexpected {name}"
    assert GENERATED_REQUEST_ID_RE.match(resp.headers.get("x-request-id", "")), where
    if case.path != "/health":
        assert PROCESS_TIME_RE.match(resp.headers.get("x-process-time", "")), (
            f"{where}: X-Process-Time {resp.headers.get('x-process-time')!r}"
        )
    if case.cache is not None:
        assert resp.headers.get("cache-control") == case.cache, (
            f"{where}: Cache-Control {resp.headers.get('cache-control')!r}"
        )
    if case.vary is not None:
        assert vary_tokens(resp) == case.vary, f"{where}: Vary {resp.headers.get_list('vary')}"
    if case.path.startswith("/api/"):
        assert "etag" not in resp.headers and "last-modified" not in resp.headers, where


# --------------------------------------------------------------------------- Allow

ITEM = ITEMS + "/{item}"
ALLOW = [
    ("/health", "GET, HEAD, OPTIONS", "DELETE"),
    (ITEMS, "GET, HEAD, OPTIONS, POST", "PUT"),
    (ITEM, "DELETE, GET, HEAD, OPTIONS, PATCH, PUT", "POST"),
    (ITEMS + "/export", "GET, HEAD, OPTIONS", "POST"),
    (ITEM + "/attachments", "GET, HEAD, OPTIONS, POST", "DELETE"),
    (ITEM + "/attachments/{attachment}", "GET, HEAD, OPTIONS", "DELETE"),
    ("/api/v1/users", "OPTIONS, POST", "GET"),
    ("/api/v1/users/me", "GET, HEAD, OPTIONS", "DELETE"),
    ("/api/v1/auth/token", "OPTIONS, POST", "GET"),
    ("/api/v1/preferences", "GET, HEAD, OPTIONS, PUT", "POST"),
    ("/api/v1/chat/rooms", "GET, HEAD, OPTIONS, POST", "DELETE"),
    ("/api/v1/chat/tickets", "OPTIONS, POST", "GET"),
    ("/auth/login", "GET, HEAD, OPTIONS, POST", "DELETE"),
    ("/auth/whoami", "GET, HEAD, OPTIONS", "POST"),
    ("/auth/logout", "OPTIONS, POST", "GET"),
    ("/api/schema/openapi.json", "GET, HEAD, OPTIONS", "POST"),
]


@pytest.mark.concept("exceptions", "controllers")
@pytest.mark.parametrize(("path", "allow", "refused"), ALLOW, ids=[a[0] for a in ALLOW])
def test_allow_on_options_and_405(
    client: httpx.Client,
    alice: Account,
    edge_item: dict[str, str],
    path: str,
    allow: str,
    refused: str,
) -> None:
    """11, 21: OPTIONS -> 204 and a 405 carry exactly the route's methods in ``Allow``."""
    url = path.format(**edge_item)
    options = client.options(url, headers=alice.headers)
    assert options.status_code == 204, options.text
    assert options.headers.get("allow") == allow
    assert options.content == b""
    wrong = client.request(refused, url, headers=alice.headers)
    assert wrong.status_code == 405, wrong.text
    assert wrong.headers.get("allow") == allow
    assert wrong.headers.get("content-type", "").startswith("application/problem+json")


# --------------------------------------------------------------------------- cookies


@pytest.mark.concept("sessions", "cookies")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/whoami"),
        ("GET", "/api/v1/users/me"),
        ("GET", ITEMS),
        ("HEAD", ITEMS),
        ("OPTIONS", ITEMS),
        ("GET", "/items"),
        ("GET", "/chat"),
        ("GET", "/auth/login"),
        ("GET", "/api/schema/swagger"),
        ("POST", ITEMS),  # a 400: the body is invalid
    ],
)
def test_session_cookie_not_reissued_on_plain_reads(
    browser: Browser, method: str, path: str
) -> None:
    """22: ``Set-Cookie: sessionid`` only when the session changed (login, logout), never on
    a request that merely reads it; such an answer carries ``Vary: Cookie``."""
    kw: dict[str, Any] = {"json": {"name": "x"}} if method == "POST" else {}
    resp = browser.request(method, path, headers=browser.csrf(), **kw)
    assert resp.status_code < 500
    assert "sessionid" not in set_cookies(resp), f"{method} {path} re-issued the session cookie"
    assert "cookie" in vary_tokens(resp), f"{method} {path}: Vary {resp.headers.get_list('vary')}"
    assert browser.get("/auth/whoami").status_code == 200  # still logged in


@pytest.mark.concept("cookies", "csrf")
@pytest.mark.parametrize("path", ["/auth/login", "/items", "/api/schema/swagger"])
def test_pages_that_embed_the_csrf_token_resend_its_cookie(browser: Browser, path: str) -> None:
    """21, 22: a page that embeds the CSRF token (re)sends the ``csrftoken`` cookie, same
    value, Django's attributes (``get_token()`` marks the cookie for update on every render)."""
    before = browser.jar["csrftoken"]
    resp = browser.get(path)
    assert resp.status_code == 200
    cookie = set_cookies(resp).get("csrftoken")
    assert cookie is not None, f"{path}: no csrftoken cookie"
    assert cookie.value == before, "a page must not rotate the CSRF token"
    assert cookie_shape(cookie, time.time()) == CSRF_SET


@pytest.mark.concept("cookies")
def test_preference_cookie_attributes(client: httpx.Client) -> None:
    """21: ``theme``: Max-Age one year, Expires = now + Max-Age, Path=/, SameSite=Lax, Secure
    (DEBUG off), not HttpOnly (page JavaScript reads it)."""
    resp = client.put("/api/v1/preferences", json={"theme": "dark"})
    assert resp.status_code == 200
    cookie = set_cookies(resp)["theme"]
    assert cookie_shape(cookie, time.time()) == {
        "value": "set",
        "max-age": THEME_MAX_AGE,
        "expires": "now+max-age",
        "path": "/",
        "samesite": "lax",
        "domain": None,
        "flags": ["secure"],
    }
    assert cookie.value == "dark"
    assert list(set_cookies(resp)) == ["theme"]


# --------------------------------------------------------------------------- downloads


@pytest.mark.concept("streaming", "file-uploads")
@pytest.mark.parametrize(
    "conditional",
    [
        {"If-None-Match": "*"},
        {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
        {"If-None-Match": '"anything"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    ],
    ids=["if-none-match-star", "if-modified-since-future", "both"],
)
@pytest.mark.parametrize("what", ["attachment", "export"])
def test_downloads_have_no_validators_and_ignore_conditionals(
    client: httpx.Client,
    alice: Account,
    edge_item: dict[str, str],
    what: str,
    conditional: dict[str, str],
) -> None:
    """21: downloads carry no ``ETag`` / ``Last-Modified`` and a conditional GET is a full 200
    (Django's ``FileResponse`` / ``StreamingHttpResponse``; nothing to revalidate)."""
    path = (
        f"{ITEMS}/{edge_item['item']}/attachments/{edge_item['attachment']}"
        if what == "attachment"
        else f"{ITEMS}/export"
    )
    plain = client.get(path, headers=alice.headers)
    assert plain.status_code == 200
    assert "etag" not in plain.headers and "last-modified" not in plain.headers
    resp = client.get(path, headers=alice.headers | conditional)
    assert resp.status_code == 200
    assert resp.content == plain.content if what == "attachment" else resp.content
    if what == "attachment":
        # The stored type exactly as uploaded (no charset added) and the download name.
        assert resp.headers.get("content-type") == "text/plain"
        assert resp.headers.get("content-disposition") == 'attachment; filename="notes.txt"'


# --------------------------------------------------------------------------- rate limit


@pytest.mark.concept("rate-limiting")
def test_429_has_retry_after_and_no_ratelimit_headers(tuned: LiveServer) -> None:
    """14, 21: no ``RateLimit-*`` headers (Django's throttles send none), ``Retry-After`` (a
    whole number of seconds >= 1) on the 429; the headers of every answer kind on it too."""
    with Client(base_url=tuned.base_url, timeout=15) as c:
        body = {"username": "nobody-rate", "password": "wrong-password"}
        answers = [c.post("/api/v1/auth/token", json=body) for _ in range(6)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, [r.status_code for r in answers]
    for resp in answers:
        for name in RATE_LIMIT_HEADERS:
            assert name not in resp.headers, f"{resp.status_code}: {name}"
    resp = limited[0]
    assert resp.headers.get("retry-after", "").isdigit()
    assert 1 <= int(resp.headers["retry-after"]) <= 60
    assert resp.headers.get("cache-control") == "no-store"
    assert PROCESS_TIME_RE.match(resp.headers.get("x-process-time", ""))
    for name, value in SECURITY.items():
        assert resp.headers.get(name) == value


@pytest.mark.concept("middleware", "header-cookie-params")
@pytest.mark.parametrize("target", ["/api/v1/users", "/static/items.css", "/health/x"])
@pytest.mark.parametrize("host", ["none", "foreign", "two"])
def test_host_refusals_are_timed_and_do_not_vary(
    server: LiveServer, target: str, host: str
) -> None:
    """17 + 21: the 400 for a missing, foreign or repeated Host carries ``X-Process-Time`` and
    ``X-Request-ID`` and no ``Vary`` (Django's edge middleware answers above CORS; Litestar's
    edge guard ran outside the timing and got ``Vary: Origin``)."""
    headers = [("Host", "127.0.0.1"), ("Host", "localhost")] if host == "two" else []
    wire_host = {"none": None, "foreign": "evil.example", "two": None}[host]
    resp = rawhttp.request(server, "GET", target, headers, host=wire_host)
    assert resp.status == 400, f"{host} host on {target}: {resp.status}"
    assert PROCESS_TIME_RE.fullmatch(resp.header("x-process-time") or ""), resp.headers
    assert GENERATED_REQUEST_ID_RE.fullmatch(resp.header("x-request-id") or ""), resp.headers
    assert resp.header("vary") is None, resp.headers


@pytest.mark.concept("middleware", "sessions")
@pytest.mark.parametrize("method", ["OPTIONS", "DELETE"])
@pytest.mark.parametrize(
    "page", ["/items", "/items/{item}/page", "/items/new", "/items/{item}/edit"]
)
def test_page_options_and_405_are_private_no_store(
    client: httpx.Client, edge_item: dict[str, str], page: str, method: str
) -> None:
    """17: every answer of a session page is ``private, no-store``, its OPTIONS (204) and 405
    included (Django's ``cache_control`` on ``PageView.dispatch``; Litestar's automatic
    OPTIONS handler and 405 had plain ``no-store``)."""
    resp = client.request(method, page.format(item=edge_item["item"]))
    assert resp.status_code == (204 if method == "OPTIONS" else 405), resp.text
    assert set(resp.headers.get("cache-control", "").replace(" ", "").split(",")) == {
        "private",
        "no-store",
    }, resp.headers
