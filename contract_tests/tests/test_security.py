"""Security decisions 22-25 (v2) and the 5xx of issue 12: sessions, CSRF Origin, ambiguity, JWT.

Each test names the decision of ``CONTRACT.md`` ("Security decisions") it pins. Duplicate
headers go over raw HTTP (httpx with a list of header tuples, or ``http.client``), because a
normal client merges or refuses them.
"""

from __future__ import annotations

import http.client
import json
import secrets
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest

from harness.accounts import Account, Browser, SetCookie, bearer, cookie_header, mint_token
from harness.accounts import set_cookies as parse_set_cookies
from harness.http import Client
from harness.items import ITEMS, create_item
from harness.problem import VALIDATION_TYPE, assert_problem
from harness.servers import TEST_SECRET_KEY, LiveServer

FORM = "application/x-www-form-urlencoded"
EVIL_ORIGINS = ["http://evil.example", "null"]
SESSION_MAX_AGE = "1209600"  # two weeks
CSRF_MAX_AGE = "31449600"  # 52 weeks


@pytest.fixture
def browser(server: LiveServer) -> Any:
    with Browser(server.base_url) as b:
        yield b


def login(browser: Browser, account: Account, **headers: str) -> httpx.Response:
    """Open the form (csrftoken cookie), then POST the credentials with the CSRF header."""
    assert browser.get("/auth/login").status_code == 200
    return browser.post(
        "/auth/login",
        data={"username": account.username, "password": account.password},
        headers=browser.csrf() | headers,
    )


def whoami(server: LiveServer, session_id: str) -> httpx.Response:
    with Client(base_url=server.base_url, timeout=10) as c:
        return c.get("/auth/whoami", headers=cookie_header({"sessionid": session_id}))


# --------------------------------------------------------------------------- 22: sessions rotate


@pytest.mark.concept("sessions", "csrf")
def test_login_with_client_chosen_session_id_issues_a_fresh_one(
    server: LiveServer, browser: Browser, alice: Account
) -> None:
    """22: a session id the client chose (session fixation) never becomes authenticated."""
    assert browser.get("/auth/login").status_code == 200
    chosen = secrets.token_hex(16)  # a well-formed id on both apps (32 lowercase hex chars)
    browser.jar["sessionid"] = chosen
    resp = browser.post(
        "/auth/login",
        data={"username": alice.username, "password": alice.password},
        headers=browser.csrf(),
    )
    assert resp.status_code == 200, resp.text
    issued = parse_set_cookies(resp).get("sessionid")
    assert issued is not None, "login must set a session cookie"
    assert issued.value != chosen, "login kept the client-chosen session id (session fixation)"
    assert_problem(whoami(server, chosen), 401)
    assert whoami(server, issued.value).status_code == 200


@pytest.mark.concept("sessions", "csrf")
def test_login_again_rotates_and_logout_kills_the_session_id(
    server: LiveServer, browser: Browser, alice: Account
) -> None:
    """22: every login issues a fresh id (the previous one dies); logout kills the current one."""
    assert login(browser, alice).status_code == 200
    first = browser.jar["sessionid"]
    again = login(browser, alice)
    assert again.status_code == 200, again.text
    second = browser.jar["sessionid"]
    assert second != first, "a second login kept the pre-login session id"
    assert_problem(whoami(server, first), 401)
    assert whoami(server, second).status_code == 200
    out = browser.post("/auth/logout", headers=browser.csrf())
    assert out.status_code == 204, out.text
    cleared = parse_set_cookies(out).get("sessionid")
    assert cleared is not None and cleared.value in ("", '""'), "logout must clear the cookie"
    assert_problem(whoami(server, second), 401)


# --------------------------------------------------------------------------- 22: cookie attributes


def cookie_shape(cookie: SetCookie, now: float) -> dict[str, Any]:
    """The pinned attributes of a Set-Cookie: names, values, flags; Expires as a relation."""
    expires = cookie.attrs.get("expires")
    relation = None
    if expires is not None:
        when = parsedate_to_datetime(expires).timestamp()
        max_age = int(cookie.attrs.get("max-age", "0"))
        # Expires agrees with Max-Age: in the past for a clearing cookie, else now + Max-Age
        relation = (
            "past" if when <= now else ("now+max-age" if abs(when - now - max_age) < 120 else when)
        )
    return {
        "value": "empty" if cookie.value in ("", '""') else "set",
        "max-age": cookie.attrs.get("max-age"),
        "expires": relation,
        "path": cookie.attrs.get("path"),
        "samesite": cookie.attrs.get("samesite", "").lower() or None,
        "domain": cookie.attrs.get("domain"),
        "flags": sorted(cookie.flags),
    }


