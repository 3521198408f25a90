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
Client = APIClient


@pytest.fixture
def client(settings: Any) -> Client:
    """A browser-like DRF client: CSRF checks on, the session cookie sent back over http."""
    settings.SESSION_COOKIE_SECURE = False
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.fixture
def make_user() -> Any:
    """``make_user("bob", staff=True)`` -> the new user (password "password-123")."""

    def factory(username: str, *, staff: bool = False, active: bool = True) -> User:
        return User.objects.create_user(
            username, f"{username}@example.com", PASSWORD, is_staff=staff, is_active=active
        )

    return factory


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def claims(user_id: Any, **overrides: Any) -> dict[str, Any]:
    """Exactly the claims both apps mint (simplejwt on Django, PyJWT on Litestar)."""
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


def auth(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}".strip()}


def test_register_201_location_and_shape(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
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
    assert response.headers["location"] == f"http://testserver/api/v1/users/{body['id']}"
    assert PASSWORD not in response.text
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
def test_register_validation(client: Client, payload: dict[str, Any], pointers: set[str]) -> None:
    response = client.post("/api/v1/users", payload, format="json")
    assert response.status_code == 400
    assert {e["pointer"] for e in response.json()["errors"]} == pointers


def test_register_duplicate_is_409_case_insensitive(client: Client, make_user: Any) -> None:
    make_user("alice")
    for payload in (
        {"username": "ALICE", "email": "other@example.com", "password": PASSWORD},
        {"username": "other", "email": "ALICE@example.com", "password": PASSWORD},
    ):
        response = client.post("/api/v1/users", payload, format="json")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:problem:conflict"


def test_token_and_me(client: Client, make_user: Any) -> None:
    user = make_user("alice")
    response = client.post(
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
    me = client.get("/api/v1/users/me", headers=auth(body["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_token_wrong_credentials(client: Client, make_user: Any) -> None:
    make_user("alice")
    make_user("ghost", active=False)
    for creds in (
        {"username": "alice", "password": "wrong-password"},
        {"username": "ghost", "password": PASSWORD},
    ):
        response = client.post("/api/v1/auth/token", creds, format="json")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert (
        client.post("/api/v1/auth/token", {"username": "alice"}, format="json").status_code == 400
    )


def test_cross_app_token_is_accepted(client: Client, make_user: Any) -> None:
    """A token minted with the other app's rules (pyjwt, same claims and secret) validates."""
    user = make_user("alice")
    assert client.get("/api/v1/users/me", headers=auth(mint(claims(user.id)))).status_code == 200
    assert (
        client.get("/api/v1/users/me", headers=auth(mint(claims(user.id)), "bEaReR")).status_code
        == 200
    )


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
def test_token_matrix_rejected(client: Client, make_user: Any, case: str) -> None:
    user = make_user("alice")
    inactive = make_user("ghost", active=False)
    good = mint(claims(user.id))
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
    scheme = {"basic": "Basic", "token": "Token", "bare": ""}.get(case, "Bearer")
    response = client.get("/api/v1/users/me", headers=auth(token, scheme))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


def test_permissions_retrieve_and_delete(client: Client, make_user: Any) -> None:
    alice = make_user("alice")
    staff = make_user("boss", staff=True)
    target = make_user("target")
    url = f"/api/v1/users/{target.id}"
    assert client.get(url).status_code == 401
    assert client.delete(url).status_code == 401
    headers = auth(mint(claims(alice.id)))
    public = client.get(url, headers=headers)
    assert public.status_code == 200 and set(public.json()) == {"id", "username", "created_at"}
    bad = client.get("/api/v1/users/not-a-uuid", headers=headers)
    assert bad.json()["errors"][0]["pointer"] == "/path/user_id"
    assert client.get(f"/api/v1/users/{uuid.uuid4()}", headers=headers).status_code == 404
    assert client.delete(url, headers=headers).status_code == 403
    headers = auth(mint(claims(staff.id)))
    assert client.delete(f"/api/v1/users/{uuid.uuid4()}", headers=headers).status_code == 404
    deleted = client.delete(url, headers=headers)
    assert deleted.status_code == 204 and deleted.content == b""
    assert not User.objects.filter(pk=target.id).exists()


def test_preferences_cookie(client: Client) -> None:
    assert client.get("/api/v1/preferences").json() == {"theme": "light"}
    client.cookies["theme"] = "blue"
    bad = client.get("/api/v1/preferences")
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/cookie/theme"
    response = client.put("/api/v1/preferences", {"theme": "dark"}, format="json")
    assert response.status_code == 200 and response.json() == {"theme": "dark"}
    cookie = response.cookies["theme"]
    assert cookie.value == "dark" and cookie["max-age"] == 31536000 and cookie["samesite"] == "Lax"
    assert not cookie["httponly"]
    assert client.get("/api/v1/preferences").json() == {"theme": "dark"}
    assert client.put("/api/v1/preferences", {"theme": 1}, format="json").status_code == 400


def _login(client: Client, username: str = "alice") -> str:
    client.get("/auth/login")
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/auth/login",
        data={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 200
    return client.cookies["csrftoken"].value


def test_session_login_whoami_logout_csrf(client: Client, make_user: Any) -> None:
    make_user("alice")
    form = client.get("/auth/login")
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    assert 'type="password"' in form.text
    csrf = client.cookies["csrftoken"].value
    creds = {"username": "alice", "password": PASSWORD}
    assert client.post("/auth/login", data=creds).status_code == 403
    assert (
        client.post("/auth/login", creds, format="json", headers={"X-CSRFToken": csrf}).status_code
        == 415
    )
    missing = client.post("/auth/login", data={"username": "alice"}, headers={"X-CSRFToken": csrf})
    assert {e["pointer"] for e in missing.json()["errors"]} == {"/body/password"}
    wrong = client.post(
        "/auth/login",
        data={"username": "alice", "password": "nope-nope"},
        headers={"X-CSRFToken": csrf},
    )
    assert wrong.status_code == 401 and "www-authenticate" not in wrong.headers
    assert client.get("/auth/whoami").status_code == 401
    ok = client.post("/auth/login", data=creds, headers={"X-CSRFToken": csrf})
    assert ok.status_code == 200 and set(ok.json()) == {"id", "username"}
    assert ok.cookies["sessionid"]["httponly"]
    assert client.get("/auth/whoami").json()["username"] == "alice"
    assert client.get("/api/v1/users/me").status_code == 200  # session auth on the API
    csrf = client.cookies["csrftoken"].value  # rotated at login
    assert client.put("/api/v1/preferences", {"theme": "dark"}, format="json").status_code == 200
    assert client.post("/auth/logout").status_code == 403
    assert client.post("/auth/logout", headers={"X-CSRFToken": csrf}).status_code == 204
    assert client.get("/auth/whoami").status_code == 401


def test_session_unsafe_api_call_needs_csrf(client: Client, make_user: Any) -> None:
    make_user("alice", staff=True)
    target = make_user("target")
    csrf = _login(client)
    assert client.delete(f"/api/v1/users/{target.id}").status_code == 403
    assert (
        client.delete(f"/api/v1/users/{target.id}", headers={"X-CSRFToken": csrf}).status_code
        == 204
    )


def test_token_rate_limit(client: Client, settings: Any) -> None:
    settings.TOKEN_RATE_LIMIT = "3/minute"
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/auth/token", {"username": "x", "password": "y"}, format="json"
            ).status_code
            == 401
        )
    limited = client.post("/api/v1/auth/token", {"username": "x", "password": "y"}, format="json")
    assert limited.status_code == 429
    assert limited.json()["type"] == "urn:problem:rate-limited"
    assert 1 < int(limited.headers["retry-after"]) <= 60


def test_outbox_listing_is_per_user_and_ordered(client: Client, make_user: Any) -> None:
    alice = make_user("alice")
    bob = make_user("bob")
    for user_id in (alice.id, bob.id, alice.id):
        services.write_welcome_email(user_id)
    assert client.get("/api/v1/users/me/emails").status_code == 401
    items = client.get("/api/v1/users/me/emails", headers=auth(mint(claims(alice.id)))).json()[
        "items"
    ]
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
