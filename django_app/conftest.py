"""Shared pytest fixtures for the native (in-process) tests."""

import importlib
from collections.abc import Iterator

import pytest
from django.urls import clear_url_caches
from pytest_django import Settings
from rest_framework.test import APIClient

import config.urls


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Settings) -> None:
    """Hash test passwords with MD5 (Django's advice for fast tests): argon2id costs tens of
    milliseconds of CPU per login or new user. The production hasher is tested in
    users/tests/test_models.py and over HTTP by `make chaos`."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,  # hashes made before the override still verify
    ]


@pytest.fixture
def api_client() -> APIClient:
    # Uncaught exceptions become the 500 response a real client sees, instead of being
    # re-raised into the test.
    return APIClient(raise_request_exception=False)


def _reload_urlconf() -> None:
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def test_routes_enabled(settings: Settings) -> Iterator[None]:
    """Mount the /_test routes, as ENABLE_TEST_ROUTES=1 does (the URLconf reads it on import)."""
    settings.ENABLE_TEST_ROUTES = True
    _reload_urlconf()
    yield
    settings.ENABLE_TEST_ROUTES = False
    _reload_urlconf()
