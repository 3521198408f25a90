"""Proof the "database unchanged" check sees late writes and waits out owed background work.

The "server" is a real process (so the harness treats it as one it started and may read its
SQLite database) that behaves like a services-mode outbox worker: it finishes a queued
welcome e-mail a moment after the test begins. A snapshot taken while that job is owed is
the race CI once lost (a DRF-side bad-input case failed on a worker's write of an earlier
test's e-mail); ``settled_snapshot`` must wait for it, and ``assert_unchanged`` must still
catch the write when the snapshot is taken too early.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.dbstate import assert_unchanged, pending_work, settled_snapshot, snapshot
from harness.servers import LiveServer, stop_process

WORKER = """
import sqlite3, sys, time
time.sleep(float(sys.argv[2]))
conn = sqlite3.connect(sys.argv[1])
conn.execute("UPDATE users_outboxemail SET sent_at = '2026-01-01T00:00:00'")
conn.commit()
time.sleep(60)  # stays alive, like a worker waiting for the next job
"""


def _database(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users_outboxemail (id INTEGER PRIMARY KEY, sent_at TEXT)")
    conn.execute("INSERT INTO users_outboxemail (sent_at) VALUES (NULL)")
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def worker_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server whose worker delivers the one owed e-mail 0.6 s after it starts."""
    path = _database(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path), "0.6"], start_new_session=True
    )
    try:
        yield LiveServer(
            framework="django",
            base_url="http://127.0.0.1:9",
            mode="embedded",
            env={"DATABASE_URL": f"sqlite:///{path}"},
            process=proc,
        )
    finally:
        stop_process(proc)


def test_a_snapshot_taken_while_work_is_owed_sees_the_late_write(
    worker_server: LiveServer,
) -> None:
    before = snapshot(worker_server)
    assert pending_work(worker_server) == {"users_outboxemail": 1}
    settled_snapshot(worker_server)  # returns once the worker has written
    with pytest.raises(AssertionError, match="users_outboxemail"):
        assert_unchanged(before, worker_server)


def test_settled_snapshot_waits_for_owed_work(worker_server: LiveServer) -> None:
    before = settled_snapshot(worker_server)
    assert pending_work(worker_server) == {}
    assert_unchanged(before, worker_server)


def test_owed_work_that_never_progresses_counts_as_settled(tmp_path: Path) -> None:
    """A job that failed for good leaves its row owed: the wait ends after ``stalled_s``,
    not after the whole timeout (else every later check would pay the timeout)."""
    path = _database(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path), "60"], start_new_session=True)
    try:
        server = LiveServer(
            framework="django",
            base_url="http://127.0.0.1:9",
            mode="embedded",
            env={"DATABASE_URL": f"sqlite:///{path}"},
            process=proc,
        )
        started = time.monotonic()
        settled_snapshot(server, timeout_s=10, stalled_s=0.5)
        assert 0.5 <= time.monotonic() - started < 5
        assert pending_work(server) == {"users_outboxemail": 1}
    finally:
        stop_process(proc)
