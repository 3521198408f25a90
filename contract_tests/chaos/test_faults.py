"""Fault suite (`make chaos`): dependency outages and shutdown, against both frameworks.

Each test starts PRIVATE services (harness.private_services: own data dir, own port) and a
server of its own pointed at them, so stopping them never disturbs anything else.

* PostgreSQL restarted while the app runs: requests during the outage answer 503
  problem+json (never a 500), /health within ``HEALTH_PROBE_S``; once it is back, 0 failed
  requests.
* Redis down for ``CHAOS_REDIS_OUTAGE_S`` (default 6 s; the issue's 30 s with
  ``CHAOS_REDIS_OUTAGE_S=30``): /health 503, then 200 within 5 s of its return, and the token
  rate limit (counted in Redis) works again without a restart.
* SIGTERM during in-flight requests: they complete and the process exits within the grace.
* Redis ``CLIENT PAUSE`` for ``CHAOS_REDIS_PAUSE_MS`` (default 4000) under a chat message: a
  message reported ``unavailable`` is neither stored nor delivered once the pause ends.

The PostgreSQL tests share one private cluster per module (one initdb), a database each.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
import redis

from chaos import OUTAGES
from harness.accounts import PASSWORD, new_account
from harness.http import Client
from harness.items import ITEMS
from harness.private_services import PrivatePostgres, PrivateRedis
from harness.problem import assert_no_leak, media_type
from harness.servers import LiveServer, ServerManager
from harness.ws import (
    assert_error_frame,
    create_room,
    get_ticket,
    history,
    open_ws,
    recv_json,
    room_path,
    send_json,
)

pytestmark = OUTAGES

PG_OUTAGE_S = float(os.environ.get("CHAOS_PG_OUTAGE_S", "4"))
REDIS_OUTAGE_S = float(os.environ.get("CHAOS_REDIS_OUTAGE_S", "6"))
RECOVERY_S = 5.0
#: /health answers within this while PostgreSQL is down (each app bounds its check at 2 s).
HEALTH_PROBE_S = 3.0
AFTER_REQUESTS = 50
SHUTDOWN_GRACE_S = 10.0
#: CLIENT PAUSE length: well past both apps' bounds on one broadcast (WS_BROADCAST_TIMEOUT
#: 1.5 s) and on a Redis call (1 s), so the sender hears ``unavailable`` long before the pause
#: ends and anything the app queued would still go out (and be caught) when it does.
PAUSE_MS = int(os.environ.get("CHAOS_REDIS_PAUSE_MS", "4000"))


def _serve(manager: ServerManager, framework: str, name: str, **env: str) -> LiveServer:
    database = env.pop("DATABASE_URL", None) or manager.fresh_database_url(framework, "chaos")
    app_env = manager.server_env(framework, database) | env
    return manager.start(framework, app_env, name=f"{framework}-chaos-{name}", migrate=True)


def _assert_unavailable_or_ok(resp: httpx.Response) -> None:
    assert resp.status_code in (200, 201, 503), f"{resp.status_code}: {resp.text[:300]}"
    assert_no_leak(resp)
    if resp.status_code == 503:
        assert media_type(resp) == "application/problem+json", resp.headers
        assert resp.json()["status"] == 503


class Traffic:
    """Background requests (list + create) recording every answer until stopped."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.client = Client(base_url=base_url, timeout=10)
        self.headers = headers
        self.answers: list[httpx.Response] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            try:
                if n % 2:
                    resp = self.client.get(ITEMS, headers=self.headers)
                else:
                    resp = self.client.post(
                        ITEMS, json={"name": f"chaos {n}", "price": "1.00"}, headers=self.headers
                    )
                self.answers.append(resp)
            except httpx.HTTPError as exc:  # a hung or dropped connection is a failure too
                self.errors.append(repr(exc))
            time.sleep(0.05)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.client.close()


def _wait_health(client: httpx.Client, status: int, within: float) -> float:
    """Seconds until /health answers ``status`` (fails after ``within``)."""
    began = time.monotonic()
    last = None
    while time.monotonic() - began < within:
        try:
            last = client.get("/health")
            if last.status_code == status:
                return time.monotonic() - began
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(
        f"/health did not answer {status} within {within}s (last: {last and last.text[:200]})"
    )


@pytest.fixture(scope="module")
def _pg_cluster(server_manager: ServerManager) -> Iterator[PrivatePostgres]:
    """One private cluster for the module (initdb once): each test makes a database of its own."""
    pg = PrivatePostgres(server_manager)
    pg.start()
    try:
        yield pg
    finally:
        pg.close()


@pytest.fixture
def private_pg(_pg_cluster: PrivatePostgres) -> PrivatePostgres:
    """The module's private PostgreSQL, running (a test that failed mid-outage left it stopped)."""
    _pg_cluster.start()
    return _pg_cluster


