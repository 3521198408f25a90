"""Private PostgreSQL (and Redis) instances for the fault tests: own data dir, own port.

The shared services are never stopped by the suite. A fault test starts one of these, points
a server at it and stops/starts it mid-test. PostgreSQL refuses to run as root, so as root
``initdb`` / ``postgres`` run as the ``postgres`` user (``runuser``) in a directory it owns.
Every process is adopted by the :class:`~harness.servers.ServerManager`, so it dies with the
session too. :class:`~harness.redis_server.PrivateRedis` is the Redis counterpart.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from harness.paths import reports_dir
from harness.redis_server import PrivateRedis
from harness.servers import HarnessError, ServerManager, create_pg_database, free_port

__all__ = ["PrivatePostgres", "PrivateRedis", "postgres_bin_dir"]

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


def postgres_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb (HarnessError if none)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise HarnessError(
        "the PostgreSQL fault tests need initdb/postgres (apt-get install postgresql)"
    )


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


class PrivatePostgres:
    """One PostgreSQL cluster on 127.0.0.1:<port> that a test owns (same port across restarts)."""

    def __init__(self, manager: ServerManager) -> None:
        self.manager = manager
        self.bin = postgres_bin_dir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="parity-pg-"))
        self.data = self.dir / "data"
        self.log_path = reports_dir() / "logs" / f"postgres-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        result = subprocess.run(
            _as_postgres(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise HarnessError(f"initdb failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, prefix: str) -> str:
        """A new database on this cluster; returns its URL."""
        _, url = create_pg_database(self.admin_url, prefix)
        return url

    def start(self) -> None:
        """Start (or restart) the cluster and wait until it accepts connections."""
        if self.process is not None and self.process.poll() is None:
            return
        cmd = _as_postgres(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=100",
            ]
        )
        self.process = self.manager.spawn(cmd, self.log_path)
        self._wait_ready()

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        last = ""
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise HarnessError(f"postgres on {self.port} exited; see {self.log_path}")
            try:
                with psycopg.connect(self.admin_url, connect_timeout=1) as conn:
                    conn.execute("SELECT 1")
                    return
            except Exception as exc:
                last = str(exc)
                time.sleep(0.1)
        raise HarnessError(f"postgres on {self.port} not ready after {START_TIMEOUT_S}s: {last}")

    def stop(self) -> None:
        """Fast shutdown (SIGINT: disconnect clients, abort their transactions), like a restart."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)

    def close(self) -> None:
        """Stop and remove the data directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
