"""User business rules: registration, authentication, tokens, outbox.

Plain async functions over the caller's ``AsyncSession`` (the handler's ``db_session``, a
CLI command's or a test's session).
They raise the domain errors of ``common.errors`` and never anything HTTP.
Registration announces ``user_registered`` itself, once the transaction commits
(``common.db.on_commit``), so every entry point (API, CLI) triggers the welcome email.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import jwt
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from common.db import on_commit
from common.errors import ConflictError
from users.hashing import hash_password, password_hash, verify_password
from users.models import OutboxEmail, User

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from config.settings import Settings

SEED_PASSWORD = "seed-password-123"
SEED_USERS = (("seed-alice", True), ("seed-bob", False), ("seed-carol", False))
JWT_ALGORITHM = "HS256"


USER_REGISTERED = "user_registered"
"""The domain event of a new user (listener: ``users.events.on_user_registered``)."""


class EventEmitter(Protocol):
    """Where domain events go: the Litestar app (``app.emit``) or a test double."""

    def emit(self, event_id: str, *args: Any, **kwargs: Any) -> None: ...


def seed_user_id(username: str) -> uuid.UUID:
    """Deterministic id shared by both apps: uuid5(NAMESPACE_URL, "items-api:user:<name>")."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"items-api:user:{username}")


async def register_user(
    db: AsyncSession,
    username: str,
    email: str,
    password: str,
    *,
    is_staff: bool = False,
    events: EventEmitter | None,
) -> User:
    """Create a user (never staff through the API); duplicates, any case -> ``ConflictError``.

    The welcome e-mail row is written in the same transaction; ``user_registered`` (which
    starts its delivery) is emitted on ``events`` after the commit (nothing on rollback);
    ``events=None`` is an explicit "no side effects" (fixtures: no e-mail either).
    """
    # The slow hash first (in a thread): the session holds no connection yet.
    hashed = await hash_password(password)
    if await db.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ConflictError("A user with that username already exists.")
    if await db.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        raise ConflictError("A user with that email already exists.")
    user = User(
        username=username,
        email=normalize_email(email),
        password=hashed,
        is_staff=is_staff,
        is_superuser=is_staff,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:  # the unique index fired under a race
        await db.rollback()
        raise ConflictError("A user with that username or email already exists.") from exc
    if events is None:  # fixtures: no side effects
        return user
    # The welcome e-mail is part of the registration: same transaction, no user without it.
    welcome = await write_welcome_email(db, user.id)
    if welcome is not None:
        user_id, email_id = user.id, welcome.id
        on_commit(
            db,
            lambda: events.emit(USER_REGISTERED, user_id=user_id, email_id=email_id, app=events),
        )
    return user


def normalize_email(email: str) -> str:
    """Lower-case the domain part, as Django's ``normalize_email`` does."""
    local, sep, domain = email.rpartition("@")
    return f"{local}{sep}{domain.lower()}" if sep else email


async def authenticate_user(db: AsyncSession, username: str, password: str) -> User | None:
    """The active user with these credentials, or ``None`` (wrong password, inactive)."""
    user = await db.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if not await verify_password(password, user.password if user else None):
        return None
    if user is None or not user.is_active:
        return None
    return user


async def get_active_user(db: AsyncSession, user_id: Any) -> User | None:
    """The active user with this id (``None`` for unknown, inactive or malformed ids)."""
    try:
        pk = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        return None
    user = await db.get(User, pk)
    return user if user is not None and user.is_active else None


def issue_access_token(user: User, settings: Settings) -> dict[str, Any]:
    """An access token with the shared flat claims (sub, iat, exp, iss, aud, jti, type)."""
    now = datetime.now(UTC)
    claims = {
        "type": "access",
        "exp": int((now + timedelta(seconds=settings.access_token_ttl)).timestamp()),
        "iat": int(now.timestamp()),
        "jti": uuid.uuid4().hex,
        "sub": str(user.id),
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
    }
    return {
        "access_token": jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM),
        "token_type": "bearer",
        "expires_in": settings.access_token_ttl,
    }


async def write_welcome_email(db: AsyncSession, user_id: uuid.UUID) -> OutboxEmail | None:
    """Put the welcome email for ``user_id`` in the outbox (no-op if the user is gone)."""
    user = await db.get(User, user_id)
    if user is None:
        return None
    email = OutboxEmail(
        user_id=user.id,
        to_email=user.email,
        subject=f"Welcome, {user.username}!",
        body=f"Hello {user.username}, your account is ready.",
    )
    db.add(email)
    await db.flush()
    return email


async def list_emails(db: AsyncSession, user: User) -> Sequence[OutboxEmail]:
    """The user's outbox, oldest first (ties broken by id)."""
    result = await db.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.user_id == user.id)
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
    )
    return result.all()


async def delete_user(db: AsyncSession, user: User) -> None:
    """Delete a user (their outbox rows go with them: ON DELETE CASCADE)."""
    # SQLite enforces the FK cascade only with PRAGMA foreign_keys=ON: delete explicitly.
    await db.execute(delete(OutboxEmail).where(OutboxEmail.user_id == user.id))
    await db.delete(user)
    await db.flush()


async def seed_users(db: AsyncSession, extra: int = 0) -> list[User]:
    """Create the seed users (idempotent) plus ``extra`` numbered ones; ids are deterministic."""
    names = [*SEED_USERS, *((f"seed-user-{n}", False) for n in range(1, extra + 1))]
    users = []
    for username, is_staff in names:
        user = await db.get(User, seed_user_id(username))
        if user is None:
            user = User(
                id=seed_user_id(username), username=username, email=f"{username}@example.com"
            )
            db.add(user)
        user.is_staff = is_staff
        user.is_superuser = is_staff
        user.is_active = True
        user.password = password_hash.hash(SEED_PASSWORD)
        users.append(user)
    await db.flush()
    return users
