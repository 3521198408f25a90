"""Strict limit/offset pagination: {items, total, limit, offset}, bounds -> 400.

DRF's ``LimitOffsetPagination`` silently clamps or ignores bad values; the contract wants
``limit`` 1..100 and ``offset`` >= 0 with anything else a 400 pointing at ``/query/<name>``.
So paging is a small serializer for the query string plus a body builder.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework import serializers

from compat.validation import StrictIntegerField

MAX_LIMIT = 100
# The largest OFFSET both SQLite and PostgreSQL accept (a signed 64-bit integer); larger
# values would fail in the database driver instead of answering 400.
MAX_OFFSET = 2**63 - 1


@dataclass(frozen=True, slots=True)
class LimitOffset:
    """Validated paging parameters."""

    limit: int
    offset: int


class LimitOffsetSerializer(serializers.Serializer):
    """``?limit=&offset=``; subclass it to add a list's filters (one error list for all)."""

    limit = StrictIntegerField(min_value=1, max_value=MAX_LIMIT, required=False)
    offset = StrictIntegerField(min_value=0, max_value=MAX_OFFSET, required=False, default=0)

    def limit_offset(self, default_limit: int | None = None) -> LimitOffset:
        """The validated paging parameters; ``limit`` falls back to ``PAGE_SIZE_DEFAULT``."""
        data = self.validated_data
        limit = data.get("limit") or default_limit or settings.PAGE_SIZE_DEFAULT
        return LimitOffset(limit=limit, offset=data.get("offset", 0))


def page_body(items: Any, total: int, page: LimitOffset) -> dict[str, Any]:
    """The page envelope every list returns."""
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
