"""The suite builds its HTTP clients through ``harness.http`` (one shared TLS context).

A direct ``httpx.Client(...)`` costs ~45 ms of CPU for a new TLS context each time; with a
client per test that was most of ``make parity``'s test-process time.
"""

from __future__ import annotations

import ast

from harness.http import AsyncClient, Client, tls_context
from harness.paths import CONTRACT_DIR

DIRECT = frozenset({"Client", "AsyncClient"})
EXEMPT = {CONTRACT_DIR / "harness" / "http.py"}


def direct_clients(source: str) -> list[int]:
    """Lines that call ``httpx.Client(...)`` / ``httpx.AsyncClient(...)``."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in DIRECT
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "httpx"
    ]


def test_the_check_finds_a_direct_client() -> None:
    source = "import httpx\nwith httpx.Client(base_url='x') as c:\n    pass\n"
    assert direct_clients(source) == [2]
    assert direct_clients("from harness.http import Client\nClient(base_url='x')\n") == []


def test_no_direct_httpx_clients() -> None:
    found = []
    for path in sorted(CONTRACT_DIR.rglob("*.py")):
        if ".venv" in path.parts or path in EXEMPT:
            continue
        lines = direct_clients(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(CONTRACT_DIR)}:{n}" for n in lines]
    assert not found, f"use harness.http.Client / AsyncClient: {found}"


def test_clients_share_one_context() -> None:
    with Client() as one, Client() as two:
        pools = [c._transport._pool for c in (one, two)]  # type: ignore[attr-defined]
        assert pools[0]._ssl_context is pools[1]._ssl_context is tls_context()
    assert AsyncClient()._transport._pool._ssl_context is tls_context()  # type: ignore[attr-defined]
