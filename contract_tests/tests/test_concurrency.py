"""Concurrency with nothing lost: parallel creates, racing PATCHes, racing registrations.

Rows are counted in the database itself (harness.dbstate), not only through the API.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from harness.accounts import Account, new_account, register, unique
from harness.dbstate import count_rows
from harness.http import Client
from harness.items import ITEMS, create_item
from harness.problem import assert_conforms, assert_problem
from harness.servers import LiveServer

CREATES = 200
CLIENTS = 4  # users, each with its own connection pool
WORKERS = 16
PATCHERS = 12
REGISTRATIONS = 6


def _require_db(server: LiveServer) -> None:
    if server.external:
        pytest.skip("reading the database needs a server started by the harness")


@pytest.mark.concept("concurrency", "orm")
def test_parallel_creates_lose_nothing(server: LiveServer, session_http: httpx.Client) -> None:
    _require_db(server)
    owners = [new_account(session_http, f"burst{i}") for i in range(CLIENTS)]
    clients = [
        Client(base_url=server.base_url, timeout=30, limits=httpx.Limits(max_connections=8))
        for _ in owners
    ]

    def create(n: int) -> tuple[int, str | None]:
        who = owners[n % CLIENTS]
        resp = clients[n % CLIENTS].post(
            ITEMS, json={"name": f"burst {n}", "price": "1.00"}, headers=who.headers
        )
        return resp.status_code, resp.json().get("id") if resp.status_code == 201 else None

    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(create, range(CREATES)))
    finally:
        for c in clients:
            c.close()
    statuses = [status for status, _ in results]
    assert statuses == [201] * CREATES, {s: statuses.count(s) for s in set(statuses)}
    ids = [item_id for _, item_id in results if item_id]
    assert len(set(ids)) == CREATES
    # exactly 200 rows in the database, all retrievable through the API
    assert count_rows(server, "items_item", "id", ids) == CREATES
    for who in owners:
        listed = session_http.get(ITEMS, params={"limit": 100}, headers=who.headers)
        assert listed.json()["total"] == CREATES // CLIENTS
    for n, item_id in enumerate(ids):
        got = session_http.get(f"{ITEMS}/{item_id}", headers=owners[n % CLIENTS].headers)
        assert got.status_code == 200, got.text


@pytest.mark.concept("concurrency", "dtos")
def test_racing_patches_leave_one_of_the_writes(
    server: LiveServer, session_http: httpx.Client, alice: Account
) -> None:
    item = create_item(session_http, alice, name="race", price="1.00")
    path = f"{ITEMS}/{item['id']}"
    writes = [
        {"name": f"writer {n}", "price": f"{n + 10}.00", "description": f"by {n}"}
        for n in range(PATCHERS)
    ]
    barrier = threading.Barrier(PATCHERS)

    def patch(body: dict[str, Any]) -> int:
        with Client(base_url=server.base_url, timeout=30) as c:
            barrier.wait()
            return c.patch(path, json=body, headers=alice.headers).status_code

    with ThreadPoolExecutor(max_workers=PATCHERS) as pool:
        statuses = list(pool.map(patch, writes))
    assert statuses == [200] * PATCHERS
    final = assert_conforms(session_http.get(path, headers=alice.headers), "Item")
    state = {k: final[k] for k in ("name", "price", "description")}
    assert state in writes, f"final state {state} is a mix of several writes"


@pytest.mark.concept("concurrency", "orm", "exceptions")
def test_racing_registrations_one_wins_rest_409(server: LiveServer) -> None:
    name = unique("racer")
    barrier = threading.Barrier(REGISTRATIONS)

    def attempt(n: int) -> httpx.Response:
        with Client(base_url=server.base_url, timeout=30) as c:
            barrier.wait()
            # same username, different emails: only the username index decides
            return register(c, name, email=f"{name}-{n}@example.com")

    with ThreadPoolExecutor(max_workers=REGISTRATIONS) as pool:
        responses = list(pool.map(attempt, range(REGISTRATIONS)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (REGISTRATIONS - 1), statuses
    for resp in responses:
        if resp.status_code == 409:
            assert_problem(resp, 409, type_="urn:problem:conflict")
    if not server.external:
        assert count_rows(server, "users_user", "username", [name]) == 1
