"""The suite's HTTP clients: ``httpx`` clients that share one TLS context.

``httpx.Client()`` builds a new ``ssl.SSLContext`` each time and loads the CA bundle into it
(~45 ms of CPU), even for the plain-HTTP servers this suite talks to. With a client per test
and per thread, that was 70 % of the test processes' CPU time in ``make parity`` (py-spy).
Every client here shares one context, built on first use: use :class:`Client` and
:class:`AsyncClient` instead of the ``httpx`` classes (``selftest/test_http_clients.py``
fails on a direct ``httpx.Client(...)`` call).
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The default verifying context, built once per process."""
    return ssl.create_default_context()


class Client(httpx.Client):
    """``httpx.Client`` with the shared TLS context (unless ``verify`` is given)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verify", tls_context())
        super().__init__(*args, **kwargs)


class AsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` with the shared TLS context (unless ``verify`` is given)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verify", tls_context())
        super().__init__(*args, **kwargs)
