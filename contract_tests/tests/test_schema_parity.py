"""Schema parity: each server's generated OpenAPI document equals openapi.yaml after normalisation.

Every operation present on either side is compared (a feature that lands later is covered the
moment it appears in the contract or in a server). The normal form and its rules are in
harness/schema_diff.py; a mismatch prints one unified diff per operation.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from harness.problem import contract, json_body
from harness.schema_diff import diff_documents, normalise

SCHEMA_PATH = "/api/schema/openapi.json"


@pytest.mark.concept("schema-parity", "openapi")
def test_served_schema_matches_contract(client: httpx.Client, framework: str) -> None:
    resp = client.get(SCHEMA_PATH)
    assert resp.status_code == 200, resp.text[:300]
    served = json_body(resp)
    assert isinstance(served, dict)
    problems = diff_documents(contract(), served, framework)
    assert not problems, (
        f"{framework}'s schema differs from openapi.yaml in {len(problems)} operation(s) "
        "(- contract, + served):\n\n" + "\n\n".join(problems)
    )


@pytest.mark.concept("schema-parity")
def test_normal_form_covers_every_contract_operation() -> None:
    """The normal form drops no operation of the contract and keeps what is compared."""
    doc = contract()
    ops = normalise(doc)
    listed = {
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    assert set(ops) == listed
    assert all(op["operationId"] and op["responses"] for op in ops.values())


def _mutations() -> list[tuple[str, Any]]:
    def rename_operation(doc: dict[str, Any]) -> None:
        doc["paths"]["/api/v1/items"]["post"]["operationId"] = "items_add"

    def drop_response(doc: dict[str, Any]) -> None:
        del doc["paths"]["/api/v1/items/{item_id}"]["get"]["responses"]["404"]

    def loosen_query_bound(doc: dict[str, Any]) -> None:
        for param in doc["paths"]["/api/v1/items"]["get"]["parameters"]:
            if param.get("name") == "limit":
                param["schema"]["maximum"] = 1000

    def relax_body_pattern(doc: dict[str, Any]) -> None:
        del doc["components"]["schemas"]["ItemName"]["pattern"]

    def drop_response_field(doc: dict[str, Any]) -> None:
        del doc["components"]["schemas"]["Item"]["properties"]["owner"]

    def extra_operation(doc: dict[str, Any]) -> None:
        doc["paths"]["/api/v1/extra"] = {
            "get": {"operationId": "extra", "responses": {"200": {"description": "ok"}}}
        }

    def drop_csrf_requirement(doc: dict[str, Any]) -> None:
        doc["paths"]["/api/v1/items"]["post"]["security"] = [
            {"bearerAuth": []},
            {"sessionCookie": []},
        ]

    def rename_cookie_scheme(doc: dict[str, Any]) -> None:
        doc["components"]["securitySchemes"]["sessionCookie"]["name"] = "session"

    return [
        ("rename_operation", rename_operation),
        ("drop_csrf_requirement", drop_csrf_requirement),
        ("rename_cookie_scheme", rename_cookie_scheme),
        ("drop_response", drop_response),
        ("loosen_query_bound", loosen_query_bound),
        ("relax_body_pattern", relax_body_pattern),
        ("drop_response_field", drop_response_field),
        ("extra_operation", extra_operation),
    ]


@pytest.mark.concept("schema-parity")
@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_diff_notices_a_mutated_document(name: str, mutate: Any) -> None:
    """The comparison can fail: each mutation of the contract yields a readable difference."""
    doc = contract()
    assert diff_documents(doc, copy.deepcopy(doc)) == []
    changed = copy.deepcopy(doc)
    mutate(changed)
    problems = diff_documents(doc, changed, "mutated")
    assert problems, f"{name}: no difference reported"
