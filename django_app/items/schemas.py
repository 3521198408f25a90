"""Wire shapes: item read/create/update/patch, page, attachment.

DRF serializers, made strict for the contract: strings must be JSON strings (DRF's
``CharField`` would turn ``0`` into ``"0"``), prices are decimal *strings* (JSON numbers are
rejected) rendered with exactly two places, NUL characters are refused (DRF's
``CharField`` adds ``ProhibitNullCharactersValidator``), strings are not trimmed. Unknown
and read-only input fields are simply not declared, so they are ignored.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.pagination import LimitOffsetSerializer
from compat.validation import (
    CanonicalUUIDField,
    FullMatchRegexValidator,
    StrictCharField,
    StrictIntegerField,
)
from items.models import Attachment, Item

# ASCII digits only (``\d`` would admit other scripts' digits); a minus only on zero.
PRICE_PATTERN = r"^(?:[0-9]{1,8}(?:\.[0-9]{1,2})?|-0{1,8}(?:\.0{1,2})?)$"
ORDERINGS = ("name", "-name", "price", "-price", "created_at", "-created_at")
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
BLOCKING_MS_MAX = 2000


@extend_schema_field(
    {"type": "string", "pattern": PRICE_PATTERN, "examples": ["12.50"], "format": "decimal"}
)
class PriceField(serializers.Field):
    """A price: a decimal string on the wire (``"12.50"``), ``Decimal`` inside, never < 0."""

    default_error_messages = {  # noqa: RUF012 (DRF's own convention)
        "invalid": 'Enter a decimal string such as "12.50".',
        "negative": "Ensure this value is greater than or equal to 0.",
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str) or not re.fullmatch(PRICE_PATTERN, data):
            self.fail("invalid")
        value = Decimal(data)
        if value < 0:
            self.fail("negative")
        # "-0.00" is zero: stored and echoed without a sign (as Litestar's msgspec path does);
        # found by the differential check.
        return value.copy_abs()

    def to_representation(self, value: Decimal) -> str:
        return f"{Decimal(value):.2f}"


class ItemSerializer(serializers.ModelSerializer):
    """Item: every field always present (``description`` is ``null`` when empty)."""

    price = PriceField()
    owner = serializers.UUIDField(source="owner_id", read_only=True)

    class Meta:
        model = Item
        fields = ("id", "name", "description", "price", "owner", "created_at", "updated_at")
        read_only_fields = fields


class ItemCreateSerializer(serializers.Serializer):
    """ItemCreate: ``description`` is optional on POST (default ``null``)."""

    name = StrictCharField(min_length=1, max_length=NAME_MAX_LENGTH, trim_whitespace=False)
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        default=None,
    )
    price = PriceField()


class ItemUpdateSerializer(ItemCreateSerializer):
    """ItemUpdate (PUT, full): every key required, ``description`` may be ``null``.

    With ``partial=True`` it is ItemPatch: absent keys stay unchanged and ``null`` is only
    accepted where the field allows it (``description``).
    """

    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
    )


class ItemPatchSerializer(ItemUpdateSerializer):
    """ItemPatch: absent keys stay unchanged; ``null`` only where allowed (``description``).

    The request schema of PATCH: ``ItemUpdateSerializer(partial=True)`` validates it, but
    with ``COMPONENT_SPLIT_PATCH`` off drf-spectacular documents a partial serializer with the
    required list of the full one.
    """

    name = StrictCharField(
        min_length=1, max_length=NAME_MAX_LENGTH, trim_whitespace=False, required=False
    )
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
    )
    price = PriceField(required=False)


class ItemPageSerializer(serializers.Serializer):
    """ItemPage: one page of items plus the total and the paging that produced it."""

    items = ItemSerializer(many=True)
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class ItemQuerySerializer(LimitOffsetSerializer):
    """The list's query string: paging, filters and ordering (errors -> ``/query/<name>``)."""

    q = serializers.CharField(min_length=1, max_length=100, trim_whitespace=False, required=False)
    # Matched whole and untrimmed (RegexField would strip spaces and let "$" pass a "\n").
    min_price = StrictCharField(validators=[FullMatchRegexValidator(PRICE_PATTERN)], required=False)
    max_price = StrictCharField(validators=[FullMatchRegexValidator(PRICE_PATTERN)], required=False)
    owner = CanonicalUUIDField(required=False)
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="created_at")


class AttachmentSerializer(serializers.ModelSerializer):
    """Attachment: metadata plus the absolute URL of its download."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ("id", "filename", "content_type", "size", "created_at", "url")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        path = reverse(
            "attachments-detail",
            kwargs={"item_id": attachment.item_id, "attachment_id": attachment.id},
        )
        return str(self.context["request"].build_absolute_uri(path))


class AttachmentListSerializer(serializers.Serializer):
    """``{"items": [Attachment...]}``."""

    items = AttachmentSerializer(many=True)


class AttachmentUploadSerializer(serializers.Serializer):
    """The multipart upload: field ``files``, one or more files (documentation only)."""

    files = serializers.ListField(child=serializers.FileField(), min_length=1)


class BlockingQuerySerializer(serializers.Serializer):
    ms = StrictIntegerField(min_value=1, max_value=BLOCKING_MS_MAX)


class BlockingResultSerializer(serializers.Serializer):
    slept_ms = serializers.IntegerField()
