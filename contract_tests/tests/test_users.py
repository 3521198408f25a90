"""Users: registration rules, profiles, staff-only delete, the welcome email in the outbox."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from harness.accounts import PASSWORD, Account, register, unique
from harness.problem import (
    VALIDATION_TYPE,
    assert_conforms,
    assert_problem,
    assert_same_everywhere,
    json_body,
)

CONFLICT = "urn:problem:conflict"


def assert_validation(resp: httpx.Response, *pointers: str) -> None:
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers=set(pointers))


# --------------------------------------------------------------------------- register


@pytest.mark.concept("default-status", "url-reverse", "json-body", "serialization")
def test_register_201_location_resolves(client: httpx.Client, alice: Account) -> None:
    name = unique("reg")
    resp = register(client, name)
    assert resp.status_code == 201, resp.text
    body = assert_conforms(resp, "UserPrivate")
    assert body["username"] == name
    assert body["email"] == f"{name}@example.com"
    assert body["is_staff"] is False
    assert PASSWORD not in resp.text and "password" not in body
    location = resp.headers.get("location", "")
    parts = urlsplit(location)
    assert parts.scheme in ("http", "https") and parts.netloc, (
        f"Location not absolute: {location!r}"
    )
    assert parts.path == f"/api/v1/users/{body['id']}"
    got = client.get(parts.path, headers=alice.headers)
    assert got.status_code == 200, got.text
    public = assert_conforms(got, "UserPublic")
    assert public == {"id": body["id"], "username": name, "created_at": body["created_at"]}


@pytest.mark.concept("dtos", "json-body")
def test_register_ignores_unknown_and_read_only_fields(client: httpx.Client) -> None:
    forged_id = str(uuid.uuid4())
    resp = register(
        client,
        unique("ro"),
        id=forged_id,
        is_staff=True,
        is_superuser=True,
        created_at="2000-01-01T00:00:00Z",
        nickname="ignored",
    )
    assert resp.status_code == 201, resp.text
    body = assert_conforms(resp, "UserPrivate")
    assert body["is_staff"] is False
    assert body["id"] != forged_id
    assert not body["created_at"].startswith("2000-")


@pytest.mark.concept("exceptions", "orm")
@pytest.mark.parametrize("field", ["username", "email"])
def test_duplicate_is_409_case_insensitive(client: httpx.Client, field: str) -> None:
    name = unique("dup")
    first = register(client, name)
    assert first.status_code == 201, first.text
    if field == "username":
        second = register(client, name.upper(), email=f"other-{name}@example.com")
    else:
        second = register(client, unique("dup2"), email=f"{name}@EXAMPLE.COM".upper())
    assert_problem(second, 409, type_=CONFLICT, title="Conflict")


@pytest.mark.concept("json-body")
@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"password": "short7!"}, "/body/password"),
        ({"password": "p" * 129}, "/body/password"),
        ({"password": 12345678}, "/body/password"),
        ({"password": "nul\x00-password"}, "/body/password"),
        ({"username": 12345}, "/body/username"),
        ({"username": "ab"}, "/body/username"),
        ({"username": "has space"}, "/body/username"),
        ({"username": " padded-name "}, "/body/username"),
        ({"username": "u" * 151}, "/body/username"),
        ({"username": "nul\x00name"}, "/body/username"),
        ({"username": None}, "/body/username"),
        ({"email": "not-an-email"}, "/body/email"),
        ({"email": True}, "/body/email"),
        ({"email": "a" * 250 + "@example.com"}, "/body/email"),
    ],
    ids=[
        "short-password",
        "long-password",
        "number-password",
        "nul-password",
        "number-username",
        "short-username",
        "space-username",
        "untrimmed-username",
        "long-username",
        "nul-username",
        "null-username",
        "bad-email",
        "bool-email",
        "long-email",
    ],
)
def test_register_invalid_field_is_400(
    client: httpx.Client, overrides: dict[str, Any], pointer: str
) -> None:
    name = unique("bad")
    body: dict[str, Any] = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    body.update(overrides)
    assert_validation(client.post("/api/v1/users", json=body), pointer)


@pytest.mark.concept("json-body")
def test_register_missing_fields_all_reported(client: httpx.Client) -> None:
    assert_validation(
        client.post("/api/v1/users", json={}), "/body/username", "/body/email", "/body/password"
    )


@pytest.mark.concept("json-body")
def test_register_malformed_json_is_400_body(client: httpx.Client) -> None:
    resp = client.post(
        "/api/v1/users", content=b'{"username": "x",', headers={"Content-Type": "application/json"}
    )
    assert_validation(resp, "/body")


@pytest.mark.concept("json-body", "exceptions")
def test_register_non_json_is_415(client: httpx.Client) -> None:
    resp = client.post("/api/v1/users", data={"username": unique(), "email": "a@example.com"})
    assert_problem(resp, 415)


@pytest.mark.concept("json-body", "exceptions")
def test_register_body_over_1mib_is_413(client: httpx.Client) -> None:
    name = unique("big")
    body = {"username": name, "email": f"{name}@example.com", "password": "p" * (1024 * 1024)}
    assert_problem(client.post("/api/v1/users", json=body), 413)


# --------------------------------------------------------------------------- profiles


@pytest.mark.concept("authentication", "serialization")
def test_me_is_user_private(client: httpx.Client, alice: Account) -> None:
    resp = client.get("/api/v1/users/me", headers=alice.headers)
    assert resp.status_code == 200, resp.text
    body = assert_conforms(resp, "UserPrivate")
    assert body["id"] == alice.id and body["username"] == alice.username
    assert body["email"] == alice.email and body["is_staff"] is False


@pytest.mark.concept("path-params")
@pytest.mark.parametrize("bad", ["not-a-uuid", "123", "0b6f3f53-0b1e-4a0e-8d57-1d8e2c3b4a5"])
def test_user_id_malformed_is_400(client: httpx.Client, alice: Account, bad: str) -> None:
    assert_validation(client.get(f"/api/v1/users/{bad}", headers=alice.headers), "/path/user_id")


@pytest.mark.concept("path-params", "exceptions")
def test_unknown_user_is_404(client: httpx.Client, alice: Account) -> None:
    assert_problem(client.get(f"/api/v1/users/{uuid.uuid4()}", headers=alice.headers), 404)


@pytest.mark.concept("permissions", "serialization")
def test_public_profile_of_another_user(client: httpx.Client, alice: Account, bob: Account) -> None:
    resp = client.get(f"/api/v1/users/{bob.id}", headers=alice.headers)
    assert resp.status_code == 200, resp.text
    body = assert_conforms(resp, "UserPublic")
    assert body["username"] == bob.username
    assert bob.email not in resp.text


@pytest.mark.concept("permissions", "authentication")
def test_profile_requires_auth(client: httpx.Client, bob: Account) -> None:
    resp = client.get(f"/api/v1/users/{bob.id}")
    assert_problem(resp, 401)
    assert resp.headers.get("www-authenticate", "").lower().startswith("bearer")


# --------------------------------------------------------------------------- delete (staff)


@pytest.mark.concept("permissions")
def test_delete_user_matrix(
    client: httpx.Client, alice: Account, bob: Account, staff: Account
) -> None:
    victim = register(client, unique("victim"))
    assert victim.status_code == 201, victim.text
    victim_id = victim.json()["id"]
    path = f"/api/v1/users/{victim_id}"
    anonymous = client.delete(path)
    assert_problem(anonymous, 401)
    assert anonymous.headers.get("www-authenticate", "").lower().startswith("bearer")
    assert_problem(client.delete(path, headers=alice.headers), 403)
    assert_problem(client.delete(f"/api/v1/users/{uuid.uuid4()}", headers=staff.headers), 404)
    done = client.delete(path, headers=staff.headers)
    assert done.status_code == 204, done.text
    assert done.content == b""
    assert_problem(client.get(path, headers=bob.headers), 404)


# --------------------------------------------------------------------------- outbox


@pytest.mark.concept("domain-events", "background-tasks")
def test_welcome_email_in_outbox(client: httpx.Client, alice: Account) -> None:
    deadline = time.monotonic() + 10.0
    items: list[Any] = []
    while time.monotonic() < deadline:
        resp = client.get("/api/v1/users/me/emails", headers=alice.headers)
        assert resp.status_code == 200, resp.text
        items = assert_conforms(resp, "OutboxEmailList")["items"]
        if items:
            break
        time.sleep(0.2)
    assert [(e["to_email"], e["subject"]) for e in items] == [
        (alice.email, f"Welcome, {alice.username}!")
    ]


@pytest.mark.concept("domain-events", "authentication")
def test_outbox_requires_auth(client: httpx.Client) -> None:
    assert_problem(client.get("/api/v1/users/me/emails"), 401)


# --------------------------------------------------------------------------- parity


@pytest.mark.concept("exceptions", "json-body")
def test_user_errors_identical_on_both(clients: dict[str, httpx.Client]) -> None:
    def pointers(resp: httpx.Response) -> set[str]:
        return {e["pointer"] for e in json_body(resp).get("errors", [])}

    missing = {fw: c.post("/api/v1/users", json={"username": 1}) for fw, c in clients.items()}
    assert_same_everywhere(missing, volatile_keys=("detail", "errors"))
    assert len({frozenset(pointers(r)) for r in missing.values()}) == 1
    anonymous = {fw: c.get("/api/v1/users/me") for fw, c in clients.items()}
    assert_same_everywhere(anonymous, volatile_keys=("detail",))
