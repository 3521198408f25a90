"""Parsers: request bodies decoded and limited the way the contract pins.

Litestar decodes a JSON body with msgspec and turns a ``msgspec.DecodeError`` into a 400;
a body nested deeper than msgspec's recursion limit, or one that is not UTF-8, escapes as a
``RecursionError`` / ``UnicodeDecodeError`` and would be a 500. The app's ``request_class``
re-raises both as the ``SerializationException`` Litestar expects, so they end up as the
same 400 problem (pointer ``/body``) as any other malformed body.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.exceptions import SerializationException, ValidationException

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

_PART_NAME = re.compile(rb'name="([^"]*)"')


class ContractRequest(Request[Any, Any, Any]):
    """``Request`` whose ``json()`` reports every undecodable body as a serialization error."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except (RecursionError, UnicodeDecodeError) as exc:
            raise SerializationException("The request body could not be parsed.") from exc

    async def form(self) -> FormMultiDict:
        """Multipart/urlencoded form; a text part that is not UTF-8 is a 400, not a 500.

        Django decodes such a part with U+FFFD replacement characters; the contract refuses
        both (decision 6 of issue 12: no 5xx), pointing at the part: ``/body/<name>``.
        """
        body = await self.body()  # cached: the parser below reads it, the scan may too
        try:
            form = await super().form()
        except UnicodeDecodeError:
            names = _undecodable_parts(body)
        else:
            multipart = self.headers.get("content-type", "").startswith("multipart/")
            names = sorted(
                {k for k, v in form.multi_items() if isinstance(v, str) and "\ufffd" in v}
                if multipart
                else set()
            )
        if names:
            raise ValidationException(
                "Text parts must be UTF-8.",
                extra=[
                    {"key": name, "source": "body", "message": "Text parts must be UTF-8."}
                    for name in names
                ],
            )
        return form


def _undecodable_parts(body: bytes) -> list[str]:
    """Names of the multipart parts without a filename whose bytes are not UTF-8."""
    names: set[str] = set()
    for part in body.split(b"\r\n--"):
        head, _, payload = part.partition(b"\r\n\r\n")
        match = _PART_NAME.search(head)
        if match is None or b"filename" in head:
            continue
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            names.add(match.group(1).decode("utf-8", "replace"))
    return sorted(names)


async def decode_multipart_strictly(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: parse a multipart body through :meth:`ContractRequest.form` first.

    Litestar's ``MultipartBody`` extractor parses the stream itself (a non-UTF-8 text part
    raises ``UnicodeDecodeError``: a 500) unless the form is already in the scope state.
    """
    if isinstance(connection, ContractRequest) and connection.content_type[0].startswith(
        "multipart/"
    ):
        await connection.form()