@pytest.fixture
def private_redis(server_manager: ServerManager) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(server_manager)
    redis.start()
    try:
        yield redis
    finally:
        redis.close()


@pytest.mark.concept("faults")
def test_postgres_restart_is_503_then_recovers(
    framework: str, server_manager: ServerManager, private_pg: PrivatePostgres
) -> None:
    database = private_pg.create_database(f"chaos_{framework}")
    server = _serve(server_manager, framework, "pg", DATABASE_URL=database, REDIS_URL="")
    try:
        with Client(base_url=server.base_url, timeout=10) as c:
            who = new_account(c, "chaos")
            with Traffic(server.base_url, who.headers) as traffic:
                time.sleep(0.5)
                private_pg.stop()
                _wait_health(c, 503, within=10)
                probe = c.get("/health")
                assert probe.status_code == 503, probe.text
                # a monitor hears of the outage within the health checks' bound
                assert probe.elapsed.total_seconds() < HEALTH_PROBE_S, probe.elapsed
                outage = c.get(ITEMS, headers=who.headers)
                time.sleep(PG_OUTAGE_S)
                private_pg.start()
                recovered_in = _wait_health(c, 200, within=RECOVERY_S + 10)
            during = traffic.answers
            assert not traffic.errors, traffic.errors[:5]
            for resp in [*during, outage]:
                _assert_unavailable_or_ok(resp)
            assert outage.status_code == 503, outage.text
            counts = Counter(r.status_code for r in during)
            assert counts[503] >= 1, counts
            # back: every request succeeds (0 failed), reads and writes alike
            after = [
                c.post(ITEMS, json={"name": f"after {n}", "price": "2.00"}, headers=who.headers)
                if n % 2
                else c.get(ITEMS, headers=who.headers)
                for n in range(AFTER_REQUESTS)
            ]
            failed = [r.status_code for r in after if r.status_code >= 400]
            assert not failed, f"{len(failed)} failed after recovery: {failed[:10]}"
            assert recovered_in <= RECOVERY_S + 10
    finally:
        server_manager.stop(server)


@pytest.mark.concept("faults", "rate-limiting")
def test_redis_outage_health_and_rate_limit_recover(
    framework: str, server_manager: ServerManager, private_redis: PrivateRedis
) -> None:
    limit = 5
    server = _serve(
        server_manager,
        framework,
        "redis",
        REDIS_URL=private_redis.url,
        TOKEN_RATE_LIMIT=f"{limit}/minute",
    )
    try:
        with Client(base_url=server.base_url, timeout=10) as c:
            resp = c.post(
                "/api/v1/users",
                json={"username": "chaosr", "email": "chaosr@example.com", "password": PASSWORD},
            )
            assert resp.status_code == 201, resp.text
            creds = {"username": "chaosr", "password": PASSWORD}
            assert c.get("/health").status_code == 200
            private_redis.stop()
            stopped_at = time.monotonic()
            _wait_health(c, 503, within=10)
            token = c.post("/api/v1/auth/token", json=creds)
            _assert_unavailable_or_ok(token)  # rate-limited route: 503 or served, never 500
            time.sleep(max(0.0, REDIS_OUTAGE_S - (time.monotonic() - stopped_at)))
            private_redis.start()
            recovered_in = _wait_health(c, 200, within=RECOVERY_S)
            assert recovered_in <= RECOVERY_S
            # the limiter counts in the (empty) Redis again: limit x 200, then 429
            statuses = [c.post("/api/v1/auth/token", json=creds).status_code for _ in range(limit)]
            assert statuses == [200] * limit, statuses
            over = c.post("/api/v1/auth/token", json=creds)
            assert over.status_code == 429, over.text
            assert media_type(over) == "application/problem+json"
    finally:
        server_manager.stop(server)


@pytest.mark.concept("faults")
def test_sigterm_completes_in_flight_requests(
    framework: str, server_manager: ServerManager
) -> None:
    server = _serve(server_manager, framework, "sigterm", REDIS_URL="")
    assert server.process is not None
    with Client(base_url=server.base_url, timeout=15) as c:
        who = new_account(c, "term")

    def slow(_: int) -> int:
        with Client(base_url=server.base_url, timeout=15) as c:
            return c.get(f"{ITEMS}/blocking", params={"ms": 1500}, headers=who.headers).status_code

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(slow, n) for n in range(4)]
            time.sleep(0.5)  # the requests are in flight
            sent = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            statuses = [f.result(timeout=30) for f in futures]
        code = server.process.wait(timeout=SHUTDOWN_GRACE_S + 5)
        exited_in = time.monotonic() - sent
        assert statuses == [200] * 4, statuses
        # uvicorn re-raises the signal after its graceful shutdown: -SIGTERM is a clean exit
        assert code in (0, -signal.SIGTERM), code
        assert exited_in <= SHUTDOWN_GRACE_S, f"exited after {exited_in:.1f}s"
    finally:
        server_manager.stop(server)


