"""A private redis-server for fault tests: own port, no persistence, stopped and restarted at will.

The shared Redis (REDIS_URL) is never stopped by the suite; a test that needs a Redis outage
starts one of these, points a server variant at it, and stops/starts it mid-test. Each process
is adopted by the :class:`~harness.servers.ServerManager`, so it dies with the session too.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from harness.paths import reports_dir
from harness.servers import HarnessError, ServerManager, free_port, stop_process

START_TIMEOUT_S = 10.0


def redis_server_binary() -> str:
    """Path of ``redis-server`` (HarnessError when it is not installed)."""
    found = shutil.which("redis-server")
    if found is None:
        raise HarnessError(
            "the Redis outage tests need the redis-server binary on PATH "
            "(Debian: apt-get install redis-server)"
        )
    return found


class PrivateRedis:
    """One redis-server on 127.0.0.1:<port> that a test owns (same port across restarts)."""

    def __init__(self, manager: ServerManager) -> None:
        self.manager = manager
        self.binary = redis_server_binary()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="parity-redis-"))
        self.log_path = reports_dir() / "logs" / f"redis-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server and wait until it answers PING."""
        if self.process is not None and self.process.poll() is None:
            return
        cmd = [
            self.binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.dir),
            # nothing on disk: a restart is an empty Redis, like a crashed cache
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        self.process = self.manager.spawn(cmd, self.log_path)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise HarnessError(
                        f"redis-server on port {self.port} exited with "
                        f"{self.process.returncode}; see {self.log_path}"
                    )
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        raise HarnessError(f"redis-server on port {self.port} not ready after {START_TIMEOUT_S}s")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period); start() reuses the port."""
        if self.process is not None:
            stop_process(self.process)

    def close(self) -> None:
        """Stop and remove the working directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
