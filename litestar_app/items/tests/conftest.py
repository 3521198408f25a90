"""Fixtures for the items tests: users created through the ORM, bearer-authenticated clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

import users.services
from common.models import TimestampedModel
from config.asgi import create_app
from config.settings import Settings
from users.models import User
from users.services import issue_access_token

BASE_URL = "http://testserver.local"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shared settings, an upload dir and the tables (unit tests only: Alembic otherwise)."""

    async def create() -> None:
        engine = create_async_engine(settings.database_url)
        async with engine.begin() as connection:
            await connection.run_sync(TimestampedModel.metadata.create_all)
        await engine.dispose()

    asyncio.run(create())
    return replace(settings, upload_dir=tmp_path / "uploads")


@pytest.fixture
def upload_dir(settings: Settings) -> Path:
    return settings.upload_dir


@pytest.fixture
def bulk_create(settings: Settings) -> Callable[[Iterable[Any]], list[Any]]:
    """``bulk_create(rows)``: add ORM rows straight through a throwaway engine (no HTTP, no
    counting)."""

    def factory(rows: Iterable[Any]) -> list[Any]:
        async def run() -> None:
            engine = create_async_engine(settings.database_url)
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                db.add_all(added)
                await db.commit()
            await engine.dispose()

        added = list(rows)
        asyncio.run(run())
        return added

    return factory


@pytest.fixture
def make_user(bulk_create: Callable[[Iterable[Any]], list[Any]]) -> Callable[..., User]:
    def factory(username: str, *, is_staff: bool = False) -> User:
        password = users.services.password_hash.hash("password-123")
        user = User(username=username, email=f"{username}@example.com", password=password)
        user.is_staff = is_staff
        return bulk_create([user])[0]

    return factory


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    return make_user("staff", is_staff=True)


@pytest.fixture
def api_client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(settings), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def client_for(
    api_client: TestClient[Litestar], settings: Settings
) -> Iterator[Callable[[User], TestClient[Litestar]]]:
    with ExitStack() as stack:

        def factory(user: User) -> TestClient[Litestar]:
            client = stack.enter_context(TestClient(app=api_client.app, base_url=BASE_URL))
            token = issue_access_token(user, settings)["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            return client

        yield factory


@pytest.fixture
def csrf_client(api_client: TestClient[Litestar]) -> Iterator[Callable[..., TestClient[Litestar]]]:
    """``csrf_client(user=None)`` -> a browser's client that passes the CSRF checks itself,
    logged in with the user's session when one is given."""
    with ExitStack() as stack:

        def factory(user: User | None = None) -> TestClient[Litestar]:
            # https: the Secure session cookie is sent back; over https Django's CSRF rule
            # wants an Origin (or Referer) matching the host (decision 23)
            client = TestClient(app=api_client.app, base_url="https://testserver.local")
            stack.enter_context(client)
            client.follow_redirects = False
            client.headers["Origin"] = "https://testserver.local"  # what a browser sends
            if user is not None:
                client.get("/auth/login")
                creds = {"username": user.username, "password": "password-123"}
                csrf = {"X-CSRFToken": client.cookies["csrftoken"]}
                assert client.post("/auth/login", data=creds, headers=csrf).status_code == 200
            return client

        yield factory
