"""User model: UUID id, case-insensitive unique username and email, is_staff.

Columns mirror Django's ``AbstractBaseUser`` + ``PermissionsMixin`` so both apps share one
table shape (``users_user``). Uniqueness is case-insensitive through functional unique
indexes on ``lower(...)``, which both SQLite and PostgreSQL support.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String, Text, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from common.models import TimestampedModel


class User(TimestampedModel):
    """An account; ``password`` holds a KDF hash, never the raw password."""

    __tablename__ = "users_user"

    username: Mapped[str] = mapped_column(String(150))
    email: Mapped[str] = mapped_column(String(254))
    password: Mapped[str] = mapped_column(String(128))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_superuser: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_login: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (
        Index("users_user_username_ci_uniq", func.lower(username), unique=True),
        Index("users_user_email_ci_uniq", func.lower(email), unique=True),
    )

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


class OutboxEmail(TimestampedModel):
    """An email waiting to be sent (written by a background task, read by the user)."""

    __tablename__ = "users_outboxemail"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users_user.id", ondelete="CASCADE"), index=True
    )
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Set by the delivery job (users.tasks) once the message is handed to the mail transport;
    # a row without it is still owed (the job is retried, delivers at most once per row).
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.subject!r}>"
