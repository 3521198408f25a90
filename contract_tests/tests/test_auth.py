"""Bearer tokens: issue, claims, the bad-token matrix, cross-app acceptance, rate limiting.

Every direct call of POST /api/v1/auth/token lives in this module (it runs early) and the
session fixtures reuse tokens: the endpoint is rate limited per client IP.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable

import httpx
import jwt
import pytest

from harness.accounts import (
    SEED_PASSWORD,
    Account,
    bearer,
    mint_token,
    obtain_token,
    run_management,
    seed_user_id,
)
from harness.http import Client
from harness.problem import assert_conforms, assert_problem
from harness.servers import TEST_SECRET_KEY, LiveServer

TOKEN_CLAIMS = {"sub", "iat", "exp", "iss", "aud", "jti", "type"}


def assert_401_bearer(resp: httpx.Response) -> None:
    """401 problem+json with a Bearer challenge."""
    assert_problem(resp, 401)
    challenge = resp.headers.get("www-authenticate", "")
    assert challenge.split(" ")[0].lower() == "bearer", f"WWW-Authenticate={challenge!r}"


def b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --------------------------------------------------------------------------- issue


@pytest.mark.concept("authentication", "default-status", "json-body")
def test_token_issue_is_200_with_shape(client: httpx.Client, alice: Account) -> None:
    resp = client.post(
        "/api/v1/auth/token", json={"username": alice.username, "password": alice.password}
    )
    assert resp.status_code == 200, resp.text
    body = assert_conforms(resp, "TokenResponse")
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    me = client.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == alice.id


@pytest.mark.concept("authentication")
def test_token_claims_are_flat_and_exact(alice: Account) -> None:
    claims = jwt.decode(
        alice.token,
        TEST_SECRET_KEY,
        algorithms=["HS256"],
        audience="items-api",
        issuer="items-api",
    )
    assert set(claims) == TOKEN_CLAIMS, f"claims {sorted(claims)}"
    assert claims["sub"] == alice.id
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 900
    assert jwt.get_unverified_header(alice.token)["alg"] == "HS256"


@pytest.mark.concept("authentication")
def test_token_wrong_password_is_401(client: httpx.Client, alice: Account) -> None:
    resp = client.post(
        "/api/v1/auth/token", json={"username": alice.username, "password": "wrong-password!"}
    )
    assert_401_bearer(resp)
    assert alice.password not in resp.text


@pytest.mark.concept("authentication", "json-body")
def test_token_missing_fields_is_400(client: httpx.Client) -> None:
    resp = client.post("/api/v1/auth/token", json={})
    assert_problem(
        resp,
        400,
        type_="urn:problem:validation-error",
        pointers={"/body/username", "/body/password"},
    )


@pytest.mark.concept("authentication", "json-body")
def test_token_form_body_is_415(client: httpx.Client, alice: Account) -> None:
    resp = client.post(
        "/api/v1/auth/token", data={"username": alice.username, "password": alice.password}
    )
    assert_problem(resp, 415)


@pytest.mark.concept("authentication", "permissions")
def test_staff_token_from_seeded_user(client: httpx.Client, staff: Account) -> None:
    me = client.get("/api/v1/users/me", headers=staff.headers)
    assert me.status_code == 200, me.text
    body = assert_conforms(me, "UserPrivate")
    assert body["id"] == seed_user_id("seed-alice")
    assert body["is_staff"] is True


# --------------------------------------------------------------------------- token matrix


@pytest.mark.concept("authentication")
def test_minted_token_is_accepted(client: httpx.Client, alice: Account) -> None:
    """Positive control of the matrix: a pyjwt token with the contract's claims works."""
    resp = client.get("/api/v1/users/me", headers=bearer(mint_token(alice.id)))
    assert resp.status_code == 200, resp.text
    assert resp.json()["id"] == alice.id


@pytest.mark.concept("authentication")
def test_bearer_scheme_word_is_case_insensitive(client: httpx.Client, alice: Account) -> None:
    resp = client.get("/api/v1/users/me", headers={"Authorization": f"bearer {alice.token}"})
    assert resp.status_code == 200, resp.text


