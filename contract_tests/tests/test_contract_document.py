"""The contract document itself: valid OpenAPI 3.1, errors and auth documented everywhere.

No server needed: these guard openapi.yaml against drifting from the decisions in CONTRACT.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis.specs.openapi import definitions

from harness.problem import contract

METHODS = ("get", "put", "post", "delete", "patch")


def contract_operations() -> list[tuple[str, str, dict[str, Any]]]:
    ops: list[tuple[str, str, dict[str, Any]]] = []
    for path, item in contract()["paths"].items():
        for method in METHODS:
            if method in item:
                ops.append((path, method, item[method]))
    return ops


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    cur: Any = contract()
    for part in ref.removeprefix("#/").split("/"):
        cur = cur[part]
    assert isinstance(cur, dict)
    return cur


@pytest.mark.concept("openapi")
def test_contract_is_valid_openapi_31() -> None:
    doc = contract()
    assert doc["openapi"] == "3.1.0"
    errors = [str(e) for e in definitions.OPENAPI_31_VALIDATOR.iter_errors(doc)]
    assert not errors, errors[:5]


@pytest.mark.concept("openapi", "exceptions")
def test_every_error_response_is_problem_json() -> None:
    bad: list[str] = []
    for path, method, op in contract_operations():
        for code, response in op["responses"].items():
            if int(code) >= 400:
                content = resolve(response).get("content", {})
                if list(content) != ["application/problem+json"]:
                    bad.append(f"{method.upper()} {path} {code}: {list(content)}")
    assert not bad, bad


@pytest.mark.concept("openapi", "authentication")
def test_protected_operations_document_401_with_challenge() -> None:
    missing: list[str] = []
    for path, method, op in contract_operations():
        schemes = {name for req in op.get("security", [{}]) for name in req}
        if "bearerAuth" not in schemes:
            continue
        unauthorized = op["responses"].get("401")
        if unauthorized is None or "WWW-Authenticate" not in resolve(unauthorized).get(
            "headers", {}
        ):
            missing.append(f"{method.upper()} {path}")
    assert not missing, f"bearer operations without a documented 401 challenge: {missing}"


@pytest.mark.concept("openapi", "json-body")
def test_json_bodies_document_400_413_415() -> None:
    missing: list[str] = []
    for path, method, op in contract_operations():
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            for code in ("400", "413", "415"):
                if code not in op["responses"]:
                    missing.append(f"{method.upper()} {path} {code}")
    assert not missing, missing


@pytest.mark.concept("openapi", "url-reverse")
def test_create_operations_link_to_their_resource() -> None:
    creates = {"users_create": "users_retrieve", "items_create": "items_retrieve"}
    for path, method, op in contract_operations():
        target = creates.get(op["operationId"])
        if target is None:
            continue
        links = op["responses"]["201"].get("links", {})
        assert target in {link["operationId"] for link in links.values()}, f"{method} {path}"
        assert "Location" in op["responses"]["201"]["headers"]


@pytest.mark.concept("openapi", "rate-limiting")
def test_token_429_documents_retry_after() -> None:
    op = contract()["paths"]["/api/v1/auth/token"]["post"]
    assert "Retry-After" in resolve(op["responses"]["429"])["headers"]
