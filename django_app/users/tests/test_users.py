"""Native tests: registration, tokens (incl. the cross-app matrix), permissions, session +
CSRF, preferences, rate limit and the outbox."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from users import services
from users.models import OutboxEmail, User

pytestmark = pytest.mark.django_db

SECRET = "insecure-dev-secret-change-me-0123456789abcdef"
PASSWORD = "password-123"


def make_user(username: str, *, staff: bool = False, active: bool = True) -> User:
    user = User.objects.create_user(
        username, f"{username}@example.com", PASSWORD, is_staff=staff, is_active=active
    )
    return user


def claims(user_id: Any, **overrides: Any) -> dict[str, Any]:
    """Exactly the claims both apps mint (what the Litestar app's services produce)."""
    now = int(time.time())
    base = {
        "type": "access",
        "exp": now + 900,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sub": str(user_id),
        "aud": "items-api",
        "iss": "items-api",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def mint(payload: dict[str, Any], key: str = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=alg)


def bearer(client: APIClient, token: str, scheme: str = "Bearer") -> None:
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}".strip())


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def test_register_201_location_and_shape(
    api_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/users",
            {
                "username": "alice",
                "email": "alice@example.com",
                "password": PASSWORD,
                "is_staff": True,
                "id": "x",
            },
            format="json",
        )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "email", "is_staff", "created_at"}
    assert body["is_staff"] is False and body["created_at"].endswith("Z")
    assert response["Location"] == f"http://testserver/api/v1/users/{body['id']}"
    assert PASSWORD not in response.content.decode()
    emails = OutboxEmail.objects.filter(user_id=body["id"])
    assert [e.subject for e in emails] == ["Welcome, alice!"]


@pytest.mark.parametrize(
    ("payload", "pointers"),
    [
        ({"username": 123, "email": "a@example.com", "password": PASSWORD}, {"/body/username"}),
        ({"username": "ab", "email": "a@example.com", "password": PASSWORD}, {"/body/username"}),
        ({"username": "alice", "email": "nope", "password": PASSWORD}, {"/body/email"}),
        ({"username": "alice", "email": "a@example.com", "password": "short"}, {"/body/password"}),
        (
            {"username": "alice", "email": "a@example.com", "password": "pass\x00word-1"},
            {"/body/password"},
        ),
        ({}, {"/body/username", "/body/email", "/body/password"}),
    ],
)
def test_register_validation(
    api_client: APIClient, payload: dict[str, Any], pointers: set[str]
) -> None:
    response = api_client.post("/api/v1/users", payload, format="json")
    assert response.status_code == 400
    assert {e["pointer"] for e in response.json()["errors"]} == pointers


def test_register_duplicate_is_409_case_insensitive(api_client: APIClient) -> None:
    make_user("alice")
    for payload in (
        {"username": "ALICE", "email": "other@example.com", "password": PASSWORD},
        {"username": "other", "email": "ALICE@example.com", "password": PASSWORD},
    ):
        response = api_client.post("/api/v1/users", payload, format="json")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:problem:conflict"


