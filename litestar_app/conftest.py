"""Shared pytest fixtures for the native (in-process) tests.

Each test gets its own SQLite file under ``tmp_path``, so nothing touches ``var/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import users.hashing
import users.services
from config.asgi import create_app
from config.settings import Settings
from users.hashing import FAST_PASSWORD_HASH

ClientFactory = Callable[..., AbstractContextManager[TestClient[Litestar]]]


@pytest.fixture(autouse=True)
def fast_password_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords with :data:`users.hashing.FAST_PASSWORD_HASH` (module globals read
    at call time): the recommended argon2id parameters cost ~0.2 s of CPU per login or new
    user, most of this suite's time. The production hasher is exercised over HTTP by the
    contract suite's chaos servers."""
    monkeypatch.setattr(users.hashing, "password_hash", FAST_PASSWORD_HASH)
    monkeypatch.setattr(users.services, "password_hash", FAST_PASSWORD_HASH)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Defaults from the env vocabulary, a throwaway database and the test routes on."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}",
        # TestClient's default host; cookies need a dotted domain, so it is not "testserver".
        allowed_hosts=("testserver.local",),
        enable_test_routes=True,
    )


@pytest.fixture
def make_client(settings: Settings) -> ClientFactory:
    """``with make_client(redis_url=...) as client:`` builds an app from overridden settings."""

    @contextmanager
    def factory(**overrides: Any) -> Iterator[TestClient[Litestar]]:
        app = create_app(replace(settings, **overrides))
        with TestClient(app=app) as client:
            yield client

    return factory


@pytest.fixture
def client(make_client: ClientFactory) -> Iterator[TestClient[Litestar]]:
    with make_client() as test_client:
        yield test_client