@pytest.mark.concept("faults", "websockets")
def test_killed_connections_are_503_or_served_and_chat_frames_answered(
    framework: str, server_manager: ServerManager, private_pg: PrivatePostgres
) -> None:
    """pg_terminate_backend on every app connection, three times, then PostgreSQL stopped:
    writes answer 201 or 503 + Retry-After (never 409, never 500) and a chat frame gets its
    broadcast or the ``unavailable`` error frame; the socket is never closed with 4500."""
    database = private_pg.create_database(f"chaos_kill_{framework}")
    server = _serve(server_manager, framework, "pgkill", DATABASE_URL=database, REDIS_URL="")
    dbname = database.rsplit("/", 1)[1]
    try:
        with Client(base_url=server.base_url, timeout=15) as c:
            who = new_account(c, "killed")
            room = create_room(c, who)["name"]
            with open_ws(server.base_url, room_path(room, get_ticket(c, who))) as conn:
                for n in range(3):
                    with psycopg.connect(private_pg.admin_url, autocommit=True) as admin:
                        admin.execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()",
                            (dbname,),
                        )
                    resp = c.post(
                        ITEMS, json={"name": f"kill {n}", "price": "1.00"}, headers=who.headers
                    )
                    _assert_unavailable_or_ok(resp)
                    if resp.status_code == 503:
                        assert resp.headers.get("retry-after", "").isdigit(), resp.headers
                    send_json(conn, {"body": f"kill {n}"})
                    frame = recv_json(conn, timeout=10)  # ConnectionClosed (4500) fails here
                    assert frame.get("type") in ("message", "error"), frame
                    if frame["type"] == "error":
                        assert_error_frame(frame, "unavailable")
                # PostgreSQL stopped with the socket open: unavailable frame + 503, then back
                private_pg.stop()
                send_json(conn, {"body": "while down"})
                assert_error_frame(recv_json(conn, timeout=15), "unavailable")
                down = c.post(ITEMS, json={"name": "down", "price": "1.00"}, headers=who.headers)
                assert down.status_code == 503, down.text
                assert down.headers.get("retry-after", "").isdigit(), down.headers
                private_pg.start()
                _wait_health(c, 200, within=RECOVERY_S + 10)
                send_json(conn, {"body": "back"})
                assert recv_json(conn, timeout=10)["body"] == "back"
    finally:
        server_manager.stop(server)


@pytest.mark.concept("faults", "websockets")
def test_redis_pause_message_reported_unavailable_is_never_delivered(
    framework: str, server_manager: ServerManager, private_redis: PrivateRedis
) -> None:
    """CLIENT PAUSE on the chat's Redis: a message the sender was told is ``unavailable`` is
    neither stored nor delivered later (pinned: a client may retry without a duplicate); one
    the sender receives back is in history and reaches the other member."""
    server = _serve(server_manager, framework, "redis-pause", REDIS_URL=private_redis.url)
    try:
        with Client(base_url=server.base_url, timeout=15) as c:
            alice, bob = new_account(c, "pausea"), new_account(c, "pauseb")
            room = create_room(c, alice)["name"]
            with (
                open_ws(server.base_url, room_path(room, get_ticket(c, alice))) as sender,
                open_ws(server.base_url, room_path(room, get_ticket(c, bob))) as receiver,
            ):
                admin = redis.Redis(port=private_redis.port)
                try:
                    admin.client_pause(PAUSE_MS, all=True)
                    send_json(sender, {"body": "during the pause"})
                    answer = recv_json(sender, timeout=PAUSE_MS / 1000 + 10)
                finally:
                    admin.close()
                time.sleep(PAUSE_MS / 1000 + 2)  # the pause is over: anything queued is out
                got = []
                with contextlib.suppress(AssertionError):  # recv_json: "no frame within"
                    while True:
                        got.append(recv_json(receiver, timeout=1.0))
            bodies = [m["body"] for m in history(c, alice, room)]
        if answer.get("type") == "error":
            assert_error_frame(answer, "unavailable")
            assert bodies == [], f"reported unavailable but stored: {bodies}"
            assert got == [], f"reported unavailable but delivered: {got}"
        else:
            assert answer["body"] == "during the pause", answer
            assert bodies == ["during the pause"], bodies
            assert [m.get("body") for m in got] == ["during the pause"], got
    finally:
        server_manager.stop(server)
