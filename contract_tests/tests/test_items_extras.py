"""Items beyond CRUD: NDJSON export (streaming), uploads, a blocking call in a thread,
the HTML items page (templates, escaping, redirect by reverse lookup) and static files."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from harness.accounts import Account, Browser, bearer, mint_token, new_account, register, unique
from harness.http import Client
from harness.items import ITEMS, create_item, raw_get
from harness.problem import VALIDATION_TYPE, assert_conforms, assert_problem, media_type
from harness.servers import LiveServer

MIB = 1024 * 1024


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- export


@pytest.mark.concept("streaming", "serialization")
def test_export_is_chunked_ndjson(
    client: httpx.Client, carol: Account, carol_items: list[dict[str, Any]]
) -> None:
    with client.stream("GET", f"{ITEMS}/export", headers=carol.headers) as resp:
        assert resp.status_code == 200
        assert media_type(resp) == "application/x-ndjson"
        assert resp.headers.get("transfer-encoding", "").lower() == "chunked", dict(resp.headers)
        assert "content-length" not in resp.headers
        assert resp.headers.get("cache-control") == "no-cache"
        raw = b"".join(resp.iter_bytes())
    lines = [ln for ln in raw.decode().split("\n") if ln]
    assert raw.endswith(b"\n"), "every line ends in a newline"
    exported = [assert_conforms(json.loads(ln), "Item") for ln in lines]
    expected = sorted(carol_items, key=lambda i: (ts(i["created_at"]), i["id"]))
    assert exported == expected


@pytest.mark.concept("streaming")
def test_export_of_user_without_items_is_empty(client: httpx.Client) -> None:
    # a fresh user with a minted token (the token endpoint is rate limited; minted tokens
    # are proven equivalent in test_auth.py)
    reg = register(client, unique("empty"))
    assert reg.status_code == 201, reg.text
    resp = client.get(f"{ITEMS}/export", headers=bearer(mint_token(reg.json()["id"])))
    assert resp.status_code == 200
    assert media_type(resp) == "application/x-ndjson"
    assert resp.content.strip() == b""


# --------------------------------------------------------------------------- uploads


@pytest.fixture
def upload_item(client: httpx.Client, alice: Account) -> dict[str, Any]:
    return create_item(client, alice, name="with attachments")


def attachments(client: httpx.Client, who: Account, item_id: str) -> list[dict[str, Any]]:
    resp = client.get(f"{ITEMS}/{item_id}/attachments", headers=who.headers)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = assert_conforms(resp, "AttachmentList")["items"]
    return items


@pytest.mark.concept("file-uploads", "default-status", "url-reverse")
def test_upload_many_and_download(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any]
) -> None:
    files = [
        ("files", ("notes.txt", b"hello notes", "text/plain")),
        ("files", ("data.bin", bytes(range(256)), "application/octet-stream")),
    ]
    resp = client.post(
        f"{ITEMS}/{upload_item['id']}/attachments", files=files, headers=alice.headers
    )
    assert resp.status_code == 201, resp.text
    stored = assert_conforms(resp, "AttachmentList")["items"]
    assert [(a["filename"], a["size"]) for a in stored] == [("notes.txt", 11), ("data.bin", 256)]
    assert attachments(client, alice, upload_item["id"]) == stored
    for att, (_, (name, content, ctype)) in zip(stored, files, strict=True):
        url = urlsplit(att["url"])
        assert url.scheme in ("http", "https") and url.netloc, att["url"]
        assert url.path == f"{ITEMS}/{upload_item['id']}/attachments/{att['id']}"
        got = client.get(url.path, headers=alice.headers)
        assert got.status_code == 200, got.text[:200]
        assert got.content == content
        assert media_type(got) == ctype
        assert got.headers.get("content-disposition") == f'attachment; filename="{name}"'


@pytest.mark.concept("file-uploads")
@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("..", "file"),
        ("a/../../b.txt", "b.txt"),
    ],
)
def test_upload_names_are_sanitised(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any], sent: str, expected: str
) -> None:
    resp = client.post(
        f"{ITEMS}/{upload_item['id']}/attachments",
        files=[("files", (sent, b"x", "text/plain"))],
        headers=alice.headers,
    )
    assert resp.status_code == 201, resp.text
    att = assert_conforms(resp, "AttachmentList")["items"][0]
    assert att["filename"] == expected
    got = client.get(urlsplit(att["url"]).path, headers=alice.headers)
    assert got.headers.get("content-disposition") == f'attachment; filename="{expected}"'


@pytest.mark.concept("file-uploads")
@pytest.mark.parametrize("sent", ["..\\..\\boot.ini", "ctl\x01\x1fname.txt", "nul\x00.txt"])
def test_upload_odd_names_have_no_separators_or_controls(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any], sent: str
) -> None:
    resp = client.post(
        f"{ITEMS}/{upload_item['id']}/attachments",
        files=[("files", (sent, b"x", "text/plain"))],
        headers=alice.headers,
    )
    assert resp.status_code == 201, resp.text
    name = assert_conforms(resp, "AttachmentList")["items"][0]["filename"]
    assert name and ".." not in name and "/" not in name and "\\" not in name
    assert not any(ord(ch) < 32 for ch in name), repr(name)


@pytest.mark.concept("file-uploads")
@pytest.mark.parametrize(
    "sizes",
    [[5 * MIB + 1], [10, 5 * MIB + 1], [int(3.5 * MIB), int(3.5 * MIB)]],
    ids=["one-too-large", "second-too-large", "request-over-6mib"],
)
def test_upload_too_large_is_413_and_stores_nothing(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any], sizes: list[int]
) -> None:
    files = [
        ("files", (f"f{i}.bin", b"z" * n, "application/octet-stream")) for i, n in enumerate(sizes)
    ]
    resp = client.post(
        f"{ITEMS}/{upload_item['id']}/attachments", files=files, headers=alice.headers
    )
    assert_problem(resp, 413)
    assert attachments(client, alice, upload_item["id"]) == []


@pytest.mark.concept("file-uploads")
def test_upload_exactly_at_limit_is_accepted(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any]
) -> None:
    resp = client.post(
        f"{ITEMS}/{upload_item['id']}/attachments",
        files=[("files", ("max.bin", b"m" * (5 * MIB), "application/octet-stream"))],
        headers=alice.headers,
    )
    assert resp.status_code == 201, resp.text[:300]
    assert resp.json()["items"][0]["size"] == 5 * MIB


@pytest.mark.concept("file-uploads", "form-data")
def test_upload_without_files_is_400(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any]
) -> None:
    resp = client.post(
        f"{ITEMS}/{upload_item['id']}/attachments",
        files=[("other", ("x.txt", b"x", "text/plain"))],
        headers=alice.headers,
    )
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/files"})


@pytest.mark.concept("file-uploads", "exceptions")
def test_upload_json_body_is_415(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any]
) -> None:
    resp = client.post(
        f"{ITEMS}/{upload_item['id']}/attachments", json={"files": []}, headers=alice.headers
    )
    assert_problem(resp, 415)


@pytest.mark.concept("file-uploads", "path-params")
def test_unknown_attachment_is_404(
    client: httpx.Client, alice: Account, upload_item: dict[str, Any]
) -> None:
    path = f"{ITEMS}/{upload_item['id']}/attachments/{uuid.uuid4()}"
    assert_problem(client.get(path, headers=alice.headers), 404)
    bad = client.get(f"{ITEMS}/{upload_item['id']}/attachments/nope", headers=alice.headers)
    assert_problem(bad, 400, type_=VALIDATION_TYPE, pointers={"/path/attachment_id"})


# --------------------------------------------------------------------------- sync-async

BLOCK_MS = 300
CALLS = 4


@pytest.mark.concept("sync-async")
def test_blocking_calls_overlap(server: LiveServer, alice: Account) -> None:
    """4 concurrent 300 ms blocking calls: serial would take >= 1.2 s; overlapped ~0.3-0.5 s."""

    def one(_: int) -> tuple[int, Any, float]:
        with Client(base_url=server.base_url, timeout=15) as c:
            t0 = time.monotonic()
            resp = c.get(f"{ITEMS}/blocking", params={"ms": BLOCK_MS}, headers=alice.headers)
            return resp.status_code, resp.json(), time.monotonic() - t0

    # warm up connections / thread pools
    with Client(base_url=server.base_url, timeout=15) as c:
        warm = c.get(f"{ITEMS}/blocking", params={"ms": 1}, headers=alice.headers)
        assert warm.status_code == 200, warm.text
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        results = list(pool.map(one, range(CALLS)))
    elapsed = time.monotonic() - started
    assert [(s, b) for s, b, _ in results] == [(200, {"slept_ms": BLOCK_MS})] * CALLS
    assert all(d >= BLOCK_MS / 1000 for _, _, d in results), "each call really blocks"
    assert elapsed < 0.75 * CALLS * BLOCK_MS / 1000, (
        f"{CALLS} calls took {elapsed:.2f}s: no overlap"
    )


@pytest.mark.concept("sync-async", "query-params")
@pytest.mark.parametrize("ms", ["0", "2001", "abc", None])
def test_blocking_bounds(client: httpx.Client, alice: Account, ms: str | None) -> None:
    params = {} if ms is None else {"ms": ms}
    resp = client.get(f"{ITEMS}/blocking", params=params, headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/query/ms"})


# --------------------------------------------------------------------------- pages


@pytest.mark.concept("templates", "sessions")
def test_items_page_escapes_user_data(client: httpx.Client, server: LiveServer) -> None:
    # A user of its own: the page lists the newest PAGE_LIMIT (100) items of the user, and the
    # session-wide alice owns more than that by now.
    owner = new_account(client, "escape")
    marker = uuid.uuid4().hex[:8]
    create_item(client, owner, name=f"<script>alert({marker})</script>", price="1.00")
    with Browser(server.base_url) as browser:
        assert browser.get("/auth/login").status_code == 200
        login = browser.post(
            "/auth/login",
            data={"username": owner.username, "password": owner.password},
            headers=browser.csrf(),
        )
        assert login.status_code == 200, login.text
        resp = browser.get("/items")
    assert resp.status_code == 200, resp.text[:300]
    assert media_type(resp) == "text/html"
    assert f"&lt;script&gt;alert({marker})&lt;/script&gt;" in resp.text
    assert f"<script>alert({marker})</script>" not in resp.text
    assert "/static/items.css" in resp.text and "/static/items.js" in resp.text


@pytest.mark.concept("templates", "sessions")
def test_items_page_anonymous_redirects_to_login(client: httpx.Client) -> None:
    resp = client.get("/items")
    assert resp.status_code == 302, resp.text[:200]
    assert urlsplit(resp.headers.get("location", "")).path == "/auth/login"


@pytest.mark.concept("url-reverse")
def test_item_page_redirects_to_anchor(
    client: httpx.Client, alice: Account, bob: Account, logged_in: Browser, server: LiveServer
) -> None:
    item = create_item(client, alice, name="anchor")
    resp = logged_in.get(f"/items/{item['id']}/page")
    assert resp.status_code == 302, resp.text[:200]
    location = urlsplit(resp.headers.get("location", ""))
    assert (location.path, location.fragment) == ("/items", f"item-{item['id']}")
    theirs = create_item(client, bob, name="not yours")
    assert_problem(logged_in.get(f"/items/{theirs['id']}/page"), 404)


# --------------------------------------------------------------------------- static


@pytest.mark.concept("static-files")
@pytest.mark.parametrize(
    ("path", "ctype"), [("/static/items.css", "text/css"), ("/static/items.js", "text/javascript")]
)
def test_static_files_served(client: httpx.Client, path: str, ctype: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200, resp.text[:200]
    assert media_type(resp) == ctype
    assert resp.content.strip()


@pytest.mark.concept("static-files")
@pytest.mark.parametrize(
    "raw_path",
    [
        "/static/../config/settings.py",
        "/static/%2e%2e/config/settings.py",
        "/static/..%2fconfig%2fsettings.py",
        "/static/%2e%2e%2fconfig%2fsettings.py",
        "/static/..%5cconfig%5csettings.py",
        "/static/nope.css",
    ],
)
def test_static_traversal_is_404(server: LiveServer, raw_path: str) -> None:
    status, _, body = raw_get(server.base_url, raw_path)
    assert status == 404, f"{raw_path} -> {status}"
    assert b"SECRET_KEY" not in body and b"import" not in body
