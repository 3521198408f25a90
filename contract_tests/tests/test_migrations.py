"""Migrations: a fresh database migrates cleanly, models match the migrations, same users table."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.servers import (
    ServerManager,
    base_environment,
    migrate_command,
    migration_check_command,
    run_in_app,
)

USER_COLUMNS = {
    "id",
    "username",
    "email",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
    "last_login",
    "created_at",
    "updated_at",
}
USER_UNIQUE_INDEXES = {"users_user_username_ci_uniq", "users_user_email_ci_uniq"}


@pytest.fixture(scope="module")
def migrated(framework: str, server_manager: ServerManager) -> str:
    """A brand-new database of the session's mode, migrated by the app's own command."""
    url = server_manager.fresh_database_url(framework, "migrations")
    env = base_environment() | server_manager.server_env(framework, url)
    result = run_in_app(framework, migrate_command(framework), env)
    assert result.returncode == 0, f"migrate failed on a fresh database:\n{result.stdout[-4000:]}"
    return url


@contextmanager
def connect(url: str) -> Iterator[Any]:
    """A DB-API connection to a sqlite:/// or postgresql:// URL (autocommit off)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            yield conn
    else:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            yield conn


def columns(conn: Any, url: str) -> set[str]:
    if url.startswith("sqlite"):
        return {row[1] for row in conn.execute("PRAGMA table_info(users_user)").fetchall()}
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'users_user'"
    ).fetchall()
    return {row[0] for row in rows}


def unique_indexes(conn: Any, url: str) -> set[str]:
    if url.startswith("sqlite"):
        rows = conn.execute("PRAGMA index_list(users_user)").fetchall()
        return {row[1] for row in rows if row[2]}
    rows = conn.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'users_user' "
        "AND indexdef ILIKE 'CREATE UNIQUE INDEX%'"
    ).fetchall()
    return {row[0] for row in rows}


def insert_user(conn: Any, url: str, username: str, email: str) -> None:
    now = datetime.now(UTC)
    marker = "?" if url.startswith("sqlite") else "%s"
    values: tuple[Any, ...] = (
        uuid.uuid4().hex if url.startswith("sqlite") else uuid.uuid4(),
        username,
        email,
        "!unusable",
        True,
        False,
        False,
        now,
        now,
    )
    conn.execute(
        "INSERT INTO users_user (id, username, email, password, is_active, is_staff, "
        f"is_superuser, created_at, updated_at) VALUES ({', '.join([marker] * 9)})",
        values,
    )


def integrity_error(url: str) -> type[Exception]:
    """The driver's unique-violation exception class."""
    if url.startswith("sqlite"):
        return sqlite3.IntegrityError
    import psycopg

    return psycopg.errors.UniqueViolation


@pytest.mark.concept("migrations")
def test_models_match_migrations(
    framework: str, migrated: str, server_manager: ServerManager
) -> None:
    env = base_environment() | server_manager.server_env(framework, migrated)
    result = run_in_app(framework, migration_check_command(framework), env)
    assert result.returncode == 0, (
        f"models and migrations disagree (or check failed):\n{result.stdout[-4000:]}"
    )


@pytest.mark.concept("migrations")
def test_users_table_from_migrations(migrated: str) -> None:
    with connect(migrated) as conn:
        assert columns(conn, migrated) == USER_COLUMNS
        assert unique_indexes(conn, migrated) >= USER_UNIQUE_INDEXES


@pytest.mark.concept("migrations")
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Alice", "alice@example.com"), ("ALICE", "other@example.com")),
        (("bob", "Bob@Example.com"), ("bobby", "bob@example.COM")),
    ],
    ids=["username", "email"],
)
def test_case_insensitive_uniqueness(
    migrated: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    with connect(migrated) as conn:
        insert_user(conn, migrated, *first)
        conn.commit()
        with pytest.raises(integrity_error(migrated)):
            insert_user(conn, migrated, *second)
            conn.commit()
