"""The User model: table shape, defaults, hashing and case-insensitive uniqueness."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import exc, inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from common.models import TimestampedModel
from users.hashing import hash_password, run_bounded, verify_password
from users.models import User

pytestmark = pytest.mark.anyio


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[AsyncSession]:
    # Unit tests only: the real schema comes from the Alembic migration.
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'models.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(TimestampedModel.metadata.create_all)
    async with async_sessionmaker(engine, expire_on_commit=False)() as db_session:
        yield db_session
    await engine.dispose()


def make_user(username: str = "alice", email: str = "alice@example.com") -> User:
    return User(username=username, email=email, password="argon2-hash")


def test_table_and_index_names() -> None:
    table = User.__table__
    assert table.name == "users_user"
    assert {
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
    } <= set(table.c.keys())
    assert {index.name for index in table.indexes} == {
        "users_user_username_ci_uniq",
        "users_user_email_ci_uniq",
    }
    assert all(index.unique for index in table.indexes)


async def test_defaults_and_timestamps(session: AsyncSession) -> None:
    user = make_user()
    session.add(user)
    await session.commit()
    await session.refresh(user)

    assert isinstance(user.id, UUID)
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)
    assert user.last_login is None
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset() == UTC.utcoffset(None)
    assert user.updated_at >= user.created_at


async def test_passwords_hash_on_the_hashing_threads() -> None:
    # argon2's block stays in the arena of the thread that hashed: a few threads, not any
    # of anyio's worker threads (users/hashing.py).
    thread = await run_bounded(threading.current_thread)
    encoded = await hash_password("s3cret-pass")

    assert await verify_password("s3cret-pass", encoded)
    assert thread.name.startswith("password-hash"), thread.name


@pytest.mark.parametrize(
    "duplicate",
    [
        {"username": "ALICE", "email": "other@example.com"},
        {"username": "bob", "email": "Alice@Example.COM"},
    ],
)
async def test_username_and_email_unique_case_insensitively(
    session: AsyncSession, duplicate: dict[str, str]
) -> None:
    session.add(make_user())
    await session.commit()

    session.add(make_user(**duplicate))
    with pytest.raises(exc.IntegrityError):
        await session.commit()


async def test_columns_exist_in_database(session: AsyncSession) -> None:
    connection = await session.connection()
    columns = await connection.run_sync(
        lambda sync: {column["name"] for column in inspect(sync).get_columns("users_user")}
    )
    assert {"username", "email", "password", "created_at", "updated_at"} <= columns