SESSION_SET: dict[str, Any] = {
    "value": "set",
    "max-age": SESSION_MAX_AGE,
    "expires": "now+max-age",
    "path": "/",
    "samesite": "lax",
    "domain": None,
    "flags": ["httponly", "secure"],
}
CSRF_SET: dict[str, Any] = {
    "value": "set",
    "max-age": CSRF_MAX_AGE,
    "expires": "now+max-age",
    "path": "/",
    "samesite": "lax",
    "domain": None,
    "flags": [],  # read by page JavaScript; not a credential (Django's CSRF_COOKIE_* defaults)
}
SESSION_CLEAR: dict[str, Any] = {
    "value": "empty",
    "max-age": "0",
    "expires": "past",
    "path": "/",
    "samesite": "lax",
    "domain": None,
    "flags": [],
}


@pytest.mark.concept("cookies", "sessions")
def test_login_and_logout_cookie_attributes_are_pinned(browser: Browser, alice: Account) -> None:
    """22: every Set-Cookie attribute of login and logout; the clearing cookie has Max-Age=0."""
    now = time.time()
    form = browser.get("/auth/login")
    assert cookie_shape(parse_set_cookies(form)["csrftoken"], now) == CSRF_SET
    resp = login(browser, alice)
    assert resp.status_code == 200, resp.text
    cookies = parse_set_cookies(resp)
    assert sorted(cookies) == ["csrftoken", "sessionid"], resp.headers.get_list("set-cookie")
    assert cookie_shape(cookies["sessionid"], now) == SESSION_SET, cookies["sessionid"].raw
    assert cookie_shape(cookies["csrftoken"], now) == CSRF_SET, cookies["csrftoken"].raw
    out = browser.post("/auth/logout", headers=browser.csrf())
    assert out.status_code == 204, out.text
    cleared = parse_set_cookies(out)
    assert sorted(cleared) == ["sessionid"], out.headers.get_list("set-cookie")
    assert cookie_shape(cleared["sessionid"], time.time()) == SESSION_CLEAR, cleared[
        "sessionid"
    ].raw


# --------------------------------------------------------------------------- 23: CSRF checks Origin


@pytest.mark.concept("csrf", "sessions")
@pytest.mark.parametrize("origin", EVIL_ORIGINS)
def test_session_write_from_foreign_origin_is_403(
    browser: Browser, alice: Account, origin: str
) -> None:
    """23: a valid CSRF pair does not help a session write whose Origin is not this host."""
    assert login(browser, alice).status_code == 200
    name = f"cross-origin {secrets.token_hex(4)}"
    resp = browser.post(
        ITEMS, json={"name": name, "price": "1.00"}, headers=browser.csrf() | {"Origin": origin}
    )
    assert_problem(resp, 403)
    listed = browser.get(ITEMS, params={"limit": 100}).json()["items"]
    assert name not in [item["name"] for item in listed], "a refused write was stored"
    assert_problem(browser.post("/auth/logout", headers=browser.csrf() | {"Origin": origin}), 403)
    assert browser.get("/auth/whoami").status_code == 200, "a refused logout keeps the session"


@pytest.mark.concept("csrf", "sessions")
def test_session_write_from_own_origin_is_accepted(
    server: LiveServer, browser: Browser, alice: Account
) -> None:
    """23: the server's own origin (scheme://host:port) passes the Origin check."""
    assert login(browser, alice).status_code == 200
    own = "{0.scheme}://{0.netloc}".format(urlsplit(server.base_url))
    resp = browser.post(
        ITEMS,
        json={"name": "same origin", "price": "1.00"},
        headers=browser.csrf() | {"Origin": own},
    )
    assert resp.status_code == 201, resp.text


@pytest.mark.concept("csrf", "sessions")
@pytest.mark.parametrize(
    "referer", [None, "https://evil.example/", "http://{host}/", "https://{host}/items"]
)
def test_https_session_write_without_origin_checks_referer(
    server: LiveServer, browser: Browser, alice: Account, referer: str | None
) -> None:
    """23: over HTTPS (a trusted proxy's X-Forwarded-Proto) without Origin, Referer must be
    an https URL of this host; only the last case passes."""
    assert login(browser, alice).status_code == 200
    host = urlsplit(server.base_url).netloc
    headers = browser.csrf() | {"X-Forwarded-Proto": "https"}
    if referer is not None:
        headers["Referer"] = referer.format(host=host)
    resp = browser.post(ITEMS, json={"name": "via https", "price": "1.00"}, headers=headers)
    if referer == "https://{host}/items":
        assert resp.status_code == 201, resp.text
    else:
        assert_problem(resp, 403)


