"""The User model: table shape, defaults, hashing and case-insensitive uniqueness."""

from __future__ import annotations

import threading
from datetime import UTC
from typing import Any
from uuid import UUID

import argon2.low_level
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.db import IntegrityError, connection
from pytest_django import Settings

import config.settings as production_settings
from users.hashing import Argon2idPasswordHasher
from users.models import User

pytestmark = pytest.mark.django_db


def test_auth_user_model_is_ours() -> None:
    assert get_user_model() is User
    assert User._meta.db_table == "users_user"


def test_create_user_hashes_password_and_sets_defaults() -> None:
    user = User.objects.create_user("alice", "Alice@EXAMPLE.com", "s3cret-pass")

    assert isinstance(user.id, UUID)
    assert user.password != "s3cret-pass"
    assert user.check_password("s3cret-pass")
    assert user.email == "Alice@example.com"  # the domain part is normalised
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)
    assert user.last_login is None
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset() == UTC.utcoffset(None)
    assert user.updated_at >= user.created_at
    assert str(user) == "alice"


def test_passwords_hash_with_argon2id_and_verify_without_rehash(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS  # not the tests' MD5
    user = User(username="hasher")
    user.set_password("s3cret-pass")

    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    # A hasher with other parameters for the same algorithm would rehash at every login.
    assert not identify_hasher(user.password).must_update(user.password)
    assert user.check_password("s3cret-pass")


def test_passwords_hash_on_the_hashing_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2's block stays in the arena of the thread that hashed: a few threads, not every
    # request's thread (users/hashing.py).
    threads = []
    real_hash = argon2.low_level.hash_secret

    def spy(*args: Any, **kwargs: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return real_hash(*args, **kwargs)

    monkeypatch.setattr(argon2.low_level, "hash_secret", spy)
    encoded = Argon2idPasswordHasher().encode("s3cret-pass", "saltsaltsalt")

    assert Argon2idPasswordHasher().verify("s3cret-pass", encoded)
    assert threads and threads[0].startswith("password-hash"), threads


def test_create_user_without_password_is_unusable() -> None:
    assert not User.objects.create_user("bob", "bob@example.com").has_usable_password()


@pytest.mark.parametrize(("username", "email"), [("", "x@example.com"), ("x", "")])
def test_create_user_requires_username_and_email(username: str, email: str) -> None:
    with pytest.raises(ValueError):
        User.objects.create_user(username, email, "s3cret-pass")


def test_create_superuser_sets_flags() -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "s3cret-pass")

    assert admin.is_staff
    assert admin.is_superuser


def test_create_superuser_rejects_contradicting_flags() -> None:
    with pytest.raises(ValueError):
        User.objects.create_superuser("root", "root@example.com", "pw", is_staff=False)


@pytest.mark.parametrize(
    "duplicate",
    [
        {"username": "ALICE", "email": "other@example.com"},
        {"username": "bob", "email": "Alice@Example.COM"},
    ],
)
def test_username_and_email_unique_case_insensitively(duplicate: dict[str, str]) -> None:
    User.objects.create_user("alice", "alice@example.com")

    with pytest.raises(IntegrityError):
        User.objects.create_user(**duplicate)


def test_login_by_username_ignores_case() -> None:
    User.objects.create_user("Alice", "alice@example.com", "s3cret-pass")

    assert authenticate(username="alice", password="s3cret-pass") is not None


def test_table_columns_match_the_shared_schema() -> None:
    with connection.cursor() as cursor:
        columns = {
            column.name: column.null_ok
            for column in connection.introspection.get_table_description(cursor, "users_user")
        }
        constraints = connection.introspection.get_constraints(cursor, "users_user")

    assert columns == {
        "id": False,
        "username": False,
        "email": False,
        "password": False,
        "is_active": False,
        "is_staff": False,
        "is_superuser": False,
        "last_login": True,
        "created_at": False,
        "updated_at": False,
    }
    assert {"users_user_username_ci_uniq", "users_user_email_ci_uniq"} <= set(constraints)
