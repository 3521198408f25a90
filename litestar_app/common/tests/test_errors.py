"""Problem+json for every error: 404, 405, OPTIONS, 500, validation and API exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.testing import TestClient, create_test_client

from common.errors import EXCEPTION_HANDLERS, INTERNAL_ERROR_DETAIL, PROBLEM_MEDIA_TYPE
from common.middleware import stamp_response_headers
from compat import CompatPlugin
from compat.headers import SECURITY_HEADERS
from config.settings import Settings
from conftest import ClientFactory

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: object, status: int, problem_type: str = "about:blank") -> dict:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE  # type: ignore[attr-defined]
    body: dict = response.json()  # type: ignore[attr-defined]
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == problem_type
    return body


def test_unknown_route_is_404_problem(client: TestClient[Litestar]) -> None:
    response = client.get("/nope")

    body = assert_problem(response, 404)
    assert body["title"] == "Not Found"
    assert body["instance"] == "/nope"
    assert len(response.headers["x-request-id"]) == 32
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_wrong_method_is_405_with_sorted_allow(client: TestClient[Litestar]) -> None:
    response = client.post("/health")

    body = assert_problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "x-request-id" in response.headers


def test_unhandled_error_is_opaque_500(client: TestClient[Litestar]) -> None:
    response = client.get("/_test/error")

    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert body["detail"] == INTERNAL_ERROR_DETAIL
    assert "boom" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert "x-request-id" in response.headers
    assert response.headers["x-frame-options"] == "DENY"


def test_unhandled_error_is_opaque_even_in_debug(make_client: ClientFactory) -> None:
    with make_client(debug=True) as client:
        response = client.get("/_test/error")
    assert_problem(response, 500)
    assert "boom" not in response.text


def test_test_routes_absent_when_flag_off(make_client: ClientFactory) -> None:
    with make_client(enable_test_routes=False) as client:
        assert_problem(client.get("/_test/error"), 404)


# A tiny app exercising each parameter source, with the project's handlers and hook.
class Price(msgspec.Struct):
    price: int


@get("/things/{number:int}", sync_to_thread=False)
def read_thing(
    number: Annotated[int, PathParameter(ge=1)],
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    trace: Annotated[int, HeaderParameter(name="x-trace")] = 0,
) -> dict[str, int]:
    return {"number": number, "limit": limit}


@get("/search", sync_to_thread=False)
def search(q: FromQuery[str]) -> list[str]:
    return [q]


@post("/prices", sync_to_thread=False)
def create_price(data: JSONBody[Price]) -> Price:
    return data


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with create_test_client(
        [read_thing, search, create_price],
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[CompatPlugin(settings)],
        before_send=[stamp_response_headers],
    ) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("url", "headers", "pointer"),
    [
        ("/things/1?limit=abc", {}, "/query/limit"),
        ("/things/1?limit=0", {}, "/query/limit"),
        ("/things/0", {}, "/path/number"),
        ("/things/1", {"x-trace": "nan"}, "/header/x-trace"),
        ("/search", {}, "/query/q"),
    ],
)
def test_parameter_validation_is_400_with_pointer(
    api: TestClient[Litestar], url: str, headers: dict[str, str], pointer: str
) -> None:
    response = api.get(url, headers=headers)

    body = assert_problem(response, 400, "urn:problem:validation-error")
    assert body["title"] == "Validation Error"
    assert [error["pointer"] for error in body["errors"]] == [pointer]
    assert all(error["detail"] for error in body["errors"])


def test_body_validation_points_at_field(api: TestClient[Litestar]) -> None:
    response = api.post("/prices", json={"price": "cheap"})

    body = assert_problem(response, 400, "urn:problem:validation-error")
    assert [error["pointer"] for error in body["errors"]] == ["/body/price"]


def test_malformed_json_points_at_body(api: TestClient[Litestar]) -> None:
    response = api.post(
        "/prices", content=b"{not json", headers={"content-type": "application/json"}
    )

    body = assert_problem(response, 400, "urn:problem:validation-error")
    assert [error["pointer"] for error in body["errors"]] == ["/body"]
    assert "x-request-id" in response.headers
