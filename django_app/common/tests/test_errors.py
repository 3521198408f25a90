"""Problem+json for every error: 404, 405, OPTIONS, 500, validation and API exceptions."""

import json
from typing import Any

import pytest
from django.http import Http404
from django.test import override_settings
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from common.errors import Conflict, RequestValidationError
from compat.problems import error_pointers
from compat.views import ContractViewMixin

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: Any, status: int, type_: str = "about:blank") -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.content)
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == type_
    return body


# --- Routing-level errors ------------------------------------------------------------------


def test_unknown_route_is_404_problem(api_client: APIClient) -> None:
    body = assert_problem(api_client.get("/nope"), 404)

    assert body["title"] == "Not Found"
    assert body["instance"] == "/nope"
    assert "nope" not in body["detail"]  # Django's message lists the URL patterns tried


def test_wrong_method_is_405_with_sorted_allow(api_client: APIClient) -> None:
    response = api_client.post("/health", {}, format="json")

    body = assert_problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    assert body["instance"] == "/health"
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "path", ["/health", "/health/", "/api/schema/openapi.json", "/api/schema/swagger"]
)
def test_options_is_204_with_allow_and_empty_body(api_client: APIClient, path: str) -> None:
    response = api_client.options(path)

    assert response.status_code == 204
    assert response.content == b""
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert "Content-Type" not in response


def test_test_route_absent_when_flag_off(api_client: APIClient) -> None:
    assert_problem(api_client.get("/_test/error"), 404)


@pytest.mark.usefixtures("test_routes_enabled")
def test_uncaught_exception_is_500_problem_without_leaks(api_client: APIClient) -> None:
    response = api_client.get("/_test/error")

    body = assert_problem(response, 500)
    assert body == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "instance": "/_test/error",
    }
    text = response.content.decode()
    assert "boom" not in text
    assert "RuntimeError" not in text
    assert "Traceback" not in text


@pytest.mark.usefixtures("test_routes_enabled")
def test_test_route_not_in_schema(api_client: APIClient) -> None:
    paths = api_client.get("/api/schema/openapi.json").json()["paths"]

    assert "/health" in paths
    assert not any(path.startswith("/_test") for path in paths)


# --- Errors raised inside API views --------------------------------------------------------


class PriceSerializer(serializers.Serializer):
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["name"] == "forbidden":
            raise serializers.ValidationError("This combination is not allowed.")
        return attrs


class ExampleView(ContractViewMixin, APIView):
    authentication_classes = ()
    permission_classes = ()

    def get(self, request: Request) -> Response:
        fault = request.query_params.get("fault")
        if fault == "query":
            raise RequestValidationError({"limit": ["Must be <= 100."]}, location="query")
        if fault == "http404":
            raise Http404("No SecretModel matches the given query.")
        if fault == "conflict":
            raise Conflict()
        if fault == "throttled":
            raise exceptions.Throttled(wait=7)
        if fault == "forbidden":
            raise exceptions.PermissionDenied("Only owners may do this.")
        return Response({})

    def post(self, request: Request) -> Response:
        serializer = PriceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


factory = APIRequestFactory()
view = ExampleView.as_view()


def call(request: Any) -> Any:
    response = view(request)
    response.render()  # the test client renders; calling the view directly does not
    return response


def pointers(body: dict[str, Any]) -> set[str]:
    return {error["pointer"] for error in body["errors"]}


def test_body_validation_points_at_fields() -> None:
    request = factory.post("/things", {"price": "abc", "tags": ["ok", "toolong"]}, format="json")

    body = assert_problem(call(request), 400, "urn:problem:validation-error")
    assert body["title"] == "Validation Error"
    assert body["instance"] == "/things"
    assert pointers(body) == {"/body/name", "/body/price", "/body/tags/1"}
    assert all(error["detail"] for error in body["errors"])


def test_object_level_validation_points_at_body() -> None:
    request = factory.post("/things", {"name": "forbidden", "price": "1.00"}, format="json")

    body = assert_problem(call(request), 400, "urn:problem:validation-error")
    assert pointers(body) == {"/body"}


def test_malformed_json_points_at_body_without_parser_text() -> None:
    request = factory.post("/things", b'{"price": ', content_type="application/json")

    response = call(request)
    body = assert_problem(response, 400, "urn:problem:validation-error")
    assert body["errors"] == [{"pointer": "/body", "detail": body["errors"][0]["detail"]}]
    assert "Expecting" not in response.content.decode()  # json.JSONDecodeError's message


def test_query_validation_points_at_query() -> None:
    body = assert_problem(
        call(factory.get("/things?fault=query")), 400, "urn:problem:validation-error"
    )
    assert pointers(body) == {"/query/limit"}


def test_django_http404_hides_its_message() -> None:
    response = call(factory.get("/things?fault=http404"))

    body = assert_problem(response, 404)
    assert "SecretModel" not in response.content.decode()
    assert body["title"] == "Not Found"


def test_conflict_has_its_own_type() -> None:
    body = assert_problem(call(factory.get("/things?fault=conflict")), 409, "urn:problem:conflict")
    assert body["title"] == "Conflict"


def test_throttled_is_rate_limited_with_retry_after() -> None:
    response = call(factory.get("/things?fault=throttled"))

    assert_problem(response, 429, "urn:problem:rate-limited")
    assert response["Retry-After"] == "7"


def test_api_exception_detail_is_kept() -> None:
    body = assert_problem(call(factory.get("/things?fault=forbidden")), 403)
    assert body["title"] == "Forbidden"
    assert body["detail"] == "Only owners may do this."


def test_error_pointers_escape_and_nest() -> None:
    detail = {"a/b": ["bad"], "nested": {"x~y": ["bad"]}, "items": [{}, {"name": ["bad"]}]}

    assert {e["pointer"] for e in error_pointers(detail, "/body")} == {
        "/body/a~1b",
        "/body/nested/x~0y",
        "/body/items/1/name",
    }


@override_settings(DEBUG=False)
def test_schema_and_docs_are_served(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["openapi"] == "3.1.0"
    assert schema.json()["info"] == {"title": "Items API", "version": "1.0.0"}
    for path in ("/api/schema/swagger", "/api/schema/redoc"):
        response = api_client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
