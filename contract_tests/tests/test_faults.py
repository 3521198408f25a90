"""A quick fault check inside `make test`; the full fault suite is `make chaos` (chaos/).

A variant server of each framework (same database) is pointed at a PRIVATE redis-server,
which the test stops and restarts: /health answers 503 problem+json while Redis is down and
200 again within 5 s of its return, without restarting the app.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from harness.private_services import PrivateRedis
from harness.problem import assert_problem
from harness.servers import LiveServer, ServerManager

RECOVERY_S = 5.0


@pytest.fixture
def redis_backed(
    server: LiveServer, server_manager: ServerManager
) -> Iterator[tuple[LiveServer, PrivateRedis]]:
    if server.external:
        pytest.skip("cannot start a variant of an external server")
    redis = PrivateRedis(server_manager)
    redis.start()
    variant = server_manager.start_variant(
        server.framework, {"REDIS_URL": redis.url}, label="private-redis"
    )
    try:
        yield variant, redis
    finally:
        server_manager.stop(variant)
        redis.close()


def _health_within(client: httpx.Client, status: int, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        resp = client.get("/health")
        if resp.status_code == status or time.monotonic() > deadline:
            return resp
        time.sleep(0.1)


@pytest.mark.concept("faults", "route-handlers")
def test_redis_outage_is_503_then_recovers(redis_backed: tuple[LiveServer, PrivateRedis]) -> None:
    variant, redis = redis_backed
    with httpx.Client(base_url=variant.base_url, timeout=10) as c:
        assert c.get("/health").json()["redis"] == "ok"
        redis.stop()
        down = _health_within(c, 503, RECOVERY_S)
        body = assert_problem(down, 503)
        assert body["checks"]["redis"] == "error"
        redis.start()
        back = _health_within(c, 200, RECOVERY_S)
        assert back.status_code == 200, f"not healthy {RECOVERY_S}s after Redis returned"
        assert back.json()["redis"] == "ok"
