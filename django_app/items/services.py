"""Item business rules; the HTTP layer never touches the ORM directly.

``ItemService`` is a plain class over the ORM,
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
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol, TypedDict
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from common.errors import NotFoundError, PermissionDeniedError
from common.pagination import LimitOffset
from items.models import Attachment, Item
from items.permissions import may_filter_by_owner

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
    """What the service needs from an uploaded file (Django's ``UploadedFile`` fits)."""

    name: str | None
    size: int | None
    content_type: str | None

    def chunks(self) -> Iterable[bytes]: ...


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


class ItemService:
    """Every rule about items, for one caller."""

    def __init__(self, user: Any) -> None:
        self.user = user

    # --- queries ------------------------------------------------------------------------

    def visible(self) -> QuerySet[Item]:
        """The caller's items; staff see every item."""
        return Item.objects.visible_to(self.user)

    def list_items(self, filters: ItemFilters, page: LimitOffset) -> tuple[list[Item], int]:
        """One page of visible items and the total; ``owner`` is staff-only unless it is you."""
        if not may_filter_by_owner(self.user, filters.owner):
            raise PermissionDeniedError("Only staff may list another user's items.")
        queryset = self.visible()
        if filters.q is not None:
            queryset = queryset.filter(name__icontains=filters.q)
        if filters.min_price is not None:
            queryset = queryset.filter(price__gte=filters.min_price)
        if filters.max_price is not None:
            queryset = queryset.filter(price__lte=filters.max_price)
        if filters.owner is not None:
            queryset = queryset.filter(owner_id=filters.owner)
        total = queryset.count()
        rows = queryset.order_by(filters.ordering, "id")[page.offset : page.offset + page.limit]
        return list(rows), total

    def get_item(self, item_id: UUID) -> Item:
        """A visible item; someone else's item is "not found" (no existence leak)."""
        try:
            return self.visible().get(pk=item_id)
        except Item.DoesNotExist:
            raise NotFoundError() from None

    def export(self, chunk_size: int = EXPORT_CHUNK_SIZE) -> AsyncIterator[Item]:
        """Every visible item by (created_at, id), read from the database in chunks."""
        # aiterator(): under ASGI Django streams only async iterators; a sync one is read
        # into a list before the first byte is sent.
        return self.visible().order_by("created_at", "id").aiterator(chunk_size=chunk_size)

    # --- commands -----------------------------------------------------------------------

    def create_item(self, fields: ItemFields) -> Item:
        """A new item owned by the caller (an ``IntegrityError`` surfaces as 409)."""
        return Item.objects.create(owner_id=self.user.id, **fields)

    def update_item(self, item_id: UUID, changes: ItemFields | ItemChanges) -> Item:
        """Set the given fields: all of them (``ItemFields``, PUT) or some (PATCH)."""
        item = self.get_item(item_id)
        for field, value in changes.items():
            setattr(item, field, value)
        item.save()
        return item

    def delete_item(self, item_id: UUID) -> None:
        self.get_item(item_id).delete()

    # --- attachments --------------------------------------------------------------------

    def list_attachments(self, item_id: UUID) -> list[Attachment]:
        item = self.get_item(item_id)
        return list(item.attachments.order_by("created_at", "id"))

    def add_attachments(self, item_id: UUID, files: list[UploadedFile]) -> list[Attachment]:
        """Store every file under a generated name; all or nothing (sizes are checked first)."""
        item = self.get_item(item_id)
        upload_dir = Path(settings.UPLOAD_DIR)
        upload_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        try:
            with transaction.atomic():
                attachments = []
                for upload in files:
                    storage_name = uuid.uuid4().hex
                    path = upload_dir / storage_name
                    size = 0
                    with path.open("wb") as out:
                        written.append(path)
                        for chunk in upload.chunks():
                            size += len(chunk)
                            out.write(chunk)
                    attachments.append(
                        Attachment.objects.create(
                            item=item,
                            filename=sanitize_filename(upload.name),
                            content_type=(upload.content_type or "application/octet-stream")[:100],
                            size=size,
                            storage_name=storage_name,
                        )
                    )
        except Exception:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return attachments

    def open_attachment(self, item_id: UUID, attachment_id: UUID) -> tuple[Attachment, IO[bytes]]:
        """An attachment of a visible item and its stored content, opened for reading."""
        item = self.get_item(item_id)
        try:
            attachment = item.attachments.get(pk=attachment_id)
        except Attachment.DoesNotExist:
            raise NotFoundError() from None
        path = Path(settings.UPLOAD_DIR) / attachment.storage_name
        try:
            return attachment, path.open("rb")
        except FileNotFoundError:
            raise NotFoundError() from None
