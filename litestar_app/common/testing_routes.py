"""Test-only routes (a forced 500); mounted only when ENABLE_TEST_ROUTES is on.

They exist for the contract suite (proving a 500 never leaks exception text) and are
hidden from the OpenAPI schema. ``config.urls`` leaves them out unless the flag is set.
"""

from __future__ import annotations

from litestar import HttpMethod, Router, route


# Contract: HEAD on every GET; Litestar answers 405 to HEAD unless a handler declares it.
@route("/error", http_method=[HttpMethod.GET, HttpMethod.HEAD], operation_id="test_error")
async def force_error() -> None:
    """Raise an unhandled error to exercise the catch-all 500 handler."""
    raise RuntimeError("boom: this text must never reach a client")


test_router = Router(
    path="/_test",
    route_handlers=[force_error],
    include_in_schema=False,
    opt={"exclude_from_auth": True},  # no credentials read (Django: authentication_classes=())
)
