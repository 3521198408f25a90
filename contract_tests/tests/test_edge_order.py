"""Order of checks (decisions 21, 24): which refusal wins when a request has several faults.

``CONTRACT.md`` "Response headers and order of checks (v2: 21, 24)": a presented, invalid
bearer credential is a 401 on every route that authenticates (any method, OPTIONS and HEAD
included, the schema document and docs too); routes that take no credentials ignore it;
anonymous OPTIONS needs none, nor does a CORS preflight; 405 comes first (routing); then
security checks (authentication, CSRF/Origin) before parsing (415) and validation (400).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness import rawhttp
from harness.accounts import PASSWORD, Account, Browser, unique
from harness.edges import assert_raw_problem
from harness.items import ITEMS, create_item
from harness.problem import VALIDATION_TYPE, assert_problem
from harness.servers import ALLOWED_ORIGIN, LiveServer

BAD_TOKEN = {"Authorization": "Bearer not.a.token"}
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="session")
def order_item(session_http: httpx.Client, alice: Account) -> str:
    return str(create_item(session_http, alice, name="edge-order", price="3.00")["id"])


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    with Browser(server.base_url) as b:
        assert b.get("/auth/login").status_code == 200  # the csrftoken cookie
        yield b


def assert_401_bearer(resp: httpx.Response) -> None:
    assert_problem(resp, 401)
    assert resp.headers.get("www-authenticate") == "Bearer"


#: Routes that authenticate (safe methods need a user, OPTIONS does not).
AUTHENTICATED = [
    ITEMS,
    ITEMS + "/{item}",
    ITEMS + "/export",
    ITEMS + "/{item}/attachments",
    "/api/v1/users/me",
    "/api/v1/chat/rooms",
    "/api/v1/chat/tickets",
]


@pytest.mark.concept("authentication", "permissions")
@pytest.mark.parametrize("path", AUTHENTICATED)
def test_options_needs_no_credentials_but_refuses_a_bad_one(
    client: httpx.Client, alice: Account, order_item: str, path: str
) -> None:
    """21: OPTIONS on an authenticated resource: anonymous 204 (no credentials needed), a valid
    token 204, a presented invalid token 401 + ``WWW-Authenticate: Bearer`` (as GET)."""
    url = path.format(item=order_item)
    anonymous = client.options(url)
    assert anonymous.status_code == 204, anonymous.text
    assert client.options(url, headers=alice.headers).status_code == 204
    assert_401_bearer(client.options(url, headers=BAD_TOKEN))


@pytest.mark.concept("authentication", "app-config")
@pytest.mark.parametrize("path", AUTHENTICATED)
def test_cors_preflight_needs_no_credentials(
    client: httpx.Client, order_item: str, path: str
) -> None:
    """21: a CORS preflight (OPTIONS + Origin + Access-Control-Request-Method) is answered
    before authentication: never a 401 (its status is the CORS class's)."""
    resp = client.options(
        path.format(item=order_item),
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert resp.status_code < 300, resp.text
    assert resp.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN


@pytest.mark.concept("authentication", "openapi")
@pytest.mark.parametrize(
    "path", ["/api/schema/openapi.json", "/api/schema/swagger", "/api/schema/redoc"]
)
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_docs_are_public_but_refuse_a_bad_token(
    client: httpx.Client, path: str, method: str
) -> None:
    """21: the schema document and the docs UIs need no credentials (anonymous 200/204), but a
    presented invalid bearer token is a 401 there too: the docs authenticate like the API
    (DRF's default authenticators on Django), and a client learns its token is bad at once
    instead of being served as anonymous (RFC 6750 section 3.1, ``invalid_token``)."""
    anonymous = client.request(method, path)
    assert anonymous.status_code == (204 if method == "OPTIONS" else 200)
    bad = client.request(method, path, headers=BAD_TOKEN)
    assert bad.status_code == 401
    assert bad.headers.get("www-authenticate") == "Bearer"
    if method != "HEAD":
        assert_401_bearer(bad)


@pytest.mark.concept("authentication")
def test_routes_without_credentials_ignore_a_bad_token(
    client: httpx.Client, alice: Account
) -> None:
    """21: routes that take no credentials (health, token issue, registration, preferences,
    the session routes) never read ``Authorization``: a stale token does not lock a client out
    of getting a new one."""
    assert client.get("/health", headers=BAD_TOKEN).status_code == 200
    token = client.post(
        "/api/v1/auth/token",
        json={"username": alice.username, "password": alice.password},
        headers=BAD_TOKEN,
    )
    assert token.status_code == 200, token.text
    name = unique("order")
    register = client.post(
        "/api/v1/users",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        headers=BAD_TOKEN,
    )
    assert register.status_code == 201, register.text
    assert client.get("/api/v1/preferences", headers=BAD_TOKEN).status_code == 200
    assert client.get("/auth/login", headers=BAD_TOKEN).status_code == 200


# --------------------------------------------------------------------------- 401 first


@pytest.mark.concept("authentication", "json-body")
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"name": 1}', "application/json"),  # invalid body -> would be 400
        (b"name=x", "text/plain"),  # wrong type -> would be 415
        (b"{not json", "application/json"),  # malformed -> would be 400
    ],
    ids=["invalid-body", "wrong-type", "malformed"],
)
@pytest.mark.parametrize("auth", ["anonymous", "bad-token"])
def test_authentication_before_parsing(
    client: httpx.Client, auth: str, content: bytes, content_type: str
) -> None:
    """21: a write without a valid credential is 401 whatever its body (nothing is parsed
    for a client that may not write)."""
    headers = {"Content-Type": content_type} | (BAD_TOKEN if auth == "bad-token" else {})
    assert_401_bearer(client.post(ITEMS, content=content, headers=headers))


