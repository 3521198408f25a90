"""A quick fault check inside `make test`; the full fault suite is `make chaos` (chaos/).

A variant server of each framework (same database) is pointed at a PRIVATE redis-server,
which the test stops and restarts: /health answers 503 problem+json while Redis is down and
200 again within 5 s of its return, without restarting the app.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from harness.accounts import new_account
from harness.dbstate import database_url
from harness.http import Client
from harness.items import ITEMS
from harness.private_services import PrivateRedis
from harness.problem import assert_problem
from harness.servers import LiveServer, ServerManager
from harness.ws import (
    assert_error_frame,
    assert_silent,
    create_room,
    get_ticket,
    history,
    next_message,
    open_ws,
    recv_json,
    room_path,
    send_json,
)

RECOVERY_S = 5.0


def _health_within(client: httpx.Client, status: int, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        resp = client.get("/health")
        if resp.status_code == status or time.monotonic() > deadline:
            return resp
        time.sleep(0.1)


@pytest.mark.concept("faults", "route-handlers")
def test_redis_outage_is_503_then_recovers(
    on_private_redis: LiveServer, private_redis: PrivateRedis
) -> None:
    """The variant on the private Redis (tests/conftest.py, shared with test_pubsub)."""
    variant, redis = on_private_redis, private_redis
    with Client(base_url=variant.base_url, timeout=10) as c:
        assert c.get("/health").json()["redis"] == "ok"
        redis.stop()
        down = _health_within(c, 503, RECOVERY_S)
        body = assert_problem(down, 503)
        assert body["checks"]["redis"] == "error"
        redis.start()
        back = _health_within(c, 200, RECOVERY_S)
        assert back.status_code == 200, f"not healthy {RECOVERY_S}s after Redis returned"
        assert back.json()["redis"] == "ok"


# --------------------------------------------------------------------------- storage failures

#: The lock test's server waits this long for SQLite's write lock (SQLITE_BUSY_TIMEOUT_S; the
#: apps' default is 15 s), then answers 503; the test holds the lock past it.
BUSY_TIMEOUT_S = 2.0
LOCK_HELD_S = 4.0


@pytest.fixture
def short_busy_timeout(server: LiveServer, server_manager: ServerManager) -> Iterator[LiveServer]:
    """A variant on the main database whose SQLite busy timeout is BUSY_TIMEOUT_S."""
    if server.mode != "embedded" or server.external:
        pytest.skip("the SQLite write lock exists in embedded mode only")
    variant = server_manager.start_variant(
        server.framework, {"SQLITE_BUSY_TIMEOUT_S": str(BUSY_TIMEOUT_S)}, "busy-timeout"
    )
    try:
        yield variant
    finally:
        server_manager.stop(variant)


@contextlib.contextmanager
def _sqlite_write_lock(server: LiveServer) -> Iterator[None]:
    """Hold the write lock of the server's SQLite file (another process, like a long batch)."""
    path = database_url(server).split("sqlite:///", 1)[1]
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _assert_unavailable(resp: httpx.Response) -> None:
    """503 problem+json with an integer Retry-After: a storage failure is not a conflict."""
    assert_problem(resp, 503)
    retry_after = resp.headers.get("retry-after", "")
    assert retry_after.isdigit() and int(retry_after) >= 1, resp.headers


@pytest.mark.concept("faults", "websockets")
def test_sqlite_write_lock_is_503_and_unavailable_frame(short_busy_timeout: LiveServer) -> None:
    """A write waiting past the busy timeout: 503 + Retry-After (never 409), and a chat frame
    gets the ``unavailable`` error frame (never a 4500 close) and is neither stored nor sent."""
    server = short_busy_timeout
    with Client(base_url=server.base_url, timeout=15) as http:
        who = new_account(http, "locked")
        room = create_room(http, who)["name"]
        with open_ws(server.base_url, room_path(room, get_ticket(http, who))) as conn:
            with _sqlite_write_lock(server), ThreadPoolExecutor(max_workers=2) as pool:
                began = time.monotonic()
                create = pool.submit(
                    http.post,
                    ITEMS,
                    json={"name": "while locked", "price": "1.00"},
                    headers=who.headers,
                    timeout=LOCK_HELD_S + 10,
                )
                send_json(conn, {"body": "while locked"})
                frame = recv_json(conn, timeout=LOCK_HELD_S)
                resp = create.result()
                waited = time.monotonic() - began
            _assert_unavailable(resp)
            assert_error_frame(frame, "unavailable")
            # the answers came once the busy timeout had passed (recv_json bounds it above)
            assert waited >= BUSY_TIMEOUT_S * 0.9, waited
            # the socket is still usable once the lock is gone, and history has no trace
            send_json(conn, {"body": "after the lock"})
            assert next_message(conn)["body"] == "after the lock"
            assert_silent(conn, 0.5)  # the refused message is never delivered later
        bodies = [m["body"] for m in history(http, who, room)]
        assert bodies == ["after the lock"], bodies
        listed = http.get(ITEMS, headers=who.headers).json()
        assert listed["total"] == 0, listed
