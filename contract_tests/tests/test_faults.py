"""A quick fault check inside `make test`; the full fault suite is `make chaos` (chaos/).

A variant server of each framework (same database) is pointed at a PRIVATE redis-server,
which the test stops and restarts: /health answers 503 problem+json while Redis is down and
200 again within 5 s of its return, without restarting the app.
"""

from __future__ import annotations

import time

import httpx
import pytest

from harness.private_services import PrivateRedis
from harness.problem import assert_problem
from harness.servers import LiveServer

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