@pytest.mark.concept("authentication", "exceptions")
@pytest.mark.parametrize("auth", ["anonymous", "bad-token"])
def test_method_not_allowed_before_authentication(client: httpx.Client, auth: str) -> None:
    """11: an unsupported method on a route that exists is 405 + ``Allow`` before any
    authentication (Litestar's router decides it first; Django's ContractViewMixin too)."""
    headers = BAD_TOKEN if auth == "bad-token" else {}
    resp = client.put(ITEMS, json={}, headers=headers)
    assert_problem(resp, 405)
    assert resp.headers.get("allow") == "GET, HEAD, OPTIONS, POST"


@pytest.mark.concept("exceptions")
def test_method_not_allowed_before_parsing(client: httpx.Client, alice: Account) -> None:
    """21: with a valid token, an unsupported method is 405 whatever the body."""
    resp = client.put(
        ITEMS, content=b"{not json", headers=alice.headers | {"Content-Type": "text/plain"}
    )
    assert_problem(resp, 405)


# --------------------------------------------------------------------------- CSRF first


@pytest.mark.concept("csrf", "form-data")
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"username": "a", "password": "b"}', "application/json"),
        (b"username=a&password=b", "text/plain"),
        (b"", FORM),
    ],
    ids=["json", "text", "empty-form"],
)
@pytest.mark.parametrize("path", ["/auth/login", "/auth/logout"])
def test_csrf_before_content_type_on_session_routes(
    browser: Browser, path: str, content: bytes, content_type: str
) -> None:
    """24 (decided): on the session routes CSRF is checked first: no token -> 403, whatever
    the content type (415) or the form (400) would say."""
    resp = browser.post(path, content=content, headers={"Content-Type": content_type})
    assert_problem(resp, 403)


@pytest.mark.concept("csrf", "form-data")
def test_login_with_csrf_but_json_is_415(browser: Browser) -> None:
    """24: with a valid CSRF token, a JSON body on the form login is 415."""
    resp = browser.post(
        "/auth/login",
        content=b'{"username": "a", "password": "b"}',
        headers=browser.csrf() | {"Content-Type": "application/json"},
    )
    assert_problem(resp, 415)


@pytest.fixture
def session_browser(browser: Browser, alice: Account) -> Browser:
    resp = browser.post(
        "/auth/login",
        data={"username": alice.username, "password": alice.password},
        headers=browser.csrf(),
    )
    assert resp.status_code == 200, resp.text
    return browser


BODIES: list[tuple[str, dict[str, Any]]] = [
    ("invalid-body", {"json": {"name": 1}}),
    ("wrong-type", {"content": b"name=x", "headers": {"Content-Type": "text/plain"}}),
    ("malformed", {"content": b"{x", "headers": {"Content-Type": "application/json"}}),
]


@pytest.mark.concept("csrf", "json-body")
@pytest.mark.parametrize("fault", ["no-token", "evil-origin"])
@pytest.mark.parametrize(("body_id", "body"), BODIES, ids=[b[0] for b in BODIES])
def test_csrf_before_parsing_on_session_writes(
    session_browser: Browser, fault: str, body_id: str, body: dict[str, Any]
) -> None:
    """23, 24: a session write without a valid CSRF token or from a foreign Origin is 403,
    whatever its body would get (400 / 415); nothing is stored."""
    headers = dict(body.get("headers", {}))
    if fault == "evil-origin":
        headers |= session_browser.csrf() | {"Origin": "http://evil.example"}
    kw = {k: v for k, v in body.items() if k != "headers"}
    resp = session_browser.post(ITEMS, headers=headers, **kw)
    assert_problem(resp, 403)


@pytest.mark.concept("csrf", "json-body")
def test_session_write_with_csrf_is_parsed(session_browser: Browser) -> None:
    """24: with the CSRF pair, the body is checked: wrong type 415, invalid 400."""
    csrf = session_browser.csrf()
    wrong = session_browser.post(
        ITEMS, content=b"name=x", headers=csrf | {"Content-Type": "text/plain"}
    )
    assert_problem(wrong, 415)
    invalid = session_browser.post(ITEMS, json={"name": 1}, headers=csrf)
    assert_problem(invalid, 400, type_=VALIDATION_TYPE)


MULTIPART_BOUNDARY = "edgeorderboundary"


def _multipart(parts: bytes) -> bytes:
    return parts + f"--{MULTIPART_BOUNDARY}--\r\n".encode()


