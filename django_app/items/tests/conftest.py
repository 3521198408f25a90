"""Fixtures for the items tests: users created through the ORM, bearer-authenticated clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from pytest_django import Settings
from rest_framework.test import APIClient

from users.models import User
from users.services import issue_access_token


@pytest.fixture(autouse=True)
def upload_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def factory(username: str, *, is_staff: bool = False) -> User:
        return User.objects.create_user(
            username, f"{username}@example.com", "password-123", is_staff=is_staff
        )

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
def client_for() -> Callable[[User], APIClient]:
    def factory(user: User) -> APIClient:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_access_token(user)['access_token']}")
        return client

    return factory


@pytest.fixture
def csrf_client() -> Callable[..., Client]:
    """``csrf_client(user=None)`` -> a browser's client that passes the CSRF checks itself,
    logged in with the user's session when one is given."""

    def factory(user: User | None = None) -> Client:
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        return client

    return factory
