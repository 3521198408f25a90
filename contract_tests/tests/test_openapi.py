"""OpenAPI: each server's generated schema against the contract (openapi.yaml), docs UIs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.problem import contract, json_body, media_type

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_PATH = "/api/schema/openapi.json"


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, method) -> operation object."""
    ops: dict[tuple[str, str], dict[str, Any]] = {}
    for path, item in (doc.get("paths") or {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict):
                ops[(path, method)] = op
    return ops


@pytest.fixture
def server_schema(client: httpx.Client) -> dict[str, Any]:
    resp = client.get(SCHEMA_PATH)
    assert resp.status_code == 200, resp.text[:300]
    body = json_body(resp)
    assert isinstance(body, dict)
    return body


@pytest.mark.concept("openapi")
def test_schema_is_openapi_31_json(client: httpx.Client) -> None:
    resp = client.get(SCHEMA_PATH)
    assert resp.status_code == 200
    assert media_type(resp).endswith("json"), resp.headers.get("content-type")
    doc = json_body(resp)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == contract()["info"]["title"] == "Items API"
    assert doc["info"]["version"] == contract()["info"]["version"] == "1.0.0"


@pytest.mark.concept("openapi")
@pytest.mark.parametrize("ui", ["swagger", "redoc"])
def test_docs_ui_is_html(client: httpx.Client, ui: str) -> None:
    resp = client.get(f"/api/schema/{ui}")
    assert resp.status_code == 200
    assert media_type(resp) == "text/html"
    assert "<html" in resp.text.lower()
    assert ui in resp.text.lower()


@pytest.mark.concept("openapi", "routers")
def test_every_contract_operation_is_served(server_schema: dict[str, Any]) -> None:
    served = operations(server_schema)
    missing: list[str] = []
    mismatched: list[str] = []
    for (path, method), op in operations(contract()).items():
        got = served.get((path, method))
        if got is None:
            missing.append(f"{method.upper()} {path}")
            continue
        for key in ("operationId", "summary", "tags"):
            if got.get(key) != op.get(key):
                mismatched.append(f"{method.upper()} {path} {key}: {got.get(key)!r} != {op[key]!r}")
    assert not missing, f"operations missing from the server schema: {missing}"
    assert not mismatched, "\n".join(mismatched)


@pytest.mark.concept("openapi")
def test_server_schema_has_no_internal_routes(server_schema: dict[str, Any]) -> None:
    internal = [
        p for p in server_schema.get("paths", {}) if p.startswith(("/_test", "/api/schema"))
    ]
    assert not internal, f"internal routes leaked into the schema: {internal}"


@pytest.mark.concept("openapi")
def test_server_paths_have_no_trailing_slash(server_schema: dict[str, Any]) -> None:
    slashed = [p for p in server_schema.get("paths", {}) if p != "/" and p.endswith("/")]
    assert not slashed, f"canonical paths must not end in '/': {slashed}"


@pytest.mark.concept("openapi")
def test_operation_ids_are_unique_and_documented(server_schema: dict[str, Any]) -> None:
    ids = [op.get("operationId") for op in operations(server_schema).values()]
    assert None not in ids, "every operation needs an explicit operationId"
    assert len(ids) == len(set(ids)), f"duplicate operationIds: {ids}"
    contract_ids = {op["operationId"] for op in operations(contract()).values()}
    extra = sorted(str(i) for i in set(ids) - contract_ids)
    assert not extra, f"operations served but not in the contract: {extra}"
