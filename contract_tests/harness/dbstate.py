"""Read a live server's database directly: row counts and a checksum of every table.

The bad-input, authorization and concurrency tests prove "nothing changed" / "nothing lost"
against the database itself, not only through the API (an API can hide a half-written row).
The harness created the database (``server.env["DATABASE_URL"]``: a SQLite file in embedded
mode, a per-run PostgreSQL database in services mode), so the suite may read it. Reads only.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.servers import LiveServer

#: Bookkeeping tables the apps never write while serving requests (left out of snapshots).
IGNORED_TABLES = frozenset({"django_migrations", "alembic_version", "sqlite_sequence"})


@dataclass(frozen=True)
class TableState:
    """One table: its row count and a checksum over its sorted rows."""

    rows: int
    checksum: str


DbState = dict[str, TableState]


def database_url(server: LiveServer) -> str:
    """The database the harness gave ``server`` (external servers have none we know)."""
    url = server.env.get("DATABASE_URL", "")
    if server.external or not url:
        raise RuntimeError(f"{server.framework}: the database of an external server is unknown")
    return url


def _sqlite_path(url: str) -> str:
    # sqlite:////abs/path -> /abs/path (the harness always uses absolute paths)
    return url.split("sqlite:///", 1)[1]


def _digest(rows: Iterable[Sequence[Any]]) -> TableState:
    encoded = sorted(repr(tuple(row)) for row in rows)
    h = hashlib.sha256()
    for line in encoded:
        h.update(line.encode("utf-8", "backslashreplace"))
        h.update(b"\n")
    return TableState(rows=len(encoded), checksum=h.hexdigest()[:16])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_snapshot(path: str, tables: Iterable[str] | None) -> DbState:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        names = tables or [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            name: _digest(conn.execute(f"SELECT * FROM {_quote(name)}").fetchall())
            for name in sorted(names)
            if name not in IGNORED_TABLES
        }
    finally:
        conn.close()


def _pg_snapshot(url: str, tables: Iterable[str] | None) -> DbState:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        names = tables or [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        ]
        state: DbState = {}
        for name in sorted(names):
            if name in IGNORED_TABLES:
                continue
            rows = conn.execute(f"SELECT * FROM {_quote(name)}".encode()).fetchall()
            state[name] = _digest(rows)
        return state


def snapshot(server: LiveServer, tables: Iterable[str] | None = None) -> DbState:
    """Row count + checksum of every table (or of ``tables``) of the server's database."""
    url = database_url(server)
    if urlsplit(url).scheme.startswith("sqlite"):
        return _sqlite_snapshot(_sqlite_path(url), tables)
    return _pg_snapshot(url, tables)


#: Work a live server finishes after its answer, as rows that say it is still owed: welcome
#: e-mails not yet delivered, and (Django, services mode) django-tasks-db jobs queued or running.
#: A table the server's database lacks is skipped.
PENDING_WORK = {
    "users_outboxemail": "sent_at IS NULL",
    "django_tasks_database_dbtaskresult": "status IN ('READY', 'RUNNING')",
}


def _fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Every row of one read-only query on the server's database."""
    if urlsplit(url).scheme.startswith("sqlite"):
        conn = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as pg:
        return pg.execute(sql.encode()).fetchall()


def pending_work(server: LiveServer) -> dict[str, int]:
    """Rows of :data:`PENDING_WORK` still owed, per table (tables with none left out)."""
    url = database_url(server)
    listing = (
        "SELECT name FROM sqlite_master"
        if urlsplit(url).scheme.startswith("sqlite")
        else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    present = {row[0] for row in _fetch(url, listing)}
    owed = {
        table: _fetch(url, f"SELECT count(*) FROM {_quote(table)} WHERE {where}")[0][0]
        for table, where in PENDING_WORK.items()
        if table in present
    }
    return {table: n for table, n in owed.items() if n}


def settled_snapshot(
    server: LiveServer, timeout_s: float = 15.0, stalled_s: float = 3.0
) -> DbState:
    """A snapshot taken once background work is done and two consecutive reads agree.

    Earlier tests leave work behind (the welcome e-mail job after a registration): in
    services mode a separate worker process polls the queue, so two quick reads can agree
    while a job is still queued and the job then writes during the test. So while a row
    says work is owed (:data:`PENDING_WORK`) this waits for it; owed work that changes
    nothing for ``stalled_s`` (a job that failed for good, e.g. an address the mailer
    refuses) counts as settled, so it cannot slow every later check down to ``timeout_s``.
    Past ``timeout_s`` the snapshot is taken anyway; the check that uses it shows what changed.
    """
    start = time.monotonic()
    previous, quiet_since = snapshot(server), start
    while time.monotonic() - start < timeout_s:
        time.sleep(0.05)
        current = snapshot(server)
        now = time.monotonic()
        if current != previous:
            previous, quiet_since = current, now
            continue
        if not pending_work(server) or now - quiet_since >= stalled_s:
            return current
    return previous


def count_rows(server: LiveServer, table: str, column: str, values: Sequence[str]) -> int:
    """How many rows of ``table`` have ``column`` in ``values`` (ids compared as text)."""
    url = database_url(server)
    wanted = {v.replace("-", "").lower() for v in values}
    found = [row[0] for row in _fetch(url, f"SELECT {_quote(column)} FROM {_quote(table)}")]
    # UUIDs are stored as 32-hex text (Django on SQLite), 16 raw bytes (advanced-alchemy's
    # GUID on SQLite), 36-char text or a native uuid (PostgreSQL).
    return sum(1 for v in found if _as_text(v) in wanted)


def _as_text(value: Any) -> str:
    if isinstance(value, bytes) and len(value) == 16:
        return value.hex()
    return str(value).replace("-", "").lower()


def diff(before: DbState, after: DbState) -> list[str]:
    """Human-readable differences (empty when the database is unchanged)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b != a:
            lines.append(f"{name}: {b} -> {a}")
    return lines


def assert_unchanged(before: DbState, server: LiveServer) -> None:
    """The database equals ``before`` (counts and checksums of every table)."""
    changes = diff(before, snapshot(server))
    assert not changes, "database changed:\n  " + "\n  ".join(changes)


def delivered_emails(server: LiveServer, user_ids: Sequence[str]) -> int:
    """Welcome e-mails of ``user_ids`` the outbox job marked delivered (``sent_at`` set)."""
    url = database_url(server)
    sql = "SELECT user_id FROM users_outboxemail WHERE sent_at IS NOT NULL"
    found = [row[0] for row in _fetch(url, sql)]
    wanted = {v.replace("-", "").lower() for v in user_ids}
    return sum(1 for v in found if _as_text(v) in wanted)
