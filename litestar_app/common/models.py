"""Base model: UUID primary key plus created_at / updated_at.

Built from advanced-alchemy's pieces instead of ``UUIDAuditBase``: that base mixes in
``SentinelMixin``, which adds a nullable ``sa_orm_sentinel`` column Django's tables do not
have. Here the base is ``CommonTableAttributes`` + ``AuditColumns`` (timezone-aware
``created_at`` / ``updated_at``, ``DateTimeUTC``: ``timestamptz`` on PostgreSQL, always
UTC-aware in Python, also on SQLite) + a client-side ``uuid4`` primary key, so both apps
share one column set. Every feature model inherits from :class:`TimestampedModel`, so
Alembic sees one ``MetaData`` (``TimestampedModel.metadata``).
"""

from __future__ import annotations

from uuid import UUID, uuid4

from advanced_alchemy.base import AdvancedDeclarativeBase, CommonTableAttributes
from advanced_alchemy.mixins import AuditColumns
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import Mapped, mapped_column


class TimestampedModel(CommonTableAttributes, AuditColumns, AdvancedDeclarativeBase, AsyncAttrs):
    """Abstract base: ``id`` (UUID), ``created_at`` and ``updated_at`` (UTC, tz-aware)."""

    __abstract__ = True

    id: Mapped[UUID] = mapped_column(default=uuid4, primary_key=True, sort_order=-100)
    """UUID primary key, generated client-side (no ``sa_orm_sentinel`` companion column)."""