@pytest.mark.concept("csrf", "sessions")
@pytest.mark.parametrize("origin", EVIL_ORIGINS)
def test_login_from_foreign_origin_is_403(browser: Browser, alice: Account, origin: str) -> None:
    """23: the login form post checks Origin too (login CSRF)."""
    resp = login(browser, alice, Origin=origin)
    assert_problem(resp, 403)
    assert "sessionid" not in parse_set_cookies(resp)


@pytest.mark.concept("csrf", "authentication")
def test_bearer_write_ignores_origin(client: httpx.Client, alice: Account) -> None:
    """23: bearer requests are CSRF-exempt, Origin included (CORS governs browsers there)."""
    resp = client.post(
        ITEMS,
        json={"name": "bearer cross-origin", "price": "1.00"},
        headers=alice.headers | {"Origin": "http://evil.example"},
    )
    assert resp.status_code == 201, resp.text


# --------------------------------------------------------------------------- 24: ambiguous requests


def assert_401_bare_bearer(resp: httpx.Response) -> None:
    assert_problem(resp, 401)
    assert resp.headers.get_list("www-authenticate") == ["Bearer"], resp.headers


@pytest.mark.concept("authentication", "bad-input")
@pytest.mark.parametrize("variant", ["two-valid", "valid-then-garbage", "garbage-then-valid"])
@pytest.mark.parametrize("path", ["/api/v1/users/me", ITEMS])
def test_two_authorization_headers_are_refused(
    client: httpx.Client, alice: Account, variant: str, path: str
) -> None:
    """24: two Authorization headers are ambiguous credentials: 401 + WWW-Authenticate."""
    good = f"Bearer {alice.token}"
    pairs = {
        "two-valid": (good, f"Bearer {mint_token(alice.id)}"),
        "valid-then-garbage": (good, "Bearer garbage"),
        "garbage-then-valid": ("Bearer garbage", good),
    }[variant]
    resp = client.get(path, headers=[("Authorization", value) for value in pairs])
    assert_401_bare_bearer(resp)


