"""Bad-input matrix: every hostile or broken request gets its pinned status, a problem+json
body (never a 500, never a traceback) and leaves the database exactly as it was.

"Unchanged" is checked on the database itself (harness.dbstate: row count and checksum of
every table, read straight from the server's SQLite file / PostgreSQL database), not only
through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from harness.accounts import Account
from harness.dbstate import assert_unchanged, settled_snapshot
from harness.items import ITEMS, create_item, raw_get
from harness.problem import VALIDATION_TYPE, assert_no_leak, assert_problem
from harness.servers import LiveServer

MIB = 1024 * 1024
USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"
JSON = {"Content-Type": "application/json"}
#: Deeper than any JSON decoder recurses by default (Python's json, msgspec).
DEEP = 100_000


def deep_json(depth: int, key: str = "name") -> bytes:
    return b'{"' + key.encode() + b'": ' + b"[" * depth + b"]" * depth + b', "price": "1.00"}'


@dataclass(frozen=True)
class Case:
    """One bad request: where it goes, what it sends, what the contract pins."""

    id: str
    method: str
    path: str  # "{item}" is replaced by the id of an item of the caller
    status: int
    send: dict[str, Any] = field(default_factory=dict)  # httpx request kwargs
    pointers: frozenset[str] | None = None  # validation pointers (400 validation problems)
    auth: bool = True
    problem: bool = True  # False: a success the contract pins (ignored input)

    @property
    def type_(self) -> str:
        return VALIDATION_TYPE if self.pointers is not None else "about:blank"


def body(raw: bytes, **headers: str) -> dict[str, Any]:
    return {"content": raw, "headers": JSON | headers}


def ptr(*pointers: str) -> frozenset[str]:
    return frozenset(pointers)


CASES: list[Case] = [
    # ---- malformed JSON
    Case("malformed-create", "POST", ITEMS, 400, body(b'{"name": "x",'), ptr("/body")),
    Case("malformed-patch", "PATCH", f"{ITEMS}/{{item}}", 400, body(b'{"price": "1'), ptr("/body")),
    Case("malformed-register", "POST", USERS, 400, body(b'{"username":'), ptr("/body"), auth=False),
    Case(
        "trailing-garbage",
        "POST",
        ITEMS,
        400,
        body(b'{"name": "a", "price": "1.00"} x'),
        ptr("/body"),
    ),
    Case("nan-literal", "POST", ITEMS, 400, body(b'{"name": "a", "price": NaN}'), ptr("/body")),
    Case("array-for-object", "PUT", f"{ITEMS}/{{item}}", 400, body(b"[]"), ptr("/body")),
    # ---- wrong content type (415)
    Case(
        "text-plain",
        "POST",
        ITEMS,
        415,
        body(b'{"name": "a", "price": "1.00"}', **{"Content-Type": "text/plain"}),
    ),
    Case(
        "xml-put",
        "PUT",
        f"{ITEMS}/{{item}}",
        415,
        body(b"<item/>", **{"Content-Type": "application/xml"}),
    ),
    Case(
        "form-register",
        "POST",
        USERS,
        415,
        {"data": {"username": "formy", "password": "x" * 12}},
        auth=False,
    ),
    Case(
        "multipart-to-json",
        "POST",
        ITEMS,
        415,
        {"files": [("f", ("a.json", b"{}", "application/json"))]},
    ),
    # ---- over the limit (413): JSON 1 MiB, uploads 5 MiB per file
    Case(
        "json-over-1mib",
        "POST",
        ITEMS,
        413,
        {"json": {"name": "n", "price": "1.00", "description": "d" * (MIB + 1)}},
    ),
    Case(
        "register-over-1mib",
        "POST",
        USERS,
        413,
        {"json": {"username": "big", "password": "p" * (MIB + 1)}},
        auth=False,
    ),
    Case(
        "upload-over-5mib",
        "POST",
        f"{ITEMS}/{{item}}/attachments",
        413,
        {"files": [("files", ("big.bin", b"z" * (5 * MIB + 1), "application/octet-stream"))]},
    ),
    Case(
        "upload-traversal-over-5mib",
        "POST",
        f"{ITEMS}/{{item}}/attachments",
        413,
        {"files": [("files", ("../../../etc/passwd", b"z" * (5 * MIB + 1), "text/plain"))]},
    ),
    # ---- deeply nested JSON (a RecursionError must not become a 500)
    Case("deep-create", "POST", ITEMS, 400, body(deep_json(DEEP)), ptr("/body")),
    Case(
        "deep-unknown-field",
        "PUT",
        f"{ITEMS}/{{item}}",
        400,
        body(deep_json(DEEP, "extra")),
        ptr("/body"),
    ),
    Case(
        "deep-register",
        "POST",
        USERS,
        400,
        body(deep_json(DEEP, "username")),
        ptr("/body"),
        auth=False,
    ),
    # ---- invalid UTF-8, lone surrogates, NUL characters
    Case(
        "invalid-utf8-create",
        "POST",
        ITEMS,
        400,
        body(b'{"name": "\xff\xfe", "price": "1.00"}'),
        ptr("/body"),
    ),
    Case(
        "invalid-utf8-register",
        "POST",
        USERS,
        400,
        body(b'{"username": "\xc3\x28", "email": "a@b.example", "password": "long-enough-pw"}'),
        ptr("/body"),
        auth=False,
    ),
    Case(
        "nul-name",
        "POST",
        ITEMS,
        400,
        {"json": {"name": "a\x00b", "price": "1.00"}},
        ptr("/body/name"),
    ),
    Case(
        "nul-escaped-description",
        "PATCH",
        f"{ITEMS}/{{item}}",
        400,
        body(b'{"description": "x\\u0000y"}'),
        ptr("/body/description"),
    ),
    Case(
        "nul-username",
        "POST",
        USERS,
        400,
        {"json": {"username": "a\x00b", "email": "n@b.example", "password": "long-enough-pw"}},
        ptr("/body/username"),
        auth=False,
    ),
    Case("nul-query", "GET", f"{ITEMS}?q=a%00b", 400, pointers=ptr("/query/q")),
    Case("nul-path", "GET", f"{ITEMS}/%00", 400, pointers=ptr("/path/item_id")),
    # ---- the literal "null" is a bad UUID / integer, not an absent filter (JSON null has no
    # query-string form; msgspec's lax mode would read it as None)
    Case(
        "null-literal-query",
        "GET",
        f"{ITEMS}?owner=null&limit=null",
        400,
        pointers=ptr("/query/owner", "/query/limit"),
    ),
    # ---- out-of-range numbers
    Case("limit-huge", "GET", f"{ITEMS}?limit={'9' * 30}", 400, pointers=ptr("/query/limit")),
    Case("offset-huge", "GET", f"{ITEMS}?offset={'9' * 30}", 400, pointers=ptr("/query/offset")),
    Case(
        "offset-int64-overflow",
        "GET",
        f"{ITEMS}?offset={2**63}",
        400,
        pointers=ptr("/query/offset"),
    ),
    Case(
        "min-price-huge",
        "GET",
        f"{ITEMS}?min_price={'9' * 30}",
        400,
        pointers=ptr("/query/min_price"),
    ),
    Case("min-price-inf", "GET", f"{ITEMS}?min_price=1e400", 400, pointers=ptr("/query/min_price")),
    Case(
        "price-huge",
        "POST",
        ITEMS,
        400,
        {"json": {"name": "n", "price": "9" * 20 + ".00"}},
        ptr("/body/price"),
    ),
    # ---- huge query strings, unknown and repeated parameters
    Case("query-value-8k", "GET", f"{ITEMS}?q={'x' * 8000}", 400, pointers=ptr("/query/q")),
    Case(
        "query-too-many-fields", "GET", f"{ITEMS}?" + "&".join(f"k{i}=v" for i in range(1500)), 400
    ),
    # A long unknown parameter is ignored; the request line stays under the servers' 16 KiB
    # header limit (over it: 431, tests/test_hardening.py).
    Case("query-unknown-12k", "GET", f"{ITEMS}?junk={'x' * 12_000}", 200, problem=False),
    Case("query-unknown", "GET", f"{ITEMS}?nope=1&limit=2", 200, problem=False),
    # ---- path traversal in ids
    Case("traversal-item-id", "GET", f"{ITEMS}/..%2f..%2fetc%2fpasswd", 404),
    # an encoded dot segment is an odd path (decision 26): 404 on every route
    Case("traversal-item-id-dots", "DELETE", f"{ITEMS}/%2e%2e", 404),
]


@pytest.fixture(scope="module")
def victim_item(session_http: httpx.Client, alice: Account) -> dict[str, Any]:
    """An item of alice that the PATCH/PUT/upload cases aim at."""
    return create_item(session_http, alice, name="bad-input target", price="3.00")


def _request(client: httpx.Client, case: Case, who: Account, item_id: str) -> httpx.Response:
    kwargs = dict(case.send)
    headers = dict(kwargs.pop("headers", {}))
    if case.auth:
        headers |= who.headers
    return client.request(
        case.method, case.path.replace("{item}", item_id), headers=headers, **kwargs
    )


@pytest.mark.concept("bad-input")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_pinned_and_changes_nothing(
    client: httpx.Client,
    server: LiveServer,
    alice: Account,
    victim_item: dict[str, Any],
    case: Case,
) -> None:
    if server.external:
        pytest.skip("reading the database needs a server started by the harness")
    before = settled_snapshot(server)
    resp = _request(client, case, alice, victim_item["id"])
    if case.problem:
        pointers = set(case.pointers) if case.pointers is not None else None
        assert_problem(resp, case.status, type_=case.type_, pointers=pointers)
    else:
        assert resp.status_code == case.status, resp.text[:300]
        assert_no_leak(resp)
    assert_unchanged(before, server)


@pytest.mark.concept("bad-input", "query-params")
def test_repeated_query_param_counts_once(client: httpx.Client, alice: Account) -> None:
    """``?limit=5&limit=7``: both frameworks use the last value (Django's QueryDict rule).

    Every other single-valued query parameter and form field follows the same rule:
    ``tests/test_edge_values.py`` (CONTRACT.md "Values and multipart (v2: 26)").
    """
    for _ in range(3):
        create_item(client, alice, name="dup", price="1.00")
    resp = client.get(f"{ITEMS}?limit=5&limit=2", headers=alice.headers)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.json()["limit"] == 2 and len(resp.json()["items"]) == 2


STATIC_TRAVERSALS = [
    "/static/..%2f..%2fconfig%2fsettings.py",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/....//....//etc/passwd",
    "/static/%252e%252e/config/settings.py",
]


@pytest.mark.concept("bad-input", "static-files")
@pytest.mark.parametrize("raw_path", STATIC_TRAVERSALS)
def test_static_traversal_is_404_problem(server: LiveServer, raw_path: str) -> None:
    status, ctype, raw = raw_get(server.base_url, raw_path)
    assert status == 404, f"{raw_path} -> {status}"
    assert ctype.split(";")[0] == "application/problem+json", ctype
    assert b"SECRET_KEY" not in raw and b"root:" not in raw
