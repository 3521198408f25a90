"""Fixtures for the chat tests: users, bearer clients, websockets."""

import asyncio
import functools
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.models import TimestampedModel
from config.asgi import create_app
from config.settings import Settings
from users.models import User
from users.services import issue_access_token, password_hash

ORIGIN = "https://testserver.local"  # https: the session cookie is Secure
PASSWORD = "password-123"
WS_HEADERS = {"Origin": ORIGIN}


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The shared settings plus the tables (unit tests only: Alembic otherwise).

    ``@pytest.mark.parametrize("settings", [{"ws_ticket_ttl": 12}], indirect=True)``
    overrides some of them (``Settings`` is frozen: Django's tests assign instead).
    """
    import chat.models  # noqa: F401  (registers the chat tables in the metadata)

    settings = replace(settings, **getattr(request, "param", {}))

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
def make_user(settings: Settings) -> Callable[[str], User]:
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
def alice(make_user: Callable[[str], User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[[str], User]) -> User:
    return make_user("bob")


def bearer(user: User, settings: Settings) -> dict[str, str]:
    """The ``Authorization`` header of a bearer token for ``user``."""
    return {"Authorization": f"Bearer {issue_access_token(user, settings)['access_token']}"}


@pytest.fixture
def api_client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(settings), base_url=ORIGIN) as client:
        yield client


@pytest.fixture
def client_for(api_client: TestClient[Litestar], settings: Settings) -> Callable[[User], Any]:
    """``client_for(user)`` -> a client whose requests carry the user's bearer token."""

    class Authed:
        def __init__(self, user: User) -> None:
            self.headers = bearer(user, settings)

        def __getattr__(self, method: str) -> Any:
            call = getattr(api_client, method)

            def request(url: str, **kwargs: Any) -> Any:
                kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
                return call(url, **kwargs)

            return request

    return Authed


def refused(client: TestClient[Litestar], path: str, headers: dict[str, str]) -> bool:
    """Closed before accept (uvicorn turns that into an HTTP 403)."""
    try:
        with client.websocket_connect(path, headers=headers):
            return False
    except WebSocketDisconnect:
        return True