#: Multipart bodies a client that may not write could send: each would be a 400 if parsed.
BAD_UPLOADS = {
    "non-utf8-text-part": _multipart(
        f"--{MULTIPART_BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="note"\r\n\r\n\xe9t\xe9\r\n'
    ),
    "non-utf8-filename": _multipart(
        f"--{MULTIPART_BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="\xe9t\xe9.txt"\r\n'
        + b"Content-Type: text/plain\r\n\r\nx\r\n"
    ),
    "no-file": _multipart(
        f"--{MULTIPART_BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"\r\n\r\nnot a file\r\n'
    ),
    "unterminated": f"--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data".encode(),
}


@pytest.mark.concept("authentication", "file-uploads")
@pytest.mark.parametrize("body", list(BAD_UPLOADS), ids=list(BAD_UPLOADS))
@pytest.mark.parametrize("auth", ["anonymous", "bad-token"])
def test_authentication_before_multipart_parsing(
    server: LiveServer, order_item: str, auth: str, body: str
) -> None:
    """21: an upload without a valid credential is 401 before its multipart body is parsed
    (Litestar parsed it first: 400)."""
    headers = [("Content-Type", f"multipart/form-data; boundary={MULTIPART_BOUNDARY}")]
    if auth == "bad-token":
        headers.append(("Authorization", BAD_TOKEN["Authorization"]))
    resp = rawhttp.request(
        server, "POST", f"{ITEMS}/{order_item}/attachments", headers, BAD_UPLOADS[body]
    )
    assert_raw_problem(resp, 401, f"{auth} upload {body}")
    assert resp.header("www-authenticate") == "Bearer"


@pytest.mark.concept("authentication", "header-cookie-params")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_authentication_before_two_content_types(
    server: LiveServer, order_item: str, method: str
) -> None:
    """21 + 24: two ``Content-Type`` headers are 415 for a client that may write, but an
    anonymous write is 401 first (Litestar refused the headers before authenticating)."""
    target = ITEMS if method == "POST" else f"{ITEMS}/{order_item}"
    headers = [("Content-Type", "application/json"), ("Content-Type", "text/plain")]
    resp = rawhttp.request(server, method, target, headers, b'{"name": "x", "price": "1.00"}')
    assert_raw_problem(resp, 401, f"anonymous {method} with two Content-Types")
    assert resp.header("www-authenticate") == "Bearer"


@pytest.mark.concept("authentication", "header-cookie-params")
@pytest.mark.parametrize("path", AUTHENTICATED)
def test_options_with_a_bad_token_keeps_allow(
    client: httpx.Client, order_item: str, path: str
) -> None:
    """21: the 401 to an OPTIONS with a bad token carries the route's ``Allow`` (pinned on
    every OPTIONS answer; DRF's 401 has it, Litestar's authentication did not)."""
    target = path.format(item=order_item)
    resp = client.options(target, headers=BAD_TOKEN)
    assert_401_bearer(resp)
    expected = client.options(target).headers.get("allow")
    assert expected, f"anonymous OPTIONS {target} has no Allow"
    assert resp.headers.get("allow") == expected


@pytest.mark.concept("authentication", "sessions")
@pytest.mark.parametrize("page", ["/items", "/chat"])
@pytest.mark.parametrize(
    "authorization",
    [["Bearer not.a.token"], ["Bearer a", "Bearer b"]],
    ids=["bad-token", "two-headers"],
)
def test_pages_ignore_every_authorization_header(
    server: LiveServer, page: str, authorization: list[str]
) -> None:
    """Pages authenticate by session only: one bad ``Authorization`` header or two of them
    change nothing (Litestar refused two with a 401 before seeing the page)."""
    plain = rawhttp.request(server, "GET", page)
    resp = rawhttp.request(server, "GET", page, [("Authorization", a) for a in authorization])
    assert resp.status == plain.status, f"{page}: {resp.status} vs {plain.status}"
    assert resp.header("location") == plain.header("location")
    assert resp.header("www-authenticate") is None


@pytest.mark.concept("sessions", "middleware")
@pytest.mark.parametrize("page", ["/items/new", "/items/{item}/edit"])
@pytest.mark.parametrize("who", ["anonymous", "session"])
def test_form_pages_answer_the_method_first(
    client: httpx.Client, session_browser: Browser, order_item: str, page: str, who: str
) -> None:
    """1 + 4 on the form pages: OPTIONS is 204 + ``Allow`` without credentials (Django
    redirected it to the login form, or answered 200 with PUT), and a method the page lacks is
    405 + ``Allow`` before the CSRF check (Django: 403)."""
    target = page.format(item=order_item)
    send = client.request if who == "anonymous" else session_browser.request
    options = send("OPTIONS", target)
    assert options.status_code == 204, f"OPTIONS {target}: {options.status_code}"
    assert options.headers.get("allow") == "GET, HEAD, OPTIONS, POST"
    for method in ("PATCH", "PUT", "DELETE"):
        resp = send(method, target)
        assert_problem(resp, 405)
        assert resp.headers.get("allow") == "GET, HEAD, OPTIONS, POST", method
