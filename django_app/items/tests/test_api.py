"""The /api/v1/items HTTP contract: status codes, shapes, pointers, headers."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings
from rest_framework.test import APIClient

from users.models import User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], APIClient]
CsrfClient = Callable[..., Client]
ITEM_KEYS = {"id", "name", "description", "price", "owner", "created_at", "updated_at"}


def pointers(response: Any) -> set[str]:
    assert response.status_code == 400, response.content
    assert response.headers["Content-Type"] == "application/problem+json"
    return {error["pointer"] for error in response.json()["errors"]}


def create(client: APIClient, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/items", {"name": "Lamp", "price": "12.5", **body}, format="json"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_anonymous_gets_401_with_bearer_challenge(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/items")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["Content-Type"] == "application/problem+json"


def test_create_returns_201_location_and_item(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    response = client.post(
        "/api/v1/items",
        {"name": " Lamp ", "price": "12.5", "id": "x", "owner": "y", "extra": 1},
        format="json",
        headers={"X-Request-ID": "req-12345678"},
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ITEM_KEYS
    assert body["name"] == " Lamp "  # not trimmed
    assert body["price"] == "12.50"
    assert body["description"] is None
    assert body["owner"] == str(alice.id)
    assert body["created_at"].endswith("Z")
    assert response.headers["Location"] == f"http://testserver/api/v1/items/{body['id']}"
    assert client.get(response.headers["Location"]).json() == body


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"price": "1.00"}, "/body/name"),
        ({"name": "", "price": "1.00"}, "/body/name"),
        ({"name": "x" * 101, "price": "1.00"}, "/body/name"),
        ({"name": 0, "price": "1.00"}, "/body/name"),
        ({"name": "a\x00b", "price": "1.00"}, "/body/name"),
        ({"name": "x", "price": 12.5}, "/body/price"),
        ({"name": "x", "price": "12.345"}, "/body/price"),
        ({"name": "x", "price": "-1.00"}, "/body/price"),
        ({"name": "x", "price": "1e3"}, "/body/price"),
        ({"name": "x", "price": "1.00", "description": "d" * 2001}, "/body/description"),
        ({"name": "x", "price": "1.00", "description": False}, "/body/description"),
    ],
)
def test_create_validation(
    alice: User, client_for: ClientFor, body: dict[str, Any], pointer: str
) -> None:
    response = client_for(alice).post("/api/v1/items", body, format="json")

    assert pointers(response) == {pointer}


def test_malformed_json_non_json_and_oversized_bodies(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)

    response = client.post("/api/v1/items", b"{", content_type="application/json")
    assert pointers(response) == {"/body"}
    response = client.post("/api/v1/items", b"name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"
    big = json.dumps({"name": "x", "price": "1.00", "description": "a" * (1024 * 1024)})
    response = client.post("/api/v1/items", big, content_type="application/json")
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"


def test_put_is_full_patch_is_partial(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    item = create(client, description="desc")
    url = f"/api/v1/items/{item['id']}"

    assert pointers(client.put(url, {"name": "x", "price": "1.00"}, format="json")) == {
        "/body/description"
    }
    response = client.put(url, {"name": "New", "price": "3", "description": None}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] is None and response.json()["price"] == "3.00"

    response = client.patch(url, {"description": "d", "owner": "nope"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "New" and response.json()["description"] == "d"
    assert response.json()["owner"] == str(alice.id)
    assert pointers(client.patch(url, {"name": None, "price": None}, format="json")) == {
        "/body/name",
        "/body/price",
    }


def test_delete_returns_204_empty(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    item = create(client)

    response = client.delete(f"/api/v1/items/{item['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/v1/items/{item['id']}").status_code == 404


def test_other_users_item_is_404_everywhere(
    alice: User, bob: User, staff: User, client_for: ClientFor
) -> None:
    item = create(client_for(alice))
    url = f"/api/v1/items/{item['id']}"
    other = client_for(bob)

    assert other.get(url).status_code == 404
    body = {"name": "x", "price": "1", "description": None}
    assert other.put(url, body, format="json").status_code == 404
    assert other.patch(url, {"name": "x"}, format="json").status_code == 404
    assert other.delete(url).status_code == 404
    assert other.get(f"{url}/attachments").status_code == 404
    assert client_for(staff).get(url).status_code == 200


def test_bad_item_id_is_400(alice: User, client_for: ClientFor) -> None:
    assert pointers(client_for(alice).get("/api/v1/items/not-a-uuid")) == {"/path/item_id"}


def test_list_paging_filters_and_ordering(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    for name, price in [("b", "2"), ("a", "3"), ("c", "1")]:
        create(client, name=name, price=price)

    params = {"ordering": "-price", "limit": 2, "offset": 0}
    body = client.get("/api/v1/items", params).json()
    assert [i["name"] for i in body["items"]] == ["a", "b"]
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 0)
    body = client.get("/api/v1/items", {"min_price": "1.50", "q": "B"}).json()
    assert [i["name"] for i in body["items"]] == ["b"] and body["limit"] == 20


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"limit": 0}, "/query/limit"),
        ({"limit": 101}, "/query/limit"),
        ({"limit": "x"}, "/query/limit"),
        ({"offset": -1}, "/query/offset"),
        ({"ordering": "id"}, "/query/ordering"),
        ({"min_price": "abc"}, "/query/min_price"),
        ({"owner": "nope"}, "/query/owner"),
        ({"q": "x" * 101}, "/query/q"),
    ],
)
def test_list_query_validation(
    alice: User, client_for: ClientFor, query: dict[str, Any], pointer: str
) -> None:
    assert pointers(client_for(alice).get("/api/v1/items", query)) == {pointer}


def test_owner_filter(alice: User, bob: User, staff: User, client_for: ClientFor) -> None:
    create(client_for(bob))

    response = client_for(alice).get("/api/v1/items", {"owner": str(bob.id)})
    assert response.status_code == 403
    response = client_for(alice).get("/api/v1/items", {"owner": str(alice.id)})
    assert response.status_code == 200
    response = client_for(staff).get("/api/v1/items", {"owner": str(bob.id)})
    assert response.json()["total"] == 1


def test_layered_cache_control(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    item = create(client)

    assert client.get("/api/v1/items").headers["Cache-Control"] == "private, max-age=0"
    response = client.get(f"/api/v1/items/{item['id']}")
    assert response.headers["Cache-Control"] == "private, max-age=60"
    assert client.get("/api/v1/items/export").headers["Cache-Control"] == "no-cache"
    assert client.get("/api/v1/users/me").headers["Cache-Control"] == "no-store"


async def collect(stream: AsyncIterable[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


def test_export_streams_ndjson(alice: User, bob: User, client_for: ClientFor) -> None:
    client = client_for(alice)
    names = [create(client, name=f"n{i}")["name"] for i in range(3)]
    create(client_for(bob))

    response = client.get("/api/v1/items/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert response.is_async  # streamed under ASGI, not read into a list first
    lines = async_to_sync(collect)(response.streaming_content).decode().splitlines()
    assert [json.loads(line)["name"] for line in lines] == names


# The view runs in a thread of its own (another DB connection): the data must be committed.
@pytest.mark.django_db(transaction=True)
def test_blocking(alice: User, client_for: ClientFor) -> None:
    client = client_for(alice)

    assert client.get("/api/v1/items/blocking", {"ms": 5}).json() == {"slept_ms": 5}
    assert pointers(client.get("/api/v1/items/blocking", {"ms": 0})) == {"/query/ms"}
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda _: client.get("/api/v1/items/blocking", {"ms": 200}), range(4))
        )
    assert all(r.status_code == 200 for r in results)
    assert time.perf_counter() - started < 0.7


def test_attachments(alice: User, client_for: ClientFor, settings: Settings) -> None:
    client = client_for(alice)
    item = create(client)
    url = f"/api/v1/items/{item['id']}/attachments"
    files = [
        SimpleUploadedFile("../../etc/passwd", b"root:x", "text/plain"),
        SimpleUploadedFile("b.bin", b"\x00\x01", "application/octet-stream"),
    ]

    response = client.post(url, {"files": files}, format="multipart")
    assert response.status_code == 201, response.content
    uploaded = response.json()["items"]
    assert [a["filename"] for a in uploaded] == ["passwd", "b.bin"]
    assert uploaded[0]["url"].startswith("http://testserver/api/v1/items/")
    assert client.get(url).json()["items"] == uploaded

    download = client.get(uploaded[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"root:x"
    assert download.headers["Content-Type"] == "text/plain"
    assert download.headers["Content-Disposition"] == 'attachment; filename="passwd"'

    response = client.post(url, {"files": SimpleUploadedFile("one", b"1")}, format="multipart")
    assert response.status_code == 201
    other = {"other": SimpleUploadedFile("x", b"1")}
    assert pointers(client.post(url, other, format="multipart")) == {"/body/files"}
    settings.UPLOAD_MAX_BYTES = 4
    response = client.post(url, {"files": [SimpleUploadedFile("c", b"12345")]}, format="multipart")
    assert response.status_code == 413
    assert len(client.get(url).json()["items"]) == 3


def test_openapi_operations(api_client: APIClient) -> None:
    paths = api_client.get("/api/schema/openapi.json").json()["paths"]

    ops = {
        op["operationId"]
        for path, methods in paths.items()
        if path.startswith("/api/v1/items")
        for op in methods.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert ops == {
        "items_list",
        "items_create",
        "items_retrieve",
        "items_update",
        "items_partial_update",
        "items_destroy",
        "items_export",
        "items_blocking",
        "attachments_create",
        "attachments_list",
        "attachments_download",
    }
    assert "/api/v1/items/{item_id}" in paths


def test_items_page_and_redirect(
    alice: User, bob: User, client_for: ClientFor, csrf_client: CsrfClient
) -> None:
    anonymous = csrf_client()
    assert anonymous.get("/items").headers["Location"] == "/auth/login?next=/items"
    # The pages are session pages: a bearer token does not log a browser in.
    assert client_for(alice).get("/items").status_code == 302

    client = csrf_client(alice)
    item = create(client_for(alice), name="<script>alert(1)</script>")
    page = client.get("/items")
    assert page.status_code == 200
    html = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "/static/items.css" in html and "/static/items.js" in html

    response = client.get(f"/items/{item['id']}/page")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/items#item-{item['id']}"
    other = csrf_client(bob)
    assert other.get(f"/items/{item['id']}/page").status_code == 404


def test_static_files(api_client: APIClient) -> None:
    assert api_client.get("/static/items.css").headers["Content-Type"].startswith("text/css")
    response = api_client.get("/static/items.js")
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert api_client.get("/static/../config/settings.py").status_code == 404
    assert api_client.get("/static/%2e%2e/config/settings.py").status_code == 404


def test_integrity_error_is_409(
    alice: User, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError

    from items.services import ItemService

    def clash(self: ItemService, data: dict[str, Any]) -> None:
        raise IntegrityError("unique constraint failed: secret detail")

    monkeypatch.setattr(ItemService, "create_item", clash)
    response = client_for(alice).post("/api/v1/items", {"name": "x", "price": "1"}, format="json")

    assert response.status_code == 409
    assert response.json()["type"] == "urn:problem:conflict"
    assert "secret" not in response.text


def test_options_needs_no_auth(api_client: APIClient) -> None:
    response = api_client.options("/api/v1/items")

    assert response.status_code == 204
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_admin_lists_items(staff: User, alice: User, client_for: ClientFor) -> None:
    create(client_for(alice), name="Admin-visible")
    staff.is_superuser = True  # admin pages also need model permissions
    staff.save()
    client = Client()
    client.force_login(staff)

    response = client.get("/admin/items/item/")
    assert response.status_code == 200
    assert "Admin-visible" in response.text
    assert client.get("/admin/items/attachment/").status_code == 200