def _tampered(token: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(uuid.uuid4())
    return f"{header}.{b64(claims)}.{sig}"


def _alg_none(sub: str) -> str:
    now = int(time.time())
    claims = {
        "sub": sub,
        "iat": now,
        "exp": now + 600,
        "iss": "items-api",
        "aud": "items-api",
        "jti": uuid.uuid4().hex,
        "type": "access",
    }
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


BAD_AUTH = [
    "basic-scheme",
    "token-scheme",
    "no-scheme",
    "double-space",
    "wrong-type",
    "wrong-aud",
    "wrong-iss",
    "expired",
    "tampered-payload",
    "bad-signature",
    "alg-none",
    "alg-hs512",
    "garbage",
    "empty-token",
    "empty-header",
    "unknown-sub",
    "non-uuid-sub",
    "missing-exp",
    "missing-sub",
]


def bad_authorization(kind: str, user_id: str) -> str:
    """The Authorization header value of one bad-token variant."""
    good = mint_token(user_id)
    now = int(time.time())
    values: dict[str, Callable[[], str]] = {
        "basic-scheme": lambda: f"Basic {good}",
        "token-scheme": lambda: f"Token {good}",
        "no-scheme": lambda: good,
        "double-space": lambda: f"Bearer  {good}",
        "wrong-type": lambda: f"Bearer {mint_token(user_id, type='refresh')}",
        "wrong-aud": lambda: f"Bearer {mint_token(user_id, aud='another-api')}",
        "wrong-iss": lambda: f"Bearer {mint_token(user_id, iss='someone-else')}",
        "expired": lambda: f"Bearer {mint_token(user_id, iat=now - 3600, exp=now - 1800)}",
        "tampered-payload": lambda: f"Bearer {_tampered(good)}",
        "bad-signature": lambda: f"Bearer {mint_token(user_id, key='x' * 48)}",
        "alg-none": lambda: f"Bearer {_alg_none(user_id)}",
        "alg-hs512": lambda: f"Bearer {mint_token(user_id, algorithm='HS512')}",
        "garbage": lambda: "Bearer not-a-jwt-at-all",
        "empty-token": lambda: "Bearer",
        "empty-header": lambda: "",
        "unknown-sub": lambda: f"Bearer {mint_token(str(uuid.uuid4()))}",
        "non-uuid-sub": lambda: f"Bearer {mint_token('12345')}",
        "missing-exp": lambda: f"Bearer {mint_token(user_id, drop=('exp',))}",
        "missing-sub": lambda: f"Bearer {mint_token(user_id, drop=('sub',))}",
    }
    return values[kind]()


@pytest.mark.concept("authentication")
@pytest.mark.parametrize("kind", BAD_AUTH)
def test_bad_token_is_401_with_bearer_challenge(
    client: httpx.Client, alice: Account, kind: str
) -> None:
    value = bad_authorization(kind, alice.id)
    resp = client.get("/api/v1/users/me", headers={"Authorization": value})
    assert_401_bearer(resp)


@pytest.mark.concept("authentication")
def test_anonymous_is_401_with_bearer_challenge(client: httpx.Client) -> None:
    assert_401_bearer(client.get("/api/v1/users/me"))


# --------------------------------------------------------------------------- cross-app


@pytest.mark.concept("authentication", "management-commands")
def test_token_from_one_app_works_on_the_other(
    servers: dict[str, LiveServer], clients: dict[str, httpx.Client]
) -> None:
    if any(s.external for s in servers.values()):
        pytest.skip("seeding needs servers started by the harness")
    for srv in servers.values():  # seeding again also proves the command is idempotent
        result = run_management(srv, "seed")
        assert result.returncode == 0, f"{srv.framework} seed: {result.stdout[-1500:]}"
    expected = seed_user_id("seed-bob")
    tokens = {fw: obtain_token(c, "seed-bob", SEED_PASSWORD) for fw, c in clients.items()}
    for issuer, token in tokens.items():
        for fw, c in clients.items():
            resp = c.get("/api/v1/users/me", headers=bearer(token))
            assert resp.status_code == 200, (
                f"{issuer} token on {fw}: {resp.status_code} {resp.text}"
            )
            assert resp.json()["id"] == expected, f"{issuer} token on {fw}: {resp.json()}"


# --------------------------------------------------------------------------- rate limit


@pytest.mark.concept("rate-limiting")
def test_token_rate_limit_is_429_with_retry_after(tuned: LiveServer) -> None:
    """TOKEN_RATE_LIMIT=3/minute on the tuned server: the 4th call in a minute is 429."""
    statuses: list[int] = []
    with Client(base_url=tuned.base_url, timeout=10) as c:
        for _ in range(5):
            resp = c.post("/api/v1/auth/token", json={"username": "nobody-x", "password": "x" * 8})
            statuses.append(resp.status_code)
            if resp.status_code == 429:
                break
    if tuned.mode == "embedded":
        assert statuses[:3] == [401, 401, 401], statuses
    assert resp.status_code == 429, f"no 429 after {statuses}"
    assert_problem(resp, 429, type_="urn:problem:rate-limited", title="Too Many Requests")
    retry = resp.headers.get("retry-after", "")
    assert retry.isdigit() and 0 < int(retry) <= 60, f"Retry-After={retry!r}"
