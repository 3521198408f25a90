"""Static files and pages at the HTTP edge: methods, conditional GET, HEAD, login redirects.

Static files (``/static/...``): GET and HEAD only, with the same headers (``Content-Type``,
``Content-Length``, ``ETag``, ``Last-Modified``, ``Cache-Control: max-age=60, public``);
``If-None-Match`` with the current ``ETag`` or ``If-Modified-Since`` not before
``Last-Modified`` is 304 (``If-None-Match`` decides when both are sent) with ``ETag`` and
``Cache-Control`` and no body; OPTIONS is 204 with ``Allow: GET, HEAD, OPTIONS``; any other
method is 405 problem+json with that ``Allow``, whether the file exists or not (the method is
checked first). HTML pages are session pages: an ``Authorization`` header (valid or not) does not
log a browser in, so an anonymous page request is the login redirect to
``/auth/login?next=<path>`` for GET and HEAD alike. ``/api/schema`` itself is no document: 404.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest

from harness.accounts import Account
from harness.edges import assert_raw_problem, assert_raw_security_headers
from harness.rawhttp import RawResponse, request
from harness.servers import LiveServer

ASSET = "/static/items.css"
MISSING = "/static/no-such-file.css"
STATIC_ALLOW = "GET, HEAD, OPTIONS"
STATIC_CACHE_CONTROL = "max-age=60, public"
SAME_ON_HEAD = ("content-type", "content-length", "etag", "last-modified", "cache-control")


def media(resp: RawResponse) -> str:
    """Content-Type with parameters, quotes dropped (``charset="utf-8"`` == ``charset=utf-8``)."""
    return (resp.header("content-type") or "").replace('"', "").replace(" ", "").lower()


@pytest.fixture
def asset(server: LiveServer) -> RawResponse:
    resp = request(server, "GET", ASSET)
    assert resp.status == 200, f"GET {ASSET}: {resp.status}"
    return resp


@pytest.mark.concept("static-files")
def test_static_file_validators_and_cache_control(asset: RawResponse) -> None:
    """A static file carries a strong ETag, Last-Modified and the pinned Cache-Control."""
    assert media(asset) == "text/css;charset=utf-8"
    assert asset.header("cache-control") == STATIC_CACHE_CONTROL
    etag = asset.header("etag") or ""
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2, f"ETag {etag!r}"
    modified = parsedate_to_datetime(asset.header("last-modified") or "")
    assert modified.tzinfo is not None
    assert asset.header("content-length") == str(len(asset.body))
    assert_raw_security_headers(asset, f"GET {ASSET}")


@pytest.mark.concept("static-files")
def test_static_head_has_the_get_headers(server: LiveServer, asset: RawResponse) -> None:
    """HEAD answers the GET's headers and no body."""
    head = request(server, "HEAD", ASSET)
    assert head.status == 200
    for name in SAME_ON_HEAD:
        assert head.header(name) == asset.header(name), f"HEAD {name}: {head.header(name)!r}"
    assert head.body == b""


@pytest.mark.concept("static-files")
@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("etag", 304),
        ("since-last-modified", 304),
        ("other-etag", 200),
        ("since-epoch", 200),
        ("other-etag-and-since-last-modified", 200),
    ],
)
def test_static_conditional_get(
    server: LiveServer, asset: RawResponse, case: str, status: int
) -> None:
    """If-None-Match / If-Modified-Since: 304 with ETag and Cache-Control, else the file."""
    etag, modified = asset.header("etag") or "", asset.header("last-modified") or ""
    headers = {
        "etag": [("If-None-Match", etag)],
        "since-last-modified": [("If-Modified-Since", modified)],
        "other-etag": [("If-None-Match", '"not-the-etag"')],
        "since-epoch": [("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")],
        "other-etag-and-since-last-modified": [
            ("If-None-Match", '"not-the-etag"'),
            ("If-Modified-Since", modified),
        ],
    }[case]
    resp = request(server, "GET", ASSET, headers)
    assert resp.status == status, f"{case}: {resp.status}"
    assert resp.header("etag") == etag
    assert resp.header("cache-control") == STATIC_CACHE_CONTROL
    if status == 304:
        assert resp.body == b""
    else:
        assert resp.body == asset.body


@pytest.mark.concept("static-files")
@pytest.mark.parametrize("path", [ASSET, MISSING])
def test_static_options_is_204_with_allow(server: LiveServer, path: str) -> None:
    """OPTIONS on /static/...: 204, the exact Allow, no body."""
    resp = request(server, "OPTIONS", path)
    assert resp.status == 204, f"OPTIONS {path}: {resp.status} {resp.body[:200]!r}"
    assert resp.header("allow") == STATIC_ALLOW


@pytest.mark.concept("static-files", "exceptions")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", [ASSET, MISSING])
def test_static_unsafe_method_is_405_problem(server: LiveServer, method: str, path: str) -> None:
    """Unsafe methods on /static/...: 405 problem+json with Allow, before the file lookup."""
    resp = request(server, method, path, [("Content-Type", "text/plain")], b"x")
    assert_raw_problem(resp, 405, f"{method} {path}")
    assert resp.header("allow") == STATIC_ALLOW
    assert_raw_security_headers(resp, f"{method} {path}")


@pytest.mark.concept("static-files", "exceptions")
def test_static_missing_file_is_404_problem(server: LiveServer) -> None:
    """GET of a file that does not exist: 404 problem+json."""
    assert_raw_problem(request(server, "GET", MISSING), 404, f"GET {MISSING}")


# --------------------------------------------------------------------------- pages


@pytest.mark.concept("templates", "sessions")
@pytest.mark.parametrize("page", ["/items", "/items/new"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("auth", ["none", "valid-bearer", "bad-bearer"])
def test_anonymous_page_redirects_to_login(
    server: LiveServer, alice: Account, page: str, method: str, auth: str
) -> None:
    """Pages are session pages: with no session, any Authorization: 302 to the login form."""
    headers = {
        "none": [],
        "valid-bearer": [("Authorization", f"Bearer {alice.token}")],
        "bad-bearer": [("Authorization", "Bearer not-a-token")],
    }[auth]
    resp = request(server, method, page, headers)
    assert resp.status == 302, f"{method} {page} ({auth}): {resp.status} {resp.body[:200]!r}"
    assert resp.header("location") == f"/auth/login?next={page}"
    assert resp.header("www-authenticate") is None


@pytest.mark.concept("openapi")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_schema_root_is_404(server: LiveServer, method: str) -> None:
    """/api/schema without a suffix is no document (Django's answer): 404 problem+json."""
    resp = request(server, method, "/api/schema")
    assert resp.status == 404, f"{method} /api/schema: {resp.status}"
    if method == "GET":
        assert_raw_problem(resp, 404, "GET /api/schema")
