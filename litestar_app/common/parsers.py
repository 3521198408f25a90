"""Parsers: request bodies decoded and limited the way the contract pins.

Litestar decodes a JSON body with msgspec and turns a ``msgspec.DecodeError`` into a 400;
a body nested deeper than msgspec's recursion limit, or one that is not UTF-8, escapes as a
``RecursionError`` / ``UnicodeDecodeError`` and would be a 500. The app's ``request_class``
re-raises both as the ``SerializationException`` Litestar expects, so they end up as the
same 400 problem (pointer ``/body``) as any other malformed body.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException


class ContractRequest(Request[Any, Any, Any]):
    """``Request`` whose ``json()`` reports every undecodable body as a serialization error."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except (RecursionError, UnicodeDecodeError) as exc:
            raise SerializationException("The request body could not be parsed.") from exc
