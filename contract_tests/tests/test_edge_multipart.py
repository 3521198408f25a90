"""Values and multipart (v2: 26), multipart half: file names, part headers, limits.

Bodies are built byte for byte and sent with ``harness.rawhttp`` (httpx would quote names
its own way and always add a part Content-Type). Decisions: ``CONTRACT.md`` "Values and
multipart (v2: 26)".
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from harness import rawhttp
from harness.accounts import Account
from harness.items import ITEMS, create_item
from harness.problem import LEAK_MARKERS, PROBLEM_CONTENT_TYPE, VALIDATION_TYPE
from harness.servers import LiveServer

BOUNDARY = "edge-multipart-boundary"
MAX_FILES = 100
#: RFC 5987 spelling of "naïve résumé.txt".
STAR = b"filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt"
#: Internal type names that must not reach an error detail.
TYPE_NAMES = ("UploadFile", "InMemoryUploadedFile", "TemporaryUploadedFile", "`str`", "`array`")


def part(disposition: bytes, payload: bytes, content_type: bytes | None = b"text/plain") -> bytes:
    head = b"Content-Disposition: form-data; " + disposition
    if content_type is not None:
        head += b"\r\nContent-Type: " + content_type
    return b"--" + BOUNDARY.encode() + b"\r\n" + head + b"\r\n\r\n" + payload + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


def upload(server: LiveServer, who: Account, item_id: str, raw: bytes) -> rawhttp.RawResponse:
    return rawhttp.request(
        server,
        "POST",
        f"{ITEMS}/{item_id}/attachments",
        headers=[
            ("Authorization", who.headers["Authorization"]),
            ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
        ],
        body=raw,
    )


@pytest.fixture
def item(client: httpx.Client, alice: Account) -> dict[str, Any]:
    return create_item(client, alice, name="multipart target", price="1.00")


def stored(client: httpx.Client, who: Account, item_id: str) -> list[dict[str, Any]]:
    resp = client.get(f"{ITEMS}/{item_id}/attachments", headers=who.headers)
    assert resp.status_code == 200, resp.text[:300]
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def created(resp: rawhttp.RawResponse) -> list[dict[str, Any]]:
    assert resp.status == 201, (resp.status, resp.body[:300])
    items: list[dict[str, Any]] = json.loads(resp.body)["items"]
    return items


def assert_body_problem(resp: rawhttp.RawResponse, pointers: set[str]) -> dict[str, Any]:
    assert resp.status == 400, (resp.status, resp.body[:300])
    assert resp.content_type == PROBLEM_CONTENT_TYPE, resp.content_type
    problem: dict[str, Any] = json.loads(resp.body)
    assert problem["type"] == VALIDATION_TYPE, problem
    got = {e["pointer"] for e in problem.get("errors", [])}
    assert got == pointers, problem
    text = resp.body.decode("utf-8", "replace")
    leaked = [m for m in (*LEAK_MARKERS, *TYPE_NAMES) if m in text]
    assert not leaked, f"error detail names internals {leaked}: {text[:300]}"
    return problem


# --------------------------------------------------------------------------- file names


@pytest.mark.concept("file-uploads")
@pytest.mark.parametrize(
    "disposition",
    [
        b'name="files"; ' + STAR,
        b'name="files"; filename="fallback.txt"; ' + STAR,
        b'name="files"; ' + STAR + b'; filename="fallback.txt"',
    ],
    ids=["star-alone", "plain-then-star", "star-then-plain"],
)
def test_rfc5987_filename_star_wins(
    server: LiveServer, alice: Account, item: dict[str, Any], disposition: bytes
) -> None:
    """``filename*`` (RFC 5987) is the name, alone or next to ``filename`` (RFC 6266 §4.3)."""
    resp = upload(server, alice, item["id"], body(part(disposition, b"hi")))
    (attachment,) = created(resp)
    assert attachment["filename"] == "na\u00efve r\u00e9sum\u00e9.txt"


@pytest.mark.concept("file-uploads")
def test_long_file_name_keeps_its_extension(
    server: LiveServer, alice: Account, item: dict[str, Any]
) -> None:
    """A name over 255 characters is cut before its extension: 255 characters, ``.txt`` kept."""
    name = "a" * 300 + ".txt"
    resp = upload(
        server, alice, item["id"], body(part(f'name="files"; filename="{name}"'.encode(), b"x"))
    )
    (attachment,) = created(resp)
    assert attachment["filename"] == "a" * 251 + ".txt"


@pytest.mark.concept("file-uploads")
def test_part_without_content_type_is_octet_stream(
    server: LiveServer, alice: Account, item: dict[str, Any]
) -> None:
    """A file part without Content-Type is stored as ``application/octet-stream``."""
    raw = body(part(b'name="files"; filename="a.txt"', b"hi", content_type=None))
    (attachment,) = created(upload(server, alice, item["id"], raw))
    assert attachment["content_type"] == "application/octet-stream"


@pytest.mark.concept("file-uploads")
def test_part_content_type_is_kept(
    server: LiveServer, alice: Account, item: dict[str, Any]
) -> None:
    raw = body(part(b'name="files"; filename="a.txt"', b"hi", content_type=b"text/plain"))
    (attachment,) = created(upload(server, alice, item["id"], raw))
    assert attachment["content_type"] == "text/plain"


# --------------------------------------------------------------------------- refusals


@pytest.mark.concept("file-uploads", "bad-input")
@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([part(b'name="files"; filename=""', b"hi")], id="empty-filename"),
        pytest.param([part(b'name="files"', b"hello", content_type=None)], id="no-filename"),
        pytest.param(
            [part(b'name="files"', b"\xff\xfe\xfd", content_type=None)], id="no-filename-not-utf8"
        ),
        pytest.param([part(b'name="other"; filename="a.txt"', b"hi")], id="wrong-field"),
    ],
)
def test_files_field_without_a_file_is_400(
    client: httpx.Client,
    server: LiveServer,
    alice: Account,
    item: dict[str, Any],
    parts: list[bytes],
) -> None:
    """No usable file under ``files``: 400 ``/body/files``, no internal type names, no write."""
    resp = upload(server, alice, item["id"], body(*parts))
    assert_body_problem(resp, {"/body/files"})
    assert stored(client, alice, item["id"]) == []


@pytest.mark.concept("file-uploads", "bad-input")
def test_text_part_not_utf8_is_400(
    client: httpx.Client, server: LiveServer, alice: Account, item: dict[str, Any]
) -> None:
    raw = body(
        part(b'name="files"; filename="a.txt"', b"hi"),
        part(b'name="note"', b"caf\xe9", content_type=None),
    )
    assert_body_problem(upload(server, alice, item["id"], raw), {"/body/note"})
    assert stored(client, alice, item["id"]) == []


@pytest.mark.concept("file-uploads", "bad-input")
def test_more_files_than_the_limit_is_400(
    client: httpx.Client, server: LiveServer, alice: Account, item: dict[str, Any]
) -> None:
    """At most 100 files per request (Django's DATA_UPLOAD_MAX_NUMBER_FILES): 101 -> 400."""
    files = [
        part(f'name="files"; filename="f{i}.txt"'.encode(), b"x") for i in range(MAX_FILES + 1)
    ]
    assert_body_problem(upload(server, alice, item["id"], body(*files)), {"/body/files"})
    assert stored(client, alice, item["id"]) == []


@pytest.mark.concept("file-uploads")
def test_files_up_to_the_limit_are_stored(
    client: httpx.Client, server: LiveServer, alice: Account, item: dict[str, Any]
) -> None:
    files = [part(f'name="files"; filename="f{i}.txt"'.encode(), b"x") for i in range(MAX_FILES)]
    assert len(created(upload(server, alice, item["id"], body(*files)))) == MAX_FILES
    assert len(stored(client, alice, item["id"])) == MAX_FILES


@pytest.mark.concept("file-uploads", "bad-input")
def test_file_name_not_utf8_is_400_at_the_field(
    client: httpx.Client, server: LiveServer, alice: Account, item: dict[str, Any]
) -> None:
    """A file name that is not UTF-8 leaves no usable file: 400 ``/body/files`` (Django drops
    the part; Litestar refused the whole body as ``about:blank``), nothing stored."""
    raw = body(part(b'name="files"; filename="\xe9t\xe9.txt"', b"x"))
    assert_body_problem(upload(server, alice, item["id"], raw), {"/body/files"})
    assert stored(client, alice, item["id"]) == []


@pytest.mark.concept("file-uploads", "bad-input")
@pytest.mark.parametrize("cut", [3, 4, 6])
def test_body_cut_before_the_closing_boundary_is_400(
    client: httpx.Client, server: LiveServer, alice: Account, item: dict[str, Any], cut: int
) -> None:
    """27: a ``Content-Length`` that ends the body inside the closing ``--boundary--`` is a
    400 and nothing is stored (Django's parser stored the file; Litestar's refused it)."""
    raw = body(part(b'name="files"; filename="a.txt"', b"hello"))
    headers = [
        ("Authorization", f"Bearer {alice.token}"),
        ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
        ("Content-Length", str(len(raw) - cut)),
    ]
    resp = rawhttp.request(server, "POST", f"{ITEMS}/{item['id']}/attachments", headers, raw)
    assert resp.status == 400, f"cut {cut}: {resp.status} {resp.body[:200]!r}"
    assert_body_problem(resp, {"/body"})  # a malformed body, as for JSON
    assert stored(client, alice, item["id"]) == []
