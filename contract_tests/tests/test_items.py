"""Items CRUD: status codes, validation pointers, strict types, decimals, PATCH/PUT, pagination,
filters, ordering, 405/OPTIONS/HEAD, 415/413, layered Cache-Control, the X-Request-ID param."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from harness.accounts import Account
from harness.http import Client
from harness.items import ITEMS, create_item
from harness.problem import (
    VALIDATION_TYPE,
    assert_conforms,
    assert_problem,
    assert_same_everywhere,
    json_body,
)
from harness.servers import LiveServer


def assert_validation(resp: httpx.Response, *pointers: str) -> dict[str, Any]:
    return assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers=set(pointers))


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def page(client: httpx.Client, who: Account, **params: Any) -> dict[str, Any]:
    resp = client.get(ITEMS, params=params, headers=who.headers)
    assert resp.status_code == 200, f"GET {ITEMS} {params}: {resp.status_code} {resp.text[:300]}"
    body: dict[str, Any] = assert_conforms(resp, "ItemPage")
    return body


# --------------------------------------------------------------------------- create / read


@pytest.mark.concept("default-status", "url-reverse", "serialization", "orm")
def test_create_201_location_and_reget(client: httpx.Client, alice: Account) -> None:
    resp = client.post(
        ITEMS,
        json={"name": "Desk lamp", "description": "Warm white", "price": "12.5"},
        headers=alice.headers,
    )
    assert resp.status_code == 201, resp.text
    item = assert_conforms(resp, "Item")
    assert item["name"] == "Desk lamp" and item["description"] == "Warm white"
    assert item["price"] == "12.50"
    assert item["owner"] == alice.id
    location = resp.headers.get("location", "")
    parts = urlsplit(location)
    assert parts.scheme in ("http", "https") and parts.netloc, f"Location {location!r}"
    assert parts.path == f"{ITEMS}/{item['id']}"
    again = client.get(parts.path, headers=alice.headers)
    assert again.status_code == 200, again.text
    assert assert_conforms(again, "Item") == item


@pytest.mark.concept("serialization", "dtos")
def test_create_description_defaults_to_null(client: httpx.Client, alice: Account) -> None:
    item = create_item(client, alice, name="no description", price="3")
    assert item["description"] is None
    assert item["price"] == "3.00"
    assert set(item) == {"id", "name", "description", "price", "owner", "created_at", "updated_at"}


@pytest.mark.concept("serialization")
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("0", "0.00"),
        ("7.1", "7.10"),
        ("7.10", "7.10"),
        ("99999999.99", "99999999.99"),
        ("12", "12.00"),
    ],
)
def test_price_is_two_place_string(
    client: httpx.Client, alice: Account, sent: str, stored: str
) -> None:
    item = create_item(client, alice, name="priced", price=sent)
    assert item["price"] == stored
    got = client.get(f"{ITEMS}/{item['id']}", headers=alice.headers).json()
    assert got["price"] == stored


@pytest.mark.concept("json-body", "dtos")
def test_strings_are_not_trimmed(client: httpx.Client, alice: Account) -> None:
    item = create_item(client, alice, name="  spaced  ", description=" d ", price="1.00")
    assert item["name"] == "  spaced  " and item["description"] == " d "


@pytest.mark.concept("json-body")
@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"name": "n", "price": 12.5}, {"/body/price"}),
        ({"name": "n", "price": 12}, {"/body/price"}),
        ({"name": "n", "price": True}, {"/body/price"}),
        ({"name": "n", "price": None}, {"/body/price"}),
        ({"name": "n", "price": "abc"}, {"/body/price"}),
        ({"name": "n", "price": ""}, {"/body/price"}),
        ({"name": "n", "price": "-1.00"}, {"/body/price"}),
        ({"name": "n", "price": "1.234"}, {"/body/price"}),
        ({"name": "n", "price": "123456789.00"}, {"/body/price"}),
        ({"name": "n", "price": " 1.00"}, {"/body/price"}),
        ({"name": "n", "price": "1e3"}, {"/body/price"}),
        ({"name": "", "price": "1.00"}, {"/body/name"}),
        ({"name": "x" * 101, "price": "1.00"}, {"/body/name"}),
        ({"name": 5, "price": "1.00"}, {"/body/name"}),
        ({"name": None, "price": "1.00"}, {"/body/name"}),
        ({"name": "nul\x00", "price": "1.00"}, {"/body/name"}),
        ({"name": "n", "price": "1.00", "description": "d" * 2001}, {"/body/description"}),
        ({"name": "n", "price": "1.00", "description": 5}, {"/body/description"}),
        ({"name": "n", "price": "1.00", "description": "nul\x00"}, {"/body/description"}),
        ({"name": "n"}, {"/body/price"}),
        ({"price": "1.00"}, {"/body/name"}),
        ({}, {"/body/name", "/body/price"}),
        ({"name": 1, "price": 1}, {"/body/name", "/body/price"}),
    ],
)
def test_create_invalid_is_400_with_pointers(
    client: httpx.Client, alice: Account, body: dict[str, Any], pointers: set[str]
) -> None:
    assert_validation(client.post(ITEMS, json=body, headers=alice.headers), *pointers)


@pytest.mark.concept("json-body")
@pytest.mark.parametrize("raw", [b'{"name": "x",', b"[1, 2]", b'"just a string"', b""])
def test_create_malformed_json_is_400_body(
    client: httpx.Client, alice: Account, raw: bytes
) -> None:
    headers = alice.headers | {"Content-Type": "application/json"}
    resp = client.post(ITEMS, content=raw, headers=headers)
    body = assert_problem(resp, 400, type_=VALIDATION_TYPE)
    assert body["errors"], body


@pytest.mark.concept("json-body")
def test_create_truncated_json_pointer_is_body(client: httpx.Client, alice: Account) -> None:
    headers = alice.headers | {"Content-Type": "application/json"}
    assert_validation(client.post(ITEMS, content=b'{"name": "x",', headers=headers), "/body")


@pytest.mark.concept("dtos")
def test_read_only_and_unknown_fields_ignored(
    client: httpx.Client, alice: Account, bob: Account
) -> None:
    forged = str(uuid.uuid4())
    item = create_item(
        client,
        alice,
        name="ro",
        price="1.00",
        id=forged,
        owner=bob.id,
        created_at="2000-01-01T00:00:00Z",
        updated_at="2000-01-01T00:00:00Z",
        colour="red",
    )
    assert item["id"] != forged and item["owner"] == alice.id
    assert not item["created_at"].startswith("2000-") and "colour" not in item
    patched = client.patch(
        f"{ITEMS}/{item['id']}",
        json={"owner": bob.id, "id": forged, "created_at": "2000-01-01T00:00:00Z"},
        headers=alice.headers,
    )
    assert patched.status_code == 200, patched.text
    assert assert_conforms(patched, "Item")["owner"] == alice.id
    assert patched.json()["id"] == item["id"] and patched.json()["created_at"] == item["created_at"]


# --------------------------------------------------------------------------- update


@pytest.mark.concept("dtos", "json-body")
def test_patch_is_partial(client: httpx.Client, alice: Account) -> None:
    item = create_item(client, alice, name="patch me", description="keep", price="4.00")
    path = f"{ITEMS}/{item['id']}"
    resp = client.patch(path, json={"price": "4.5"}, headers=alice.headers)
    assert resp.status_code == 200, resp.text
    got = assert_conforms(resp, "Item")
    assert (got["name"], got["description"], got["price"]) == ("patch me", "keep", "4.50")
    assert ts(got["updated_at"]) >= ts(item["updated_at"])
    assert got["created_at"] == item["created_at"]
    cleared = client.patch(path, json={"description": None}, headers=alice.headers)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["description"] is None and cleared.json()["name"] == "patch me"
    noop = client.patch(path, json={}, headers=alice.headers)
    assert noop.status_code == 200, noop.text
    assert {k: v for k, v in noop.json().items() if k != "updated_at"} == {
        k: v for k, v in cleared.json().items() if k != "updated_at"
    }
    assert client.get(path, headers=alice.headers).json()["price"] == "4.50"


@pytest.mark.concept("dtos", "json-body")
@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": None}, "/body/name"),
        ({"price": None}, "/body/price"),
        ({"price": 3}, "/body/price"),
        ({"name": ""}, "/body/name"),
        ({"description": 1}, "/body/description"),
    ],
)
def test_patch_invalid_is_400(
    client: httpx.Client, alice: Account, body: dict[str, Any], pointer: str
) -> None:
    item = create_item(client, alice, name="patch bad", price="1.00")
    assert_validation(
        client.patch(f"{ITEMS}/{item['id']}", json=body, headers=alice.headers), pointer
    )
    unchanged = client.get(f"{ITEMS}/{item['id']}", headers=alice.headers).json()
    assert (unchanged["name"], unchanged["price"]) == ("patch bad", "1.00")


@pytest.mark.concept("dtos", "json-body")
def test_put_is_full(client: httpx.Client, alice: Account) -> None:
    item = create_item(client, alice, name="put me", description="old", price="1.00")
    path = f"{ITEMS}/{item['id']}"
    resp = client.put(
        path, json={"name": "replaced", "description": None, "price": "2.25"}, headers=alice.headers
    )
    assert resp.status_code == 200, resp.text
    got = assert_conforms(resp, "Item")
    assert (got["name"], got["description"], got["price"]) == ("replaced", None, "2.25")
    assert client.get(path, headers=alice.headers).json() == got


@pytest.mark.concept("dtos", "json-body")
@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"name": "n", "price": "1.00"}, {"/body/description"}),
        ({"description": None, "price": "1.00"}, {"/body/name"}),
        ({"name": "n", "description": None}, {"/body/price"}),
        ({}, {"/body/name", "/body/description", "/body/price"}),
        ({"name": "n", "description": None, "price": 1.0}, {"/body/price"}),
    ],
)
def test_put_missing_or_bad_field_is_400(
    client: httpx.Client, alice: Account, body: dict[str, Any], pointers: set[str]
) -> None:
    item = create_item(client, alice, name="put bad", price="1.00")
    assert_validation(
        client.put(f"{ITEMS}/{item['id']}", json=body, headers=alice.headers), *pointers
    )


@pytest.mark.concept("default-status")
def test_delete_is_204_then_404(client: httpx.Client, alice: Account) -> None:
    item = create_item(client, alice, name="delete me")
    path = f"{ITEMS}/{item['id']}"
    resp = client.delete(path, headers=alice.headers)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert_problem(client.get(path, headers=alice.headers), 404)
    assert_problem(client.delete(path, headers=alice.headers), 404)


@pytest.mark.concept("path-params")
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("bad", ["not-a-uuid", "42"])
def test_malformed_item_id_is_400(
    client: httpx.Client, alice: Account, method: str, bad: str
) -> None:
    body = (
        {"name": "n", "description": None, "price": "1.00"} if method in ("PUT", "PATCH") else None
    )
    resp = client.request(method, f"{ITEMS}/{bad}", json=body, headers=alice.headers)
    assert_validation(resp, "/path/item_id")


@pytest.mark.concept("path-params", "exceptions", "managers-404")
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_unknown_item_is_404(client: httpx.Client, alice: Account, method: str) -> None:
    body = (
        {"name": "n", "description": None, "price": "1.00"} if method in ("PUT", "PATCH") else None
    )
    resp = client.request(method, f"{ITEMS}/{uuid.uuid4()}", json=body, headers=alice.headers)
    assert_problem(resp, 404)


# --------------------------------------------------------------------------- pagination


@pytest.mark.concept("pagination", "orm")
def test_list_default_page_and_order(
    client: httpx.Client, carol: Account, carol_items: list[dict[str, Any]]
) -> None:
    body = page(client, carol)
    assert (body["total"], body["limit"], body["offset"]) == (7, 20, 0)
    expected = sorted(carol_items, key=lambda i: (ts(i["created_at"]), i["id"]))
    assert [i["id"] for i in body["items"]] == [i["id"] for i in expected]
    assert body["items"] == expected


@pytest.mark.concept("pagination")
def test_pages_tile_the_list(
    client: httpx.Client, carol: Account, carol_items: list[dict[str, Any]]
) -> None:
    full = [i["id"] for i in page(client, carol, limit=100)["items"]]
    seen: list[str] = []
    for offset in (0, 3, 6):
        body = page(client, carol, limit=3, offset=offset)
        assert (body["total"], body["limit"], body["offset"]) == (7, 3, offset)
        seen += [i["id"] for i in body["items"]]
    assert seen == full and len(full) == 7
    beyond = page(client, carol, limit=3, offset=50)
    assert beyond["items"] == [] and beyond["total"] == 7


@pytest.mark.concept("pagination", "query-params")
@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"limit": 0}, "/query/limit"),
        ({"limit": 101}, "/query/limit"),
        ({"limit": -1}, "/query/limit"),
        ({"limit": "abc"}, "/query/limit"),
        ({"limit": "1.5"}, "/query/limit"),
        ({"offset": -1}, "/query/offset"),
        ({"offset": "x"}, "/query/offset"),
        ({"ordering": "owner"}, "/query/ordering"),
        ({"ordering": "password"}, "/query/ordering"),
        ({"q": ""}, "/query/q"),
        ({"q": "q" * 101}, "/query/q"),
        ({"min_price": "abc"}, "/query/min_price"),
        ({"max_price": "1.234"}, "/query/max_price"),
        ({"owner": "not-a-uuid"}, "/query/owner"),
    ],
)
def test_list_bad_query_is_400(
    client: httpx.Client, carol: Account, params: dict[str, Any], pointer: str
) -> None:
    assert_validation(client.get(ITEMS, params=params, headers=carol.headers), pointer)


@pytest.mark.concept("pagination", "query-params")
def test_list_bounds_accepted(client: httpx.Client, carol: Account, carol_items: Any) -> None:
    assert len(page(client, carol, limit=1)["items"]) == 1
    assert page(client, carol, limit=100)["limit"] == 100
    assert page(client, carol, unknown_param="zzz", foo=1)["total"] == 7


@pytest.mark.concept("pagination", "query-params")
@pytest.mark.parametrize(
    "ordering", ["name", "-name", "price", "-price", "created_at", "-created_at"]
)
def test_list_ordering_is_stable(
    client: httpx.Client, carol: Account, carol_items: list[dict[str, Any]], ordering: str
) -> None:
    field = ordering.lstrip("-")
    desc = ordering.startswith("-")

    def key(i: dict[str, Any]) -> Any:
        value: Any = i[field]
        if field == "price":
            value = float(value)
        elif field == "created_at":
            value = ts(value)
        return value

    # primary key in the asked direction, ties by id ascending
    by_id = sorted(carol_items, key=lambda i: i["id"])
    expected = sorted(by_id, key=key, reverse=desc)
    got = page(client, carol, ordering=ordering, limit=100)["items"]
    assert [i["id"] for i in got] == [i["id"] for i in expected], ordering


@pytest.mark.concept("query-params")
@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"q": "APPLE"}, {"alpha apple", "echo apple"}),
        ({"q": "an"}, {"bravo banana"}),
        ({"min_price": "4.99"}, {"alpha apple", "charlie", "delta", "foxtrot", "golf"}),
        ({"max_price": "2"}, {"bravo banana", "echo apple"}),
        (
            {"min_price": "1", "max_price": "10"},
            {"alpha apple", "bravo banana", "charlie", "foxtrot"},
        ),
        ({"q": "apple", "max_price": "1.00"}, {"echo apple"}),
        ({"q": "zzz-none"}, set()),
    ],
)
def test_list_filters(
    client: httpx.Client,
    carol: Account,
    carol_items: Any,
    params: dict[str, str],
    names: set[str],
) -> None:
    body = page(client, carol, limit=100, **params)
    assert {i["name"] for i in body["items"]} == names
    assert body["total"] == len(names)


@pytest.mark.concept("permissions", "query-params")
def test_owner_filter_rules(
    client: httpx.Client, carol: Account, alice: Account, staff: Account, carol_items: Any
) -> None:
    assert page(client, carol, owner=carol.id)["total"] == 7
    assert_problem(client.get(ITEMS, params={"owner": carol.id}, headers=alice.headers), 403)
    as_staff = page(client, staff, owner=carol.id, limit=100)
    assert as_staff["total"] == 7
    assert {i["owner"] for i in as_staff["items"]} == {carol.id}


@pytest.mark.concept("pagination", "app-config")
def test_page_size_default_from_env(tuned: LiveServer, carol: Account, carol_items: Any) -> None:
    """PAGE_SIZE_DEFAULT=5 on the tuned server changes the default limit."""
    with Client(base_url=tuned.base_url, timeout=10) as c:
        body = page(c, carol)
    assert (body["limit"], body["total"], len(body["items"])) == (5, 7, 5)


# --------------------------------------------------------------------------- methods


ITEM_ALLOW = "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"
COLLECTION_ALLOW = "GET, HEAD, OPTIONS, POST"


@pytest.mark.concept("exceptions", "controllers")
@pytest.mark.parametrize(
    ("method", "which"),
    [("DELETE", "collection"), ("PUT", "collection"), ("PATCH", "collection"), ("POST", "item")],
)
def test_wrong_method_is_405_with_allow(
    client: httpx.Client, alice: Account, method: str, which: str
) -> None:
    item = create_item(client, alice, name="methods")
    path = ITEMS if which == "collection" else f"{ITEMS}/{item['id']}"
    resp = client.request(method, path, json={}, headers=alice.headers)
    assert_problem(resp, 405)
    assert resp.headers.get("allow") == (COLLECTION_ALLOW if which == "collection" else ITEM_ALLOW)


@pytest.mark.concept("exceptions", "controllers")
@pytest.mark.parametrize(
    ("suffix", "allow"),
    [
        ("", COLLECTION_ALLOW),
        ("/{id}", ITEM_ALLOW),
        ("/export", "GET, HEAD, OPTIONS"),
        ("/{id}/attachments", COLLECTION_ALLOW),
    ],
)
def test_options_is_204_with_allow(
    client: httpx.Client, alice: Account, suffix: str, allow: str
) -> None:
    item = create_item(client, alice, name="options")
    resp = client.options(ITEMS + suffix.replace("{id}", item["id"]), headers=alice.headers)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers.get("allow") == allow


@pytest.mark.concept("exceptions", "controllers")
@pytest.mark.parametrize("suffix", ["", "/{id}", "/export", "/{id}/attachments"])
def test_head_mirrors_get(client: httpx.Client, alice: Account, suffix: str) -> None:
    item = create_item(client, alice, name="head")
    path = ITEMS + suffix.replace("{id}", item["id"])
    get = client.get(path, headers=alice.headers)
    head = client.head(path, headers=alice.headers)
    assert get.status_code == 200, get.text[:200]
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), name


@pytest.mark.concept("json-body", "exceptions")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "application/xml"]
)
def test_non_json_body_is_415(
    client: httpx.Client, alice: Account, method: str, content_type: str
) -> None:
    item = create_item(client, alice, name="media")
    path = ITEMS if method == "POST" else f"{ITEMS}/{item['id']}"
    headers = alice.headers | {"Content-Type": content_type}
    resp = client.request(method, path, content=b"name=x&price=1.00", headers=headers)
    assert_problem(resp, 415)


@pytest.mark.concept("json-body", "exceptions")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_json_over_1mib_is_413(client: httpx.Client, alice: Account, method: str) -> None:
    item = create_item(client, alice, name="big")
    path = ITEMS if method == "POST" else f"{ITEMS}/{item['id']}"
    body = {"name": "big", "description": "d" * (1024 * 1024 + 10), "price": "1.00"}
    assert_problem(client.request(method, path, json=body, headers=alice.headers), 413)


@pytest.mark.concept("serialization")
def test_accept_is_ignored(client: httpx.Client, alice: Account) -> None:
    resp = client.get(ITEMS, headers=alice.headers | {"Accept": "text/html"})
    assert resp.status_code == 200
    assert resp.headers.get("content-type", "").startswith("application/json")


# --------------------------------------------------------------------------- layered config


@pytest.mark.concept("layered-config")
def test_cache_control_layers(client: httpx.Client, alice: Account) -> None:
    """App default no-store < items router private,max-age=0 < handler overrides."""
    item = create_item(client, alice, name="cache")
    observed = {
        "users_me (app default)": client.get("/api/v1/users/me", headers=alice.headers),
        "items_list (router)": client.get(ITEMS, headers=alice.headers),
        "items_create (router)": client.post(
            ITEMS, json={"name": "c", "price": "1.00"}, headers=alice.headers
        ),
        "items_retrieve (handler)": client.get(f"{ITEMS}/{item['id']}", headers=alice.headers),
        "items_export (handler)": client.get(f"{ITEMS}/export", headers=alice.headers),
    }
    expected = {
        "users_me (app default)": "no-store",
        "items_list (router)": "private, max-age=0",
        "items_create (router)": "private, max-age=0",
        "items_retrieve (handler)": "private, max-age=60",
        "items_export (handler)": "no-cache",
    }
    got = {k: r.headers.get("cache-control") for k, r in observed.items()}
    assert all(r.status_code < 300 for r in observed.values()), {
        k: r.status_code for k, r in observed.items()
    }
    assert got == expected


# --------------------------------------------------------------------------- X-Request-ID


@pytest.mark.concept("header-cookie-params", "lifecycle-hooks")
def test_create_reads_request_id_header(
    client: httpx.Client, alice: Account, server: LiveServer
) -> None:
    request_id = f"create-{uuid.uuid4().hex[:12]}"
    resp = client.post(
        ITEMS,
        json={"name": "traced", "price": "1.00"},
        headers=alice.headers | {"X-Request-ID": request_id},
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers.get("x-request-id") == request_id
    if server.log_path is None:
        pytest.skip("no server log for an external server")
    item_id = resp.json()["id"]
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while time.monotonic() < deadline:
        text = server.log_path.read_text(encoding="utf-8", errors="replace")
        lines = [ln for ln in text.splitlines() if request_id in ln and item_id in ln]
        if lines:
            break
        time.sleep(0.1)
    assert lines, f"no log line with both request id {request_id} and item id {item_id}"


# --------------------------------------------------------------------------- parity


@pytest.mark.concept("json-body", "exceptions")
def test_item_errors_identical_on_both(
    servers: dict[str, LiveServer], clients: dict[str, httpx.Client]
) -> None:
    from harness.accounts import mint_token, run_management, seed_user_id

    if any(s.external for s in servers.values()):
        pytest.skip("seeding needs servers started by the harness")
    for srv in servers.values():
        assert run_management(srv, "seed").returncode == 0
    headers = {"Authorization": f"Bearer {mint_token(seed_user_id('seed-carol'))}"}
    bad = {
        fw: c.post(ITEMS, json={"name": 1, "price": 1.5}, headers=headers)
        for fw, c in clients.items()
    }
    assert_same_everywhere(bad, volatile_keys=("detail", "errors"))
    sets = {fw: frozenset(e["pointer"] for e in json_body(r)["errors"]) for fw, r in bad.items()}
    assert len(set(sets.values())) == 1, sets
    missing = {fw: c.get(f"{ITEMS}/{uuid.uuid4()}", headers=headers) for fw, c in clients.items()}
    assert_same_everywhere(missing, volatile_keys=("detail", "instance"))
    listing = {fw: c.get(ITEMS, params={"limit": 0}, headers=headers) for fw, c in clients.items()}
    assert_same_everywhere(listing, volatile_keys=("detail", "errors"))
