"""Owner / other user / staff / anonymous over every item operation (401 / 404 / 200 / 204).

Items are private: another user's item is 404 on every operation (no existence leak); staff may
read, update and delete any item; anonymous is 401 with a Bearer challenge.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.accounts import Account
from harness.items import ITEMS, create_item
from harness.problem import assert_conforms, assert_problem

#: operation -> (method, path template, body)
OPERATIONS: dict[str, tuple[str, str, Any]] = {
    "items_retrieve": ("GET", "{item}", None),
    "items_update": ("PUT", "{item}", {"name": "put", "description": None, "price": "2.00"}),
    "items_partial_update": ("PATCH", "{item}", {"price": "3.00"}),
    "attachments_list": ("GET", "{item}/attachments", None),
    "attachments_create": ("POST", "{item}/attachments", "files"),
    "items_destroy": ("DELETE", "{item}", None),
}
#: actor -> expected status per operation
EXPECTED: dict[str, dict[str, int]] = {
    "owner": {
        "items_retrieve": 200,
        "items_update": 200,
        "items_partial_update": 200,
        "attachments_list": 200,
        "attachments_create": 201,
        "items_destroy": 204,
    },
    "other": dict.fromkeys(OPERATIONS, 404),
    "staff": {
        "items_retrieve": 200,
        "items_update": 200,
        "items_partial_update": 200,
        "attachments_list": 200,
        "attachments_create": 201,
        "items_destroy": 204,
    },
    "anonymous": dict.fromkeys(OPERATIONS, 401),
}


def call(client: httpx.Client, op: str, item_id: str, headers: dict[str, str]) -> httpx.Response:
    method, template, body = OPERATIONS[op]
    path = f"{ITEMS}/{template.format(item=item_id)}"
    if body == "files":
        files = [("files", ("perm.txt", b"perm", "text/plain"))]
        return client.request(method, path, files=files, headers=headers)
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.concept("permissions", "authentication", "managers-404")
@pytest.mark.parametrize("op", list(OPERATIONS))
@pytest.mark.parametrize("actor", list(EXPECTED))
def test_item_operation_matrix(
    client: httpx.Client,
    alice: Account,
    bob: Account,
    staff: Account,
    actor: str,
    op: str,
) -> None:
    item = create_item(client, alice, name=f"matrix {op}", price="1.00")
    headers = {"owner": alice.headers, "other": bob.headers, "staff": staff.headers}.get(actor, {})
    resp = call(client, op, item["id"], headers)
    expected = EXPECTED[actor][op]
    if expected >= 400:
        assert_problem(resp, expected)
        if expected == 401:
            challenge = resp.headers.get("www-authenticate", "")
            assert challenge.lower().startswith("bearer"), f"WWW-Authenticate={challenge!r}"
        # a refused request changed nothing
        after = client.get(f"{ITEMS}/{item['id']}", headers=alice.headers)
        assert after.status_code == 200 and after.json() == item
    else:
        assert resp.status_code == expected, f"{actor} {op}: {resp.status_code} {resp.text[:300]}"
        if op.startswith("items_") and expected == 200:
            body = assert_conforms(resp, "Item")
            assert body["owner"] == alice.id, "staff edits never change the owner"


@pytest.mark.concept("permissions", "managers-404")
def test_other_users_items_are_invisible_in_lists(
    client: httpx.Client, alice: Account, bob: Account, staff: Account
) -> None:
    item = create_item(client, alice, name="private listing")
    bob_list = client.get(ITEMS, params={"limit": 100}, headers=bob.headers)
    assert bob_list.status_code == 200
    assert item["id"] not in {i["id"] for i in bob_list.json()["items"]}
    bob_export = client.get(f"{ITEMS}/export", headers=bob.headers)
    assert bob_export.status_code == 200
    assert item["id"] not in bob_export.text
    staff_list = client.get(
        ITEMS,
        params={"owner": alice.id, "limit": 100, "ordering": "-created_at"},
        headers=staff.headers,
    )
    assert staff_list.status_code == 200
    assert item["id"] in {i["id"] for i in staff_list.json()["items"]}


@pytest.mark.concept("permissions", "authentication")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ITEMS),
        ("POST", ITEMS),
        ("GET", f"{ITEMS}/export"),
        ("GET", f"{ITEMS}/blocking?ms=1"),
    ],
)
def test_collection_operations_need_auth(client: httpx.Client, method: str, path: str) -> None:
    resp = client.request(
        method, path, json={"name": "x", "price": "1.00"} if method == "POST" else None
    )
    assert_problem(resp, 401)
    assert resp.headers.get("www-authenticate", "").lower().startswith("bearer")


@pytest.mark.concept("permissions", "managers-404")
def test_download_of_other_users_attachment_is_404(
    client: httpx.Client, alice: Account, bob: Account, staff: Account
) -> None:
    item = create_item(client, alice, name="attachment owner")
    up = client.post(
        f"{ITEMS}/{item['id']}/attachments",
        files=[("files", ("secret.txt", b"secret", "text/plain"))],
        headers=alice.headers,
    )
    assert up.status_code == 201, up.text
    att = up.json()["items"][0]
    path = f"{ITEMS}/{item['id']}/attachments/{att['id']}"
    assert_problem(client.get(path, headers=bob.headers), 404)
    assert client.get(path, headers=staff.headers).status_code == 200
    anonymous = client.get(path)
    assert_problem(anonymous, 401)