def test_token_and_me(api_client: APIClient) -> None:
    user = make_user("alice")
    response = api_client.post(
        "/api/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    decoded = jwt.decode(
        body["access_token"], SECRET, algorithms=["HS256"], audience="items-api", issuer="items-api"
    )
    assert set(decoded) == {"sub", "iat", "exp", "iss", "aud", "jti", "type"}
    assert decoded["sub"] == str(user.id) and decoded["type"] == "access"
    bearer(api_client, body["access_token"])
    me = api_client.get("/api/v1/users/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_token_wrong_credentials(api_client: APIClient) -> None:
    make_user("alice")
    make_user("ghost", active=False)
    for creds in (
        {"username": "alice", "password": "wrong-password"},
        {"username": "ghost", "password": PASSWORD},
    ):
        response = api_client.post("/api/v1/auth/token", creds, format="json")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
    response = api_client.post("/api/v1/auth/token", {"username": "alice"}, format="json")
    assert response.status_code == 400


def test_cross_app_token_is_accepted(api_client: APIClient) -> None:
    """A token minted with the other app's rules (pyjwt, same claims and secret) validates."""
    user = make_user("alice")
    bearer(api_client, mint(claims(user.id)))
    assert api_client.get("/api/v1/users/me").status_code == 200
    bearer(api_client, mint(claims(user.id)), scheme="bEaReR")
    assert api_client.get("/api/v1/users/me").status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "wrong_type",
        "wrong_aud",
        "wrong_iss",
        "expired",
        "bad_signature",
        "tampered",
        "alg_none",
        "hs512",
        "garbage",
        "empty",
        "unknown_sub",
        "inactive_sub",
        "missing_exp",
        "basic",
        "token",
        "bare",
    ],
)
def test_token_matrix_rejected(api_client: APIClient, case: str) -> None:
    user = make_user("alice")
    inactive = make_user("ghost", active=False)
    good = mint(claims(user.id))
    scheme = "Bearer"
    token = {
        "wrong_type": mint(claims(user.id, type="refresh")),
        "wrong_aud": mint(claims(user.id, aud="other")),
        "wrong_iss": mint(claims(user.id, iss="other")),
        "expired": mint(claims(user.id, exp=int(time.time()) - 10)),
        "bad_signature": mint(claims(user.id), key="another-secret-another-secret-0123456789"),
        "tampered": good.split(".")[0]
        + "."
        + mint(claims(uuid.uuid4())).split(".")[1]
        + "."
        + good.split(".")[2],
        "alg_none": jwt.encode(claims(user.id), None, algorithm="none"),  # type: ignore[arg-type]
        "hs512": mint(claims(user.id), alg="HS512"),
        "garbage": "not-a-jwt",
        "empty": "",
        "unknown_sub": mint(claims(uuid.uuid4())),
        "inactive_sub": mint(claims(inactive.id)),
        "missing_exp": mint({k: v for k, v in claims(user.id).items() if k != "exp"}),
        "basic": good,
        "token": good,
        "bare": good,
    }[case]
    scheme = {"basic": "Basic", "token": "Token", "bare": ""}.get(case, scheme)
    bearer(api_client, token, scheme=scheme)
    response = api_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response["Content-Type"] == "application/problem+json"


def test_permissions_retrieve_and_delete(api_client: APIClient) -> None:
    alice = make_user("alice")
    staff = make_user("boss", staff=True)
    target = make_user("target")
    url = f"/api/v1/users/{target.id}"
    assert api_client.get(url).status_code == 401
    assert api_client.delete(url).status_code == 401
    bearer(api_client, mint(claims(alice.id)))
    public = api_client.get(url)
    assert public.status_code == 200 and set(public.json()) == {"id", "username", "created_at"}
    assert (
        api_client.get("/api/v1/users/not-a-uuid").json()["errors"][0]["pointer"] == "/path/user_id"
    )
    assert api_client.get(f"/api/v1/users/{uuid.uuid4()}").status_code == 404
    assert api_client.delete(url).status_code == 403
    bearer(api_client, mint(claims(staff.id)))
    assert api_client.delete(f"/api/v1/users/{uuid.uuid4()}").status_code == 404
    deleted = api_client.delete(url)
    assert deleted.status_code == 204 and deleted.content == b""
    assert not User.objects.filter(pk=target.id).exists()


def test_preferences_cookie(api_client: APIClient) -> None:
    assert api_client.get("/api/v1/preferences").json() == {"theme": "light"}
    api_client.cookies["theme"] = "blue"
    bad = api_client.get("/api/v1/preferences")
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/cookie/theme"
    response = api_client.put("/api/v1/preferences", {"theme": "dark"}, format="json")
    assert response.status_code == 200 and response.json() == {"theme": "dark"}
    cookie = response.cookies["theme"]
    assert cookie.value == "dark" and cookie["max-age"] == 31536000 and cookie["samesite"] == "Lax"
    assert not cookie["httponly"]
    assert api_client.get("/api/v1/preferences").json() == {"theme": "dark"}
    assert api_client.put("/api/v1/preferences", {"theme": 1}, format="json").status_code == 400


