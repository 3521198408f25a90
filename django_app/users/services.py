"""User business rules: registration, authentication, tokens, outbox.

HackSoft-style functions over the ORM.
They raise the domain errors of ``common.errors`` and never anything HTTP.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from rest_framework_simplejwt.tokens import AccessToken

from common.errors import ConflictError
from users.hashing import run_bounded
from users.models import OutboxEmail, User
from users.signals import user_registered

SEED_PASSWORD = "seed-password-123"
SEED_USERS = (("seed-alice", True), ("seed-bob", False), ("seed-carol", False))


def seed_user_id(username: str) -> uuid.UUID:
    """Deterministic id shared by both apps: uuid5(NAMESPACE_URL, "items-api:user:<name>")."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"items-api:user:{username}")


def register_user(username: str, email: str, password: str, *, is_staff: bool = False) -> User:
    """Create a user (never staff through the API); duplicates, any case -> ``ConflictError``.

    Every entry point registers through here (the API, ``manage.py create_user``; the admin's
    add form calls ``announce_registration``), so each sends the welcome e-mail.
    """

    # The slow hash first: Django holds the request's pooled connection from its first query
    # to the end of the request, so hashing after a query would keep a connection idle.
    hashed = run_bounded(make_password, password)
    if User.objects.filter(username__iexact=username).exists():
        raise ConflictError("A user with that username already exists.")
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError("A user with that email already exists.")
    try:
        with transaction.atomic():
            user = User(
                username=username,
                email=User.objects.normalize_email(email),
                password=hashed,
                is_staff=is_staff,
            )
            user.save()
            announce_registration(user)
    except IntegrityError as exc:  # the unique index fired under a race
        raise ConflictError("A user with that username or email already exists.") from exc
    return user


def announce_registration(user: User) -> None:
    """Raise the ``user_registered`` domain event (the welcome e-mail goes out on commit)."""
    user_registered.send(sender=User, user=user)


def authenticate_user(username: str, password: str) -> User | None:
    """The active user with these credentials, or ``None`` (wrong password, inactive)."""
    user = run_bounded(authenticate, None, username=username, password=password)
    return user if isinstance(user, User) else None


def issue_access_token(user: User) -> dict[str, Any]:
    """An access token with the shared flat claims (sub, iat, exp, iss, aud, jti, type)."""
    token = AccessToken.for_user(user)
    return {
        "access_token": str(token),
        "token_type": "bearer",
        "expires_in": settings.ACCESS_TOKEN_TTL,
    }


def write_welcome_email(user_id: uuid.UUID | str) -> OutboxEmail | None:
    """Put the welcome email for ``user_id`` in the outbox (no-op if the user is gone)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    return OutboxEmail.objects.create(
        user=user,
        to_email=user.email,
        subject=f"Welcome, {user.username}!",
        body=f"Hello {user.username}, your account is ready.",
    )


def list_emails(user: User) -> QuerySet[OutboxEmail]:
    """The user's outbox, oldest first (ties broken by id)."""
    return OutboxEmail.objects.filter(user=user).order_by("created_at", "id")


def delete_user(user: User) -> None:
    """Delete a user (their outbox rows go with them: ON DELETE CASCADE)."""
    user.delete()


def seed_users(extra: int = 0) -> list[User]:
    """Create the seed users (idempotent) plus ``extra`` numbered ones; ids are deterministic."""
    names = [*SEED_USERS, *((f"seed-user-{n}", False) for n in range(1, extra + 1))]
    users = []
    for username, is_staff in names:
        user = User.objects.filter(pk=seed_user_id(username)).first()
        if user is None:
            user = User(
                id=seed_user_id(username), username=username, email=f"{username}@example.com"
            )
        user.is_staff = is_staff
        user.is_superuser = is_staff
        user.is_active = True
        user.set_password(SEED_PASSWORD)
        user.save()
        users.append(user)
    return users
