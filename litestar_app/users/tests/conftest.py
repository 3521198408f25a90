"""Fixtures for the users tests: a migrated-like schema and ready-made users."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.models import TimestampedModel
from config.settings import Settings
from users import services


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings plus the tables (unit tests only: real schemas come from Alembic)."""

    async def create() -> None:
        engine = create_async_engine(settings.database_url)
        async with engine.begin() as connection:
            await connection.run_sync(TimestampedModel.metadata.create_all)
        await engine.dispose()

    asyncio.run(create())
    return settings


@pytest.fixture
def make_user(settings: Settings) -> Any:
    """``make_user("bob", staff=True)`` -> the new user (password "password-123")."""

    def factory(username: str, *, staff: bool = False, active: bool = True) -> Any:
        async def create() -> Any:
            engine = create_async_engine(settings.database_url)
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                user = await services.register_user(
                    db,
                    username,
                    f"{username}@example.com",
                    "password-123",
                    is_staff=staff,
                    events=None,
                )
                user.is_active = active
                await db.commit()
            await engine.dispose()
            return user

        return asyncio.run(create())

    return factory


@pytest.fixture
def make_app_client(settings: Settings) -> Any:
    """``with make_app_client(token_rate_limit="3/minute") as client``; https so the Secure
    session cookie is sent back."""
    from contextlib import contextmanager
    from dataclasses import replace

    from config.asgi import create_app

    @contextmanager
    def factory(**overrides: Any) -> Iterator[TestClient[Litestar]]:
        app = create_app(replace(settings, **overrides))
        with TestClient(app=app, base_url="https://testserver.local") as test_client:
            # A browser sends Origin on every POST; over https CSRF needs it (or a Referer).
            test_client.headers["Origin"] = "https://testserver.local"
            test_client.follow_redirects = False  # a redirect is an answer to check, as on Django
            yield test_client

    return factory


@pytest.fixture
def client(make_app_client: Any) -> Iterator[TestClient[Litestar]]:
    with make_app_client() as test_client:
        yield test_client
