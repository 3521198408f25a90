"""The supervised channels plugin: subscribers receive again after a Redis restart.

Uses a private ``redis-server`` on a free port (skipped when the binary is missing), never
a shared one: the test kills and restarts it.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from chat.plugin import channels_plugin
from common.stores import create_redis
from compat.channels import SupervisedChannelsPlugin
from config.settings import Settings

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A throwaway redis-server without persistence that the test may kill at will."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _receive(
    plugin: SupervisedChannelsPlugin, channel: str, queue: asyncio.Queue[bytes]
) -> bytes:
    await plugin.wait_published(b"ping", [channel])
    return await asyncio.wait_for(queue.get(), 2)


def test_listener_is_restarted_after_a_redis_restart(private_redis: PrivateRedis) -> None:
    settings = Settings(redis_url=f"redis://127.0.0.1:{private_redis.port}/0")

    async def scenario() -> None:
        redis = create_redis(settings)
        plugin = channels_plugin(redis)
        async with plugin:
            received: asyncio.Queue[bytes] = asyncio.Queue()
            async with (
                plugin.start_subscription(["t.room"]) as subscriber,
                subscriber.run_in_background(received.put),
            ):
                assert await _receive(plugin, "t.room", received) == b"ping"

                private_redis.stop()
                await asyncio.sleep(1)
                assert not plugin.listening  # upstream's listener task died
                with pytest.raises(Exception):  # noqa: B017 -- any connection error
                    await plugin.wait_published(b"lost", ["t.room"])

                private_redis.start()
                deadline = time.monotonic() + 10
                while not plugin.listening and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                assert plugin.listening
                # The same subscriber, never re-subscribed by hand, receives again.
                for _ in range(20):
                    try:
                        assert await _receive(plugin, "t.room", received) == b"ping"
                        break
                    except TimeoutError:
                        continue
                else:
                    pytest.fail("no message after Redis came back")
        assert redis is not None
        await redis.aclose()

    asyncio.run(scenario())
