"""Fixtures for the chat tests: users, bearer clients, websockets."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.models import TimestampedModel
from config.asgi import create_app
from config.settings import Settings
from users.models import User
from users.services import issue_access_token, password_hash

ORIGIN = "https://testserver.local"  # https: the session cookie is Secure
PASSWORD = "password-123"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings plus the tables (unit tests only: Alembic otherwise)."""
    import chat.models  # noqa: F401  (registers the chat tables in the metadata)

    async def create() -> None:
        engine = create_async_engine(settings.database_url)
        async with engine.begin() as connection:
            await connection.run_sync(TimestampedModel.metadata.create_all)
        await engine.dispose()

    asyncio.run(create())
    return settings


@functools.cache
def _password_hash() -> str:
    """argon2 is slow on purpose: hash the test password once per run."""
    return password_hash.hash(PASSWORD)


@pytest.fixture
def make_user(settings: Settings) -> Callable[..., User]:
    def factory(username: str) -> User:
        """A user whose password is "password-123"."""

        async def create() -> User:
            engine = create_async_engine(settings.database_url)
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                user = User(
                    username=username, email=f"{username}@example.com", password=_password_hash()
                )
                db.add(user)
                await db.commit()
            await engine.dispose()
            return user

        return asyncio.run(create())

    return factory


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(settings), base_url=ORIGIN) as client:
        yield client


@pytest.fixture
def auth(settings: Settings) -> Callable[[User], dict[str, str]]:
    """``auth(user)`` -> the ``Authorization`` header of a bearer token for ``user``."""

    def headers(user: User) -> dict[str, str]:
        token = issue_access_token(user, settings)["access_token"]
        return {"Authorization": f"Bearer {token}"}

    return headers
