"""Session-scoped accounts for the users/items contract tests (one set per framework).

Users are registered over HTTP and their tokens come from POST /api/v1/auth/token once per
session (the token endpoint is rate limited, so tests reuse these). The staff account is the
seeded ``seed-alice`` (``seed`` management command run against the live server's database).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.accounts import (
    SEED_PASSWORD,
    SEED_STAFF,
    Account,
    Browser,
    new_account,
    obtain_token,
    run_management,
    seed_user_id,
)
from harness.http import Client
from harness.items import create_item
from harness.redis_server import PrivateRedis
from harness.servers import LiveServer, ServerManager


@pytest.fixture(scope="session")
def session_http(server: LiveServer) -> Iterator[httpx.Client]:
    """A session-long client for fixture set-up (one per framework)."""
    with Client(base_url=server.base_url, timeout=15, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="session")
def alice(session_http: httpx.Client) -> Account:
    """A regular user (owner in the permission matrix)."""
    return new_account(session_http, "alice")


@pytest.fixture(scope="session")
def bob(session_http: httpx.Client) -> Account:
    """Another regular user (the "other" in the permission matrix)."""
    return new_account(session_http, "bob")


@pytest.fixture(scope="session")
def seeded(server: LiveServer) -> None:
    """Run ``seed`` once per framework against the live database (idempotent command)."""
    if server.external:
        pytest.skip("seeding needs a server started by the harness")
    result = run_management(server, "seed")
    assert result.returncode == 0, f"seed failed ({result.returncode}):\n{result.stdout[-2000:]}"


@pytest.fixture(scope="session")
def staff(seeded: None, session_http: httpx.Client) -> Account:
    """The seeded staff user seed-alice with a token from this server."""
    token = obtain_token(session_http, SEED_STAFF, SEED_PASSWORD)
    return Account(
        id=seed_user_id(SEED_STAFF),
        username=SEED_STAFF,
        email="",
        password=SEED_PASSWORD,
        token=token,
        is_staff=True,
    )


#: Env overrides of the second ("tuned") server of each framework (one process serves every
#: test that needs a changed setting: starting a server costs seconds). APP_NAME (plus the
#: framework), ENABLE_TEST_ROUTES and CORS_ORIGINS serve test_health's changed-env check.
TUNED_ENV = {
    "TOKEN_RATE_LIMIT": "3/minute",
    "PAGE_SIZE_DEFAULT": "5",
    "WS_TICKET_TTL": "1",
    "APP_NAME": "parity-tuned",
    "ENABLE_TEST_ROUTES": "0",
    "CORS_ORIGINS": "",
}


@pytest.fixture(scope="session")
def tuned(server: LiveServer, server_manager: ServerManager) -> Iterator[LiveServer]:
    """A second server of the framework on the same database with TUNED_ENV applied."""
    if server.external:
        pytest.skip("cannot start a variant of an external server")
    overrides = TUNED_ENV | {"APP_NAME": f"{TUNED_ENV['APP_NAME']}-{server.framework}"}
    variant = server_manager.start_variant(server.framework, overrides)
    try:
        yield variant
    finally:
        server_manager.stop(variant)


@pytest.fixture(scope="session")
def private_redis(framework: str, server_manager: ServerManager) -> Iterator[PrivateRedis]:
    """A redis-server of this framework's own that the outage tests stop and restart.

    Session-scoped with :func:`on_private_redis`: the Redis outage tests (test_faults,
    test_pubsub) share one variant server instead of starting one each; each of them leaves
    the Redis running.
    """
    redis = PrivateRedis(server_manager)
    redis.start()
    try:
        yield redis
    finally:
        redis.close()


@pytest.fixture(scope="session")
def on_private_redis(
    server: LiveServer, server_manager: ServerManager, private_redis: PrivateRedis
) -> Iterator[LiveServer]:
    """A process of the framework on the main database, with the private Redis."""
    if server.external:
        pytest.skip("cannot start a variant of an external server")
    variant = server_manager.start_variant(
        server.framework, {"REDIS_URL": private_redis.url}, "private-redis"
    )
    try:
        yield variant
    finally:
        server_manager.stop(variant)


@pytest.fixture(scope="session")
def carol(session_http: httpx.Client) -> Account:
    """A user with a known, fixed set of items (pagination, ordering, filters, export)."""
    return new_account(session_http, "carol")


#: carol's fixed items: (name, price)
CAROL_ITEMS = [
    ("alpha apple", "5.00"),
    ("bravo banana", "1.50"),
    ("charlie", "5.00"),
    ("delta", "20.00"),
    ("echo apple", "0.99"),
    ("foxtrot", "5.00"),
    ("golf", "100.00"),
]


@pytest.fixture(scope="session")
def carol_items(session_http: httpx.Client, carol: Account) -> list[dict[str, Any]]:
    """carol's items, in creation order."""
    return [create_item(session_http, carol, name=n, price=p) for n, p in CAROL_ITEMS]


@pytest.fixture
def logged_in(server: LiveServer, alice: Account) -> Iterator[Browser]:
    """alice logged in through the session login (GET sets the CSRF cookie, POST logs in)."""
    with Browser(server.base_url) as b:
        assert b.get("/auth/login").status_code == 200
        resp = b.post(
            "/auth/login",
            data={"username": alice.username, "password": alice.password},
            headers=b.csrf(),
        )
        assert resp.status_code == 200, resp.text
        yield b