def test_session_login_whoami_logout_csrf(settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = False
    make_user("alice")
    client = APIClient(enforce_csrf_checks=True)
    form = client.get("/auth/login")
    assert form.status_code == 200 and form["Content-Type"].startswith("text/html")
    assert b'type="password"' in form.content
    csrf = client.cookies["csrftoken"].value
    creds = {"username": "alice", "password": PASSWORD}
    assert client.post("/auth/login", creds).status_code == 403
    assert (
        client.post("/auth/login", creds, format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 415
    )
    missing = client.post("/auth/login", {"username": "alice"}, HTTP_X_CSRFTOKEN=csrf)
    assert {e["pointer"] for e in missing.json()["errors"]} == {"/body/password"}
    wrong = client.post(
        "/auth/login", {"username": "alice", "password": "nope-nope"}, HTTP_X_CSRFTOKEN=csrf
    )
    assert wrong.status_code == 401 and "WWW-Authenticate" not in wrong
    assert client.get("/auth/whoami").status_code == 401
    ok = client.post("/auth/login", creds, HTTP_X_CSRFTOKEN=csrf)
    assert ok.status_code == 200 and set(ok.json()) == {"id", "username"}
    assert ok.cookies["sessionid"]["httponly"]
    assert client.get("/auth/whoami").json()["username"] == "alice"
    assert client.get("/api/v1/users/me").status_code == 200  # session auth on the API
    csrf = client.cookies["csrftoken"].value  # rotated at login
    # Cookie-authenticated unsafe API call without CSRF -> 403; with it -> allowed through.
    assert client.put("/api/v1/preferences", {"theme": "dark"}, format="json").status_code == 200
    assert client.post("/auth/logout").status_code == 403
    out = client.post("/auth/logout", HTTP_X_CSRFTOKEN=csrf)
    assert out.status_code == 204
    assert client.get("/auth/whoami").status_code == 401


def test_session_unsafe_api_call_needs_csrf(settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = False
    make_user("alice")
    target = make_user("target")
    staff_client = APIClient(enforce_csrf_checks=True)
    User.objects.filter(username="alice").update(is_staff=True)
    staff_client.get("/auth/login")
    csrf = staff_client.cookies["csrftoken"].value
    staff_client.post(
        "/auth/login", {"username": "alice", "password": PASSWORD}, HTTP_X_CSRFTOKEN=csrf
    )
    assert staff_client.delete(f"/api/v1/users/{target.id}").status_code == 403
    csrf = staff_client.cookies["csrftoken"].value
    assert (
        staff_client.delete(f"/api/v1/users/{target.id}", HTTP_X_CSRFTOKEN=csrf).status_code == 204
    )


def test_token_rate_limit(api_client: APIClient, settings: Any) -> None:
    settings.TOKEN_RATE_LIMIT = "3/minute"
    for _ in range(3):
        response = api_client.post(
            "/api/v1/auth/token", {"username": "x", "password": "y"}, format="json"
        )
        assert response.status_code == 401
    limited = api_client.post(
        "/api/v1/auth/token", {"username": "x", "password": "y"}, format="json"
    )
    assert limited.status_code == 429
    assert limited.json()["type"] == "urn:problem:rate-limited"
    assert 1 < int(limited["Retry-After"]) <= 60


def test_outbox_listing_is_per_user_and_ordered(api_client: APIClient) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    services.write_welcome_email(alice.id)
    services.write_welcome_email(bob.id)
    services.write_welcome_email(alice.id)
    assert api_client.get("/api/v1/users/me/emails").status_code == 401
    bearer(api_client, mint(claims(alice.id)))
    items = api_client.get("/api/v1/users/me/emails").json()["items"]
    assert len(items) == 2 and all(
        set(i) == {"id", "to_email", "subject", "created_at"} for i in items
    )
    assert [i["created_at"] for i in items] == sorted(i["created_at"] for i in items)


def test_seed_ids_are_deterministic() -> None:
    first = services.seed_users()
    second = services.seed_users()
    assert [u.id for u in first] == [u.id for u in second]
    assert first[0].id == uuid.uuid5(uuid.NAMESPACE_URL, "items-api:user:seed-alice")
    assert first[0].is_staff and not first[1].is_staff
