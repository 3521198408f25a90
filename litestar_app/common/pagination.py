"""Strict limit/offset pagination: {items, total, limit, offset}, bounds -> 400.

advanced-alchemy's built-in pagination uses ``currentPage`` / ``pageSize``; the contract
wants ``limit`` 1..100 and ``offset`` >= 0 with anything else a 400 pointing at
``/query/<name>``. Litestar validates the bounds declared on the query parameters of
:func:`provide_limit_offset` (a dependency, so they appear in every list's OpenAPI), and the
default ``limit`` comes from the ``page_size`` dependency of a higher layer.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter

MAX_LIMIT = 100
# The largest OFFSET both SQLite and PostgreSQL accept (a signed 64-bit integer); larger
# values would fail in the database driver instead of answering 400.
MAX_OFFSET = 2**63 - 1


class LimitOffset(msgspec.Struct, frozen=True):
    """Validated paging parameters (a Struct: Litestar passes it through its signature model)."""

    limit: int
    offset: int


async def provide_limit_offset(
    page_size: NamedDependency[int],
    limit: Annotated[
        int | None,
        QueryParameter(ge=1, le=MAX_LIMIT, description="Page size (default PAGE_SIZE_DEFAULT)."),
    ] = None,
    offset: Annotated[
        int,
        QueryParameter(
            ge=0,
            le=MAX_OFFSET,
            description="Items to skip.",
            # Litestar writes bounds as floats (9.223372036854776e18, which is 2**63): a client
            # trusting that would send offsets this server refuses. The exact integer instead.
            schema_extra={"maximum": MAX_OFFSET},
        ),
    ] = 0,
) -> LimitOffset:
    """The validated paging parameters; ``limit`` falls back to the ``page_size`` dependency."""
    return LimitOffset(limit=limit or page_size, offset=offset)


async def provide_page_size(state: State) -> int:
    """Default ``limit`` of the lists (``PAGE_SIZE_DEFAULT``); a lower layer may override it."""
    page_size: int = state.settings.page_size_default
    return page_size
