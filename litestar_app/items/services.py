"""Item business rules; the HTTP layer never touches the ORM directly.

``ItemService`` is an advanced-alchemy ``SQLAlchemyAsyncRepositoryService`` (inner repository),
built per request for one caller (``user``). It decides
what the caller may see (own items; staff: all), filters, orders (ties broken by id),
paginates, stores attachments and maps database conflicts. It raises the domain errors of
``common.errors``; one exception handler turns them into problems.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict
from uuid import UUID

from advanced_alchemy.filters import LimitOffset as LimitOffsetFilter
from advanced_alchemy.filters import OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import NotFoundError, PermissionDeniedError
from items.models import Attachment, Item
from items.permissions import may_filter_by_owner

if TYPE_CHECKING:
    from sqlalchemy import Select

    from common.pagination import LimitOffset
    from users.models import User

logger = logging.getLogger("items")

EXPORT_CHUNK_SIZE = 100
_UNSAFE_FILENAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True, slots=True)
class ItemFilters:
    """What the list may be narrowed and ordered by (already validated)."""

    q: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    owner: UUID | None = None
    ordering: str = "created_at"


class ItemFields(TypedDict):
    """Every writable field of an item (create, and PUT's full replacement)."""

    name: str
    description: str | None
    price: Decimal


class ItemChanges(TypedDict, total=False):
    """PATCH: the fields to change; an absent key leaves a field as it is."""

    name: str
    description: str | None
    price: Decimal


class UploadedFile(Protocol):
    """What the service needs from an uploaded file (Litestar's ``UploadFile`` fits)."""

    filename: str
    content_type: str

    async def read(self, size: int = -1) -> bytes: ...


FILENAME_MAX_LENGTH = 255


def sanitize_filename(raw: str | None) -> str:
    """Keep the base name only: no directories, no "..", no control characters.

    ``"../../etc/passwd"`` -> ``"passwd"``; nothing usable left -> ``"file"``.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME_CHARS.sub("", name)
    while ".." in name:
        name = name.replace("..", ".")
    name = name.strip().strip(".")
    if len(name) > FILENAME_MAX_LENGTH:  # cut before the extension (Django's UploadedFile rule)
        stem, ext = os.path.splitext(name)
        ext = ext[:FILENAME_MAX_LENGTH]
        name = stem[: FILENAME_MAX_LENGTH - len(ext)] + ext
    return name or "file"


class ItemService(SQLAlchemyAsyncRepositoryService[Item]):
    """Every rule about items, for one caller."""

    class Repository(SQLAlchemyAsyncRepository[Item]):
        model_type = Item

    class AttachmentRepository(SQLAlchemyAsyncRepository[Attachment]):
        model_type = Attachment

    repository_type = Repository

    def __init__(
        self, session: AsyncSession, *, user: User, upload_dir: Path, **repo_kwargs: Any
    ) -> None:
        super().__init__(session=session, **repo_kwargs)
        self.user = user
        self.upload_dir = upload_dir
        self.attachments = self.AttachmentRepository(session=session)

    # --- queries ------------------------------------------------------------------------

    def visible(self) -> Select[Item]:
        """The caller's items; staff see every item."""
        statement = select(Item)
        if self.user.is_staff:
            return statement
        return statement.where(Item.owner_id == self.user.id)

    async def list_items(self, filters: ItemFilters, page: LimitOffset) -> tuple[list[Item], int]:
        """One page of visible items and the total; ``owner`` is staff-only unless it is you."""
        if not may_filter_by_owner(self.user, filters.owner):
            raise PermissionDeniedError("Only staff may list another user's items.")
        conditions: list[ColumnElement[bool]] = []
        if filters.q is not None:
            conditions.append(Item.name.icontains(filters.q, autoescape=True))
        if filters.min_price is not None:
            conditions.append(Item.price >= filters.min_price)
        if filters.max_price is not None:
            conditions.append(Item.price <= filters.max_price)
        if filters.owner is not None:
            conditions.append(Item.owner_id == filters.owner)
        field = filters.ordering.lstrip("-")
        direction: Literal["asc", "desc"] = "desc" if filters.ordering.startswith("-") else "asc"
        items, total = await self.repository.get_many_and_count(
            OrderBy(field_name=field, sort_order=direction),
            OrderBy(field_name="id", sort_order="asc"),
            LimitOffsetFilter(limit=page.limit, offset=page.offset),
            *conditions,
            statement=self.visible(),
            # Two queries: the window-function count has no row to ride on past the last
            # page, so ``offset`` beyond the end would report ``total: 0``.
            count_with_window_function=False,
        )
        return list(items), total

    async def get_item(self, item_id: UUID) -> Item:
        """A visible item; someone else's item is "not found" (no existence leak)."""
        item = await self.repository.get_one_or_none(
            statement=self.visible().where(Item.id == item_id)
        )
        if item is None:
            raise NotFoundError()
        return item

    async def export(self, chunk_size: int = EXPORT_CHUNK_SIZE) -> AsyncIterator[Item]:
        """Every visible item by (created_at, id), read from the database in chunks."""
        # Keyset pagination, a session per chunk: the stream outlives the request's session,
        # and one its client abandons is closed only when garbage-collected.
        bind = self.repository.session.bind
        after: tuple[Any, UUID] | None = None
        while True:
            statement = self.visible().order_by(Item.created_at, Item.id).limit(chunk_size)
            if after is not None:
                statement = statement.where(tuple_(Item.created_at, Item.id) > after)
            async with AsyncSession(bind, expire_on_commit=False) as session:
                chunk = list((await session.scalars(statement)).all())
            for item in chunk:
                yield item
            if len(chunk) < chunk_size:
                return
            after = (chunk[-1].created_at, chunk[-1].id)

    # --- commands -----------------------------------------------------------------------

    async def create_item(self, fields: ItemFields) -> Item:
        """A new item owned by the caller (an ``IntegrityError`` surfaces as 409).

        No refresh after the INSERT (``auto_refresh=False``): every column has a Python-side
        default, so the flushed object is complete, and the refresh's SELECT was a round trip
        of its own on every create.
        """
        return await self.create({"owner_id": self.user.id, **fields}, auto_refresh=False)

    async def update_item(self, item_id: UUID, changes: ItemFields | ItemChanges) -> Item:
        """Set the given fields: all of them (``ItemFields``, PUT) or some (PATCH)."""
        item = await self.get_item(item_id)
        for field, value in changes.items():
            setattr(item, field, value)
        return await self.repository.update(item)

    async def delete_item(self, item_id: UUID) -> None:
        item = await self.get_item(item_id)
        await self.repository.delete(item.id)

    # --- attachments --------------------------------------------------------------------

    async def list_attachments(self, item_id: UUID) -> list[Attachment]:
        item = await self.get_item(item_id)
        return list(
            await self.attachments.get_many(
                Attachment.item_id == item.id,
                OrderBy(field_name="created_at", sort_order="asc"),
                OrderBy(field_name="id", sort_order="asc"),
            )
        )

    async def add_attachments(self, item_id: UUID, files: list[UploadedFile]) -> list[Attachment]:
        """Store every file under a generated name; all or nothing (sizes are checked first)."""
        item = await self.get_item(item_id)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        try:
            attachments = []
            for upload in files:
                storage_name = uuid.uuid4().hex
                path = self.upload_dir / storage_name
                content = await upload.read()
                written.append(path)
                path.write_bytes(content)
                attachments.append(
                    await self.attachments.add(
                        Attachment(
                            item_id=item.id,
                            filename=sanitize_filename(upload.filename),
                            content_type=(upload.content_type or "application/octet-stream")[:100],
                            size=len(content),
                            storage_name=storage_name,
                        )
                    )
                )
        except Exception:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return attachments

    async def open_attachment(self, item_id: UUID, attachment_id: UUID) -> tuple[Attachment, Path]:
        """An attachment of a visible item and the path of its stored content."""
        item = await self.get_item(item_id)
        attachment = await self.attachments.get_one_or_none(
            Attachment.id == attachment_id, Attachment.item_id == item.id
        )
        if attachment is None:
            raise NotFoundError()
        path = self.upload_dir / attachment.storage_name
        if not path.is_file():
            raise NotFoundError()
        return attachment, path
