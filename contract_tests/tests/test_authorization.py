"""Authorization (OWASP API1 BOLA, API2 broken auth, API3 BOPLA / mass assignment).

A second user enumerating the first user's item ids gets 404 for every one (no existence
leak); every write sent with another user's token changes nothing in the database; read-only
and unknown fields never change state. "Nothing changed" is read from the database itself.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from harness.accounts import Account, mint_token, new_account, register, unique
from harness.dbstate import assert_unchanged, diff, settled_snapshot, snapshot
from harness.items import ITEMS, create_item
from harness.problem import assert_conforms, assert_problem
from harness.servers import LiveServer

ENUMERATED = 50


@pytest.fixture(scope="module")
def victim(session_http: httpx.Client) -> Account:
    return new_account(session_http, "victim")


@pytest.fixture(scope="module")
def attacker(session_http: httpx.Client) -> Account:
    return new_account(session_http, "attacker")


@pytest.fixture(scope="module")
def victim_items(session_http: httpx.Client, victim: Account) -> list[dict[str, Any]]:
    return [
        create_item(session_http, victim, name=f"secret {i}", price="9.99")
        for i in range(ENUMERATED)
    ]


def _require_db(server: LiveServer) -> None:
    if server.external:
        pytest.skip("reading the database needs a server started by the harness")


@pytest.mark.concept("authorization", "permissions")
def test_enumerating_another_users_items_is_404_each(
    client: httpx.Client, attacker: Account, victim_items: list[dict[str, Any]]
) -> None:
    for item in victim_items:
        assert_problem(client.get(f"{ITEMS}/{item['id']}", headers=attacker.headers), 404)
        assert_problem(
            client.get(f"{ITEMS}/{item['id']}/attachments", headers=attacker.headers), 404
        )
    # ... and the answer is indistinguishable from an id that never existed
    ghost = client.get(f"{ITEMS}/{uuid.uuid4()}", headers=attacker.headers)
    real = client.get(f"{ITEMS}/{victim_items[0]['id']}", headers=attacker.headers)
    assert (ghost.status_code, ghost.json()["detail"]) == (real.status_code, real.json()["detail"])


@pytest.mark.concept("authorization", "permissions")
def test_owner_filter_does_not_leak_other_users_items(
    client: httpx.Client, attacker: Account, victim: Account, victim_items: list[dict[str, Any]]
) -> None:
    listed = client.get(ITEMS, params={"limit": 100}, headers=attacker.headers)
    assert listed.status_code == 200
    victim_ids = {item["id"] for item in victim_items}
    assert not victim_ids & {item["id"] for item in listed.json()["items"]}
    by_owner = client.get(ITEMS, params={"owner": victim.id}, headers=attacker.headers)
    assert by_owner.status_code in (200, 403, 404), by_owner.text
    if by_owner.status_code == 200:
        assert not victim_ids & {item["id"] for item in by_owner.json()["items"]}


def _writes(item_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    path = f"{ITEMS}/{item_id}"
    return [
        ("PATCH", path, {"json": {"name": "pwned"}}),
        ("PATCH", path, {"json": {"owner": "self"}}),
        ("PUT", path, {"json": {"name": "pwned", "description": None, "price": "0.01"}}),
        ("DELETE", path, {}),
        ("POST", f"{path}/attachments", {"files": [("files", ("x.txt", b"x", "text/plain"))]}),
    ]


@pytest.mark.concept("authorization", "permissions")
def test_writes_with_another_users_token_change_nothing(
    client: httpx.Client,
    server: LiveServer,
    attacker: Account,
    victim_items: list[dict[str, Any]],
) -> None:
    _require_db(server)
    before = settled_snapshot(server)
    statuses = []
    for item in victim_items[:10]:
        for method, path, kwargs in _writes(item["id"]):
            resp = client.request(method, path, headers=attacker.headers, **kwargs)
            statuses.append(resp.status_code)
            assert_problem(resp, 404)
    assert_unchanged(before, server)
    assert statuses == [404] * 50


@pytest.mark.concept("authorization", "authentication")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dmljdGltOnBhc3N3b3Jk"},
    ],
    ids=["anonymous", "garbage-token", "basic-auth"],
)
def test_unauthenticated_writes_change_nothing(
    client: httpx.Client,
    server: LiveServer,
    victim_items: list[dict[str, Any]],
    headers: dict[str, str],
) -> None:
    _require_db(server)
    before = settled_snapshot(server)
    for method, path, kwargs in _writes(victim_items[0]["id"]):
        resp = client.request(method, path, headers=headers, **kwargs)
        assert_problem(resp, 401)
        assert resp.headers.get("www-authenticate", "").startswith("Bearer")
    assert_problem(client.post(ITEMS, json={"name": "n", "price": "1.00"}, headers=headers), 401)
    assert_unchanged(before, server)


@pytest.mark.concept("authorization", "authentication")
def test_forged_token_for_victim_changes_nothing(
    client: httpx.Client, server: LiveServer, victim: Account, victim_items: list[dict[str, Any]]
) -> None:
    """A token for the victim signed with the wrong key, or expired, is refused: 401."""
    _require_db(server)
    before = settled_snapshot(server)
    for token in (mint_token(victim.id, key="x" * 64), mint_token(victim.id, exp=1_000_000_000)):
        resp = client.patch(
            f"{ITEMS}/{victim_items[1]['id']}",
            json={"name": "forged"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert_problem(resp, 401)
    assert_unchanged(before, server)


@pytest.mark.concept("authorization", "dtos")
def test_read_only_and_unknown_fields_never_change_state(
    client: httpx.Client, server: LiveServer, victim: Account, attacker: Account
) -> None:
    """Mass assignment: id/owner/timestamps/unknown keys in PATCH and PUT are dropped."""
    _require_db(server)
    item = create_item(client, victim, name="mass", price="2.00")
    path = f"{ITEMS}/{item['id']}"
    forged = {
        "id": str(uuid.uuid4()),
        "owner": attacker.id,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "is_staff": True,
        "attachments": [{"filename": "../../x"}],
    }
    before = settled_snapshot(server)
    # only unknown/read-only keys: a PATCH that changes nothing writable
    resp = client.patch(path, json=forged, headers=victim.headers)
    assert resp.status_code == 200, resp.text
    after = assert_conforms(resp, "Item")
    for key in ("id", "owner", "created_at", "name", "price", "description"):
        assert after[key] == item[key], key
    assert "is_staff" not in after
    # updated_at may move (a PATCH is a write); every other field must be as before
    got = client.get(path, headers=victim.headers).json()
    assert {k: v for k, v in got.items() if k != "updated_at"} == {
        k: v for k, v in item.items() if k != "updated_at"
    }
    # the attacker still cannot see it, and no other row changed: only items_item may differ
    assert_problem(client.get(path, headers=attacker.headers), 404)
    put = client.put(
        path,
        json={"name": "mass", "description": None, "price": "2.00"} | forged,
        headers=victim.headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["owner"] == victim.id and put.json()["id"] == item["id"]
    changed = {line.split(":")[0] for line in diff(before, snapshot(server))}
    assert changed <= {"items_item"}, changed


@pytest.mark.concept("authorization", "dtos")
def test_register_cannot_grant_staff(client: httpx.Client) -> None:
    name = unique("massuser")
    resp = register(client, name, is_staff=True, is_superuser=True, id=str(uuid.uuid4()))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["is_staff"] is False
    assert body.get("is_superuser") in (None, False)
