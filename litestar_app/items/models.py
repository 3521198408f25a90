"""Item and attachment models with database constraints.

The rules the database can enforce live in the database: a non-negative price and a
non-empty name are CHECK constraints (the same names in the Django migration and the
Alembic revision), so a row written by any code path obeys them.
Columns mirror the Django models one to one.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import conv

from common.models import TimestampedModel


class Item(TimestampedModel):
    """A priced thing owned by one user; private to its owner (and staff)."""

    __tablename__ = "items_item"

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2, asdecimal=True))
    owner_id: Mapped[UUID] = mapped_column(
        ForeignKey("users_user.id", ondelete="CASCADE"), index=True
    )

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    # conv(): the exact names of the Django migration, not the metadata naming convention's.
    __table_args__ = (
        CheckConstraint("price >= 0", name=conv("items_item_price_gte_0")),
        CheckConstraint(func.length(name) >= 1, name=conv("items_item_name_not_empty")),
    )

    def __repr__(self) -> str:
        return f"<Item {self.name!r}>"


class Attachment(TimestampedModel):
    """A file uploaded to an item, stored on disk under ``storage_name`` (not the client's name)."""

    __tablename__ = "items_attachment"

    item_id: Mapped[UUID] = mapped_column(
        ForeignKey("items_item.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    storage_name: Mapped[str] = mapped_column(String(64))

    item: Mapped[Item] = relationship(back_populates="attachments", lazy="raise")

    def __repr__(self) -> str:
        return f"<Attachment {self.filename!r}>"