def raw_request(
    base_url: str, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
) -> tuple[int, str, bytes]:
    """Send headers exactly as listed (duplicates kept, no Host added): status, type, body."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        resp = conn.getresponse()
        return resp.status, resp.getheader("content-type") or "", resp.read()
    finally:
        conn.close()


@pytest.mark.concept("bad-input")
@pytest.mark.parametrize("path", ["/health", ITEMS])
def test_two_host_headers_are_400(server: LiveServer, path: str) -> None:
    """24: two Host headers (even equal ones) are refused before routing: 400 problem+json."""
    host = urlsplit(server.base_url).netloc
    status, content_type, _ = raw_request(
        server.base_url, "GET", path, [("Host", host), ("Host", host)]
    )
    assert (status, content_type.split(";")[0]) == (400, "application/problem+json")


@pytest.mark.concept("bad-input", "json-body")
@pytest.mark.parametrize(
    "types", [("application/json", "application/json"), ("application/json", "text/plain")]
)
def test_two_content_type_headers_are_415(
    client: httpx.Client, alice: Account, types: tuple[str, str]
) -> None:
    """24: two Content-Type headers are not one media type: 415, nothing stored."""
    name = f"two types {secrets.token_hex(4)}"
    headers = [("Authorization", f"Bearer {alice.token}")] + [("Content-Type", t) for t in types]
    body = f'{{"name": "{name}", "price": "1.00"}}'.encode()
    resp = client.post(ITEMS, content=body, headers=headers)
    assert_problem(resp, 415)
    listed = client.get(ITEMS, params={"limit": 100}, headers=alice.headers).json()["items"]
    assert name not in [item["name"] for item in listed]


# --------------------------------------------------------------------------- 25: JWT claims

NOW = int(time.time())
MAX_NUMERIC_DATE = 253402300799  # 9999-12-31T23:59:59Z: the last instant both stacks represent
BAD_CLAIMS: dict[str, dict[str, Any]] = {
    "exp-string": {"exp": str(NOW + 600)},
    "exp-float": {"exp": float(NOW + 600)},
    "exp-1e30": {"exp": 1e30},
    "exp-10**20": {"exp": 10**20},
    "exp-2**53": {"exp": 2**53},
    "exp-year-10000": {"exp": MAX_NUMERIC_DATE + 1},
    "exp-true": {"exp": True},
    "exp-null": {"exp": None},
    "exp-negative": {"exp": -1},
    "iat-missing": {"drop": ("iat",)},
    "iat-string": {"iat": str(NOW)},
    "iat-float": {"iat": float(NOW)},
    "iat-future": {"iat": NOW + 3600, "exp": NOW + 7200},
    "iat-negative": {"iat": -5},
    "nbf-future": {"nbf": NOW + 3600},
    "nbf-string": {"nbf": str(NOW - 10)},
    "nbf-float": {"nbf": NOW - 10.5},
    "sub-int": {"sub": 12345},
    "sub-not-uuid": {"sub": "not-a-uuid"},
    "sub-uuid-braces": {"sub": "{SUB}"},
    "sub-uuid-upper": {"sub": "SUB-UPPER"},
    "iss-list": {"iss": ["items-api"]},
    "iss-int": {"iss": 1},
    "aud-list": {"aud": ["items-api"]},
    "aud-int": {"aud": 1},
    "jti-int": {"jti": 1},
    "jti-empty": {"jti": ""},
    "type-missing": {"drop": ("type",)},
    "type-list": {"type": ["access"]},
}


def bad_token(account: Account, case: str) -> str:
    spec = dict(BAD_CLAIMS[case])
    drop = tuple(spec.pop("drop", ()))
    sub = spec.pop("sub", account.id)
    if sub == "{SUB}":
        sub = "{" + account.id + "}"
    elif sub == "SUB-UPPER":
        sub = account.id.upper()
    payload = jwt.decode(mint_token(sub, drop=drop), options={"verify_signature": False})
    payload.update(spec)
    # Signed as raw JSON: PyJWT's encoder refuses some of these claims (a non-string iss).
    return jwt.api_jws.encode(json.dumps(payload).encode(), TEST_SECRET_KEY, algorithm="HS256")


@pytest.mark.concept("authentication")
@pytest.mark.parametrize("case", list(BAD_CLAIMS))
def test_bad_claims_are_401_with_bearer_challenge(
    client: httpx.Client, alice: Account, case: str
) -> None:
    """25: a token signed with the right key but a claim of the wrong type/range/presence."""
    resp = client.get("/api/v1/users/me", headers=bearer(bad_token(alice, case)))
    assert_401_bare_bearer(resp)


@pytest.mark.concept("authentication")
@pytest.mark.parametrize(
    "claims",
    [{"nbf": NOW - 10}, {"exp": MAX_NUMERIC_DATE}, {"iat": 0}, {"nbf": 0}],
    ids=["nbf-past", "exp-max", "iat-zero", "nbf-zero"],
)
def test_good_claims_at_the_edges_are_accepted(
    client: httpx.Client, alice: Account, claims: dict[str, Any]
) -> None:
    """25: the rule's edges: an nbf in the past, the largest exp, iat and nbf at 0."""
    resp = client.get("/api/v1/users/me", headers=bearer(mint_token(alice.id, **claims)))
    assert resp.status_code == 200, resp.text


# --------------------------------------------------------------------------- no 5xx


@pytest.mark.concept("file-uploads", "bad-input")
@pytest.mark.parametrize("where", ["files-without-filename", "extra-text-field"])
def test_multipart_text_part_not_utf8_is_400(
    client: httpx.Client, alice: Account, where: str
) -> None:
    """A multipart text part whose bytes are not UTF-8 is a client error, never a 500."""
    item = create_item(client, alice, name="non-utf8 upload")
    boundary = "contract-boundary-0123456789"
    good_file = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nok\r\n"
    ).encode()
    name = "files" if where == "files-without-filename" else "note"
    bad_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + b"\xff\xfe\xfa bad bytes\r\n"
    )
    parts = bad_part if where == "files-without-filename" else good_file + bad_part
    body = parts + f"--{boundary}--\r\n".encode()
    resp = client.post(
        f"{ITEMS}/{item['id']}/attachments",
        content=body,
        headers=alice.headers | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/body/{name}"})
    listed = client.get(f"{ITEMS}/{item['id']}/attachments", headers=alice.headers)
    assert listed.json()["items"] == [], "a refused upload stored a file"


@pytest.mark.concept("bad-input")
@pytest.mark.parametrize("room", ["%00", "a%00b"])
def test_room_name_with_nul_is_404(client: httpx.Client, alice: Account, room: str) -> None:
    """No room name contains NUL: its history is 404 (PostgreSQL refuses NUL in text)."""
    resp = client.get(f"/api/v1/chat/rooms/{room}/messages", headers=alice.headers)
    assert_problem(resp, 404)
