"""Chat across processes over Redis, and through a Redis outage (MODE=services only).

Two processes of one app share DATABASE_URL, REDIS_URL and CHANNELS_PREFIX (the harness gives
each deployment its own prefix because Redis pub/sub ignores the database index). The outage
test owns a private redis-server (own port, no persistence) and stops/starts it mid-test; the
shared Redis is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection

from harness.accounts import Account, unique
from harness.http import Client
from harness.problem import assert_conforms
from harness.redis_server import PrivateRedis
from harness.servers import LiveServer, ServerManager, current_mode, external_url
from harness.ws import (
    assert_error_frame,
    assert_message_frame,
    assert_silent,
    create_room,
    get_ticket,
    history,
    join_room,
    next_message,
    open_ws,
    recv_json,
    room_path,
    send_json,
)

#: The room must work again this long after Redis is back (the layers reconnect by themselves).
RECOVERY_S = 20.0
#: Posting while Redis is down must answer `unavailable` this fast (the Redis timeout, 1-2 s).
UNAVAILABLE_S = 5.0


# a mark, not a fixture: it skips before the session-scoped servers and accounts start
pytestmark = pytest.mark.skipif(
    current_mode() != "services",
    reason=(
        f"needs MODE=services (PostgreSQL + Redis): in {current_mode()} mode each app runs one "
        "process with an in-memory channel layer, so there is no second process to fan out to"
    ),
)


@pytest.fixture(scope="module", autouse=True)
def started_by_the_harness(framework: str) -> None:
    if external_url(framework):
        pytest.skip("starts more processes of the app: needs servers started by the harness")


@pytest.fixture(scope="module")
def peer(server: LiveServer, server_manager: ServerManager) -> Iterator[LiveServer]:
    """A second process of the same deployment (same database, Redis and channel prefix)."""
    second = server_manager.start_variant(server.framework, {}, "peer")
    try:
        yield second
    finally:
        server_manager.stop(second)


@pytest.mark.concept("pubsub", "websockets")
def test_messages_fan_out_across_processes(
    server: LiveServer, peer: LiveServer, client: httpx.Client, alice: Account, bob: Account
) -> None:
    assert peer.env["CHANNELS_PREFIX"] == server.env["CHANNELS_PREFIX"]
    room = create_room(client, alice)["name"]
    with Client(base_url=peer.base_url, timeout=10) as peer_http:
        # a ticket issued by one process is accepted by the other (Redis-backed tickets)
        cross_ticket = get_ticket(client, bob)
        with (
            join_room(server.base_url, client, alice, room) as on_first,
            open_ws(peer.base_url, room_path(room, cross_ticket)) as on_second,
        ):
            send_json(on_first, {"body": "first -> second"})
            one = next_message(on_first)
            assert next_message(on_second) == one
            assert_message_frame(one, room=room, user=alice.username, body="first -> second")
            send_json(on_second, {"body": "second -> first"})
            two = next_message(on_first)
            assert next_message(on_second) == two
            assert_message_frame(two, room=room, user=bob.username, body="second -> first")
        assert history(peer_http, alice, room) == history(client, alice, room) == [one, two]


# --------------------------------------------------------------------------- Redis outage


def deliver(
    sender: ClientConnection, others: list[ClientConnection], body: str, timeout: float
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Send ``body``; (the message every connection got, or None; error frames to the sender)."""
    send_json(sender, {"body": body})
    got: dict[int, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    conns = [sender, *others]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(got) < len(conns):
        for index, conn in enumerate(conns):
            if index in got:
                continue
            try:
                frame = recv_json(conn, timeout=0.05)
            except AssertionError:  # nothing yet
                continue
            if frame.get("type") == "error" and index == 0:
                errors.append(frame)
                if len(got) == 0:
                    return None, errors
            elif frame.get("type") == "message" and frame.get("body") == body:
                got[index] = frame
    if len(got) < len(conns):
        return None, errors
    first = got[0]
    assert all(frame == first for frame in got.values()), got
    return first, errors


@pytest.mark.concept("pubsub", "websockets", "faults")
def test_room_survives_a_redis_restart(
    on_private_redis: LiveServer, private_redis: PrivateRedis, alice: Account, bob: Account
) -> None:
    base = on_private_redis.base_url
    with Client(base_url=base, timeout=10) as http:
        room = create_room(http, alice)["name"]
        with (
            join_room(base, http, alice, room) as sender,
            join_room(base, http, bob, room) as listener,
        ):
            before, _ = deliver(sender, [listener], "before the outage", timeout=5)
            assert before is not None, "the room did not work before the outage"
            assert_message_frame(before, room=room, user=alice.username, body="before the outage")

            private_redis.stop()
            began = time.monotonic()
            send_json(sender, {"body": "during the outage"})
            error = recv_json(sender, timeout=UNAVAILABLE_S + 1)
            took = time.monotonic() - began
            assert_error_frame(error, "unavailable")
            assert took < UNAVAILABLE_S, f"`unavailable` took {took:.1f}s (a hang?)"
            assert_silent(listener, 0.2)
            health = http.get("/health")
            assert health.status_code == 503, health.text
            assert assert_conforms(health, "HealthProblem")["checks"]["redis"] == "error"

            private_redis.start()
            restarted = time.monotonic()
            recovered: dict[str, Any] | None = None
            attempts = 0
            while recovered is None and time.monotonic() - restarted < RECOVERY_S:
                attempts += 1
                recovered, _ = deliver(sender, [listener], f"probe {attempts}", timeout=1.0)
                if recovered is None:
                    time.sleep(0.25)
            assert recovered is not None, (
                f"the room did not work again within {RECOVERY_S}s of Redis coming back "
                f"({attempts} attempts, same connections)"
            )
        stored = [m["body"] for m in history(http, alice, room)]
        assert "during the outage" not in stored, "a message that was not broadcast was kept"
        assert stored[0] == "before the outage" and stored[-1] == recovered["body"]
        assert http.get("/health").status_code == 200
        # a new connection (fresh ticket, stored in the restarted Redis) works too
        with (
            join_room(base, http, bob, room) as late,
            join_room(base, http, alice, room) as again,
        ):
            after, _ = deliver(again, [late], f"after {unique('m')}", timeout=5)
            assert after is not None
