"""Outbox worker killed mid-job (`make chaos`, services mode): the e-mail is sent once, later.

A server of its own (fresh database) and its outbox worker, whose transport is slowed down
(``EMAIL_SEND_DELAY``) so the test can catch it mid-job: the worker is SIGKILLed while it
sends, the row stays owed (``sent_at`` NULL: the job's transaction rolled back), a new worker
starts, and the e-mail is delivered exactly once (one "delivered" line over both workers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from chaos import LOAD
from harness.accounts import register, unique
from harness.dbstate import delivered_emails as delivered_count
from harness.http import Client
from harness.paths import reports_dir
from harness.servers import LiveServer, ServerManager

pytestmark = LOAD

WITHIN_S = 60.0


def _wait_for(path: Path, text: str, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    tail = path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"
    raise AssertionError(f"{text!r} not in {path} after {within}s:\n{tail}")


@pytest.mark.concept("faults", "concurrency")
def test_worker_killed_mid_job_delivers_once_after_restart(
    framework: str, server_manager: ServerManager
) -> None:
    if server_manager.mode != "services":
        pytest.skip("embedded mode delivers in process (no worker)")
    database = server_manager.fresh_database_url(framework, "outbox")
    env = server_manager.server_env(framework, database)
    server: LiveServer = server_manager.start(
        framework, env, name=f"{framework}-chaos-outbox", migrate=True
    )
    logs = reports_dir() / "logs"
    first_log = logs / f"{framework}-services-outbox-1.log"
    second_log = logs / f"{framework}-services-outbox-2.log"
    for log in (first_log, second_log):
        with contextlib.suppress(FileNotFoundError):
            log.unlink()
    first = server_manager.start_worker(server, "outbox-1", EMAIL_SEND_DELAY="30")
    try:
        with Client(base_url=server.base_url, timeout=30) as c:
            resp = register(c, unique("outbox"))
            assert resp.status_code == 201, resp.text
        user_id = resp.json()["id"]
        _wait_for(first_log, "outbox: sending email", WITHIN_S)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert delivered_count(server, [user_id]) == 0, "delivered although killed mid-job"
        second = server_manager.start_worker(server, "outbox-2")
        deadline = time.monotonic() + WITHIN_S
        while delivered_count(server, [user_id]) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert delivered_count(server, [user_id]) == 1, "not delivered after the restart"
        time.sleep(1.0)  # a duplicate job would deliver (and log) again
        lines = [
            line
            for log in (first_log, second_log)
            for line in log.read_text(errors="replace").splitlines()
            if "outbox: delivered email" in line
        ]
        assert len(lines) == 1, lines
        os.killpg(second.pid, signal.SIGTERM)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        server_manager.stop(server)
