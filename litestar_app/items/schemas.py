"""Wire shapes: item read/create/update/patch, page, attachment.

msgspec structs: strict JSON types by default (``0`` is not a string, a JSON number is not a
price), unknown and read-only input fields are ignored (structs drop unknown keys), and
``UNSET`` tells an absent PATCH key from an explicit ``null``. Prices are decimal *strings*
rendered with exactly two places; NUL characters are refused by a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal
from uuid import UUID

import msgspec
from litestar.datastructures import UploadFile
from litestar.exceptions import ValidationException
from litestar.params import KwargDefinition
from msgspec import UNSET, Meta, UnsetType

from items.services import ItemChanges, ItemFields

if TYPE_CHECKING:
    from items.models import Attachment, Item

# ASCII digits only (``\d`` would admit other scripts' digits); a minus only on zero.
PRICE_PATTERN = r"^(?:[0-9]{1,8}(?:\.[0-9]{1,2})?|-0{1,8}(?:\.0{1,2})?)$"
ORDERINGS = ("name", "-name", "price", "-price", "created_at", "-created_at")
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
BLOCKING_MS_MAX = 2000
_NO_NUL = r"^[^\x00]*$"

Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX_LENGTH, pattern=_NO_NUL)]
Description = Annotated[str, Meta(max_length=DESCRIPTION_MAX_LENGTH, pattern=_NO_NUL)]
Price = Annotated[
    str,
    Meta(
        pattern=PRICE_PATTERN,
        examples=["12.50"],
        description="A decimal string, >= 0, at most 2 decimal places.",
        extra_json_schema={"format": "decimal"},
    ),
]
Ordering = Literal["name", "-name", "price", "-price", "created_at", "-created_at"]


def body_error(key: str, message: str) -> ValidationException:
    """400 with pointer ``/body/<key>`` (DRF's ``ValidationError({key: [message]})``)."""
    return ValidationException(
        detail="Validation failed.", extra=[{"key": key, "source": "body", "message": message}]
    )


def parse_price(raw: str, field: str = "price") -> Decimal:
    """A validated price string as ``Decimal``; negative -> 400 ``/body/<field>``."""
    value = Decimal(raw).quantize(Decimal("0.01"))  # always two places, also before a refresh
    if value < 0:
        raise body_error(field, "Ensure this value is greater than or equal to 0.")
    # "-0", "-0.001": Decimal keeps the sign of a zero ("-0.00"); a price has none.
    return value.copy_abs()


def format_price(value: Decimal) -> str:
    return f"{value:.2f}"


class ItemRead(msgspec.Struct, kw_only=True):
    """Item: every field always present (``description`` is ``null`` when empty)."""

    id: UUID
    name: str
    description: str | None
    price: Annotated[str, Meta(pattern=PRICE_PATTERN, examples=["12.50"])]
    owner: UUID
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, item: Item) -> ItemRead:
        return cls(
            id=item.id,
            name=item.name,
            description=item.description,
            price=format_price(item.price),
            owner=item.owner_id,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )


class ItemCreate(msgspec.Struct, kw_only=True):
    """ItemCreate: ``description`` is optional on POST (default ``null``)."""

    name: Name
    description: Description | None = None
    price: Price

    def to_values(self) -> ItemFields:
        return ItemFields(
            name=self.name, description=self.description, price=parse_price(self.price)
        )


class ItemUpdate(ItemCreate, kw_only=True):
    """ItemUpdate (PUT, full): every key required, ``description`` may be ``null``."""

    description: Description | None


class ItemPatch(msgspec.Struct, kw_only=True):
    """ItemPatch: absent keys stay unchanged; ``null`` only where allowed (``description``)."""

    name: Name | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    price: Price | UnsetType = UNSET

    def to_values(self) -> ItemChanges:
        changes = ItemChanges()
        if not isinstance(self.name, UnsetType):
            changes["name"] = self.name
        if not isinstance(self.description, UnsetType):
            changes["description"] = self.description
        if not isinstance(self.price, UnsetType):
            changes["price"] = parse_price(self.price)
        return changes


class ItemPage(msgspec.Struct, kw_only=True):
    """ItemPage: one page of items plus the total and the paging that produced it."""

    items: list[ItemRead]
    total: int
    limit: int
    offset: int


class AttachmentRead(msgspec.Struct, kw_only=True):
    """Attachment: metadata plus the absolute URL of its download."""

    id: UUID
    filename: str
    content_type: str
    size: int
    created_at: datetime
    url: str

    @classmethod
    def from_model(cls, attachment: Attachment, url: str) -> AttachmentRead:
        return cls(
            id=attachment.id,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            created_at=attachment.created_at,
            url=url,
        )


class AttachmentList(msgspec.Struct, kw_only=True):
    """``{"items": [Attachment...]}``."""

    items: list[AttachmentRead]


@dataclass
class AttachmentUpload:
    """The multipart upload: field ``files``, one or more files.

    Optional here so that the handler answers "no file" with the contract's pointer
    (``/body/files``); OpenAPI still documents it as required with at least one item.
    """

    files: Annotated[list[UploadFile], KwargDefinition(schema_extra={"min_items": 1})] = field(
        default_factory=list
    )


class BlockingResult(msgspec.Struct, kw_only=True):
    """The blocking call's answer."""

    slept_ms: int
