"""Middleware: X-Request-ID, X-Process-Time, security headers and CORS."""

import re

import pytest
from pytest_django import Settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
PROCESS_TIME = re.compile(r"\d+\.\d{6}")


# --- X-Request-ID ----------------------------------------------------------------------------


@pytest.mark.parametrize("request_id", ["abcdefgh", "Req-1.2_3" * 3, "x" * 128])
def test_valid_request_id_is_echoed(api_client: APIClient, request_id: str) -> None:
    response = api_client.get("/health", headers={"X-Request-ID": request_id})

    assert response["X-Request-ID"] == request_id


@pytest.mark.parametrize("request_id", [None, "", "short", "x" * 129, "has space!", "é" * 10])
def test_missing_or_invalid_request_id_is_generated(
    api_client: APIClient, request_id: str | None
) -> None:
    headers = {} if request_id is None else {"X-Request-ID": request_id}

    response = api_client.get("/health", headers=headers)

    assert GENERATED_ID.fullmatch(response["X-Request-ID"])


def test_generated_request_ids_differ(api_client: APIClient) -> None:
    first = api_client.get("/health")["X-Request-ID"]
    assert first != api_client.get("/health")["X-Request-ID"]


@pytest.mark.usefixtures("test_routes_enabled")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/nope", 404), ("post", "/health", 405), ("get", "/_test/error", 500)],
)
def test_error_responses_carry_request_id(
    api_client: APIClient, method: str, path: str, status: int
) -> None:
    response = getattr(api_client, method)(path, headers={"X-Request-ID": "trace-0001"})

    assert response.status_code == status
    assert response["X-Request-ID"] == "trace-0001"


# --- X-Process-Time --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/api/schema/openapi.json"])
def test_process_time_on_other_responses(api_client: APIClient, path: str) -> None:
    assert PROCESS_TIME.fullmatch(api_client.get(path)["X-Process-Time"])


@pytest.mark.parametrize("method", ["get", "head", "post", "options"])
@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_no_process_time_on_health(api_client: APIClient, method: str, path: str) -> None:
    assert "X-Process-Time" not in getattr(api_client, method)(path)


# --- Security headers ------------------------------------------------------------------------


@pytest.mark.usefixtures("test_routes_enabled")
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/health"), ("get", "/nope"), ("post", "/health"), ("get", "/_test/error")],
)
def test_security_headers_on_every_response(api_client: APIClient, method: str, path: str) -> None:
    response = getattr(api_client, method)(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


# --- CORS ------------------------------------------------------------------------------------


def test_no_cors_headers_by_default(api_client: APIClient) -> None:
    response = api_client.get("/health", headers={"Origin": "http://app.example"})

    assert "Access-Control-Allow-Origin" not in response


def test_cors_only_for_listed_origins(api_client: APIClient, settings: Settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["http://app.example"]

    allowed = api_client.get("/health", headers={"Origin": "http://app.example"})
    other = api_client.get("/health", headers={"Origin": "http://evil.example"})

    assert allowed["Access-Control-Allow-Origin"] == "http://app.example"
    assert "Access-Control-Allow-Origin" not in other
