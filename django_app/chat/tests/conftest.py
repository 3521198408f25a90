"""Fixtures for the chat tests: users, bearer clients, websockets."""

from collections.abc import Callable, Iterator

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from rest_framework.test import APIClient

from config.asgi import application
from users.models import User
from users.services import issue_access_token

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def fresh_state() -> Iterator[None]:
    # The in-memory layer holds queues bound to the event loop of the test that made them,
    # and tickets live in the (local-memory) cache: start every test from scratch.
    channel_layers.backends.clear()
    cache.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def make_user(db: None) -> Callable[[str], User]:
    def factory(username: str) -> User:
        return User.objects.create_user(username, f"{username}@example.com", "password-123")

    return factory


@pytest.fixture
def alice(make_user: Callable[[str], User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[[str], User]) -> User:
    return make_user("bob")


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    def factory(user: User) -> APIClient:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_access_token(user)['access_token']}")
        return client

    return factory


def communicator(
    path: str, *, origin: bytes | None = b"http://testserver"
) -> WebsocketCommunicator:
    """A websocket client on the real ASGI application (Origin check included)."""
    headers = [(b"origin", origin)] if origin is not None else []
    return WebsocketCommunicator(application, path, headers=headers)
