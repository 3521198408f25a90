"""Contract shims: the served OpenAPI document equals the contract's.

drf-spectacular infers most of the schema; what it cannot infer about this contract is
here (wired in ``DEFAULT_SCHEMA_CLASS`` and ``SPECTACULAR_SETTINGS``): list envelopes,
required bodies, the NUL-free string pattern, canonical paths without the optional trailing
slash and problem+json error bodies; plus the stock schema/docs views with the contract's
method rules.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import PROBLEM_CONTENT_TYPE
from compat.views import ContractViewMixin

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object

NO_NUL_PATTERN = r"^[^\x00]*$"


# contract-shim: the served schema equals the contract (schema-parity).
class ContractAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with three rules of this API it cannot infer.

    * No list view answers a bare JSON array: lists are envelopes (``{"items": [...]}``)
      described by their own serializer, so a ``list`` action is not wrapped in an array.
    * DRF's ``CharField`` refuses NUL characters (``ProhibitNullCharactersValidator``);
      documented as the pattern ``^[^\\x00]*$`` unless the field has a pattern of its own.
    * Request bodies are always required.
    """

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        # Every request body of this API is required, a PATCH with all-optional keys too
        # (drf-spectacular marks a body optional when no property is required).
        body = super()._get_request_body(direction)
        if body:
            body["required"] = True
        return body

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        validators = getattr(field, "validators", [])
        if "pattern" not in schema and any(
            isinstance(v, ProhibitNullCharactersValidator) for v in validators
        ):
            schema["pattern"] = NO_NUL_PATTERN


# Imported after ContractAutoSchema on purpose: importing drf-spectacular's views builds DRF's
# APIView, which resolves DEFAULT_SCHEMA_CLASS (this module) -- a circular import otherwise.
from drf_spectacular.views import (  # noqa: E402
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)


# contract-shim: canonical paths have no trailing slash (routes accept one).
def strip_optional_trailing_slash(
    endpoints: list[tuple[str, str, str, Any]], **kwargs: Any
) -> list[tuple[str, str, str, Any]]:
    """Document ``^health/?$`` as ``/health``, not ``/health/``.

    Exists for the contract: routes accept an optional trailing slash (``/?`` in their
    regex, ``DefaultRouter(trailing_slash="/?")``), but the canonical path has none.
    """
    return [
        (path.rstrip("/") if regex.endswith("/?$") and path != "/" else path, regex, method, view)
        for path, regex, method, view in endpoints
    ]


# contract-shim: error bodies are documented as application/problem+json.
def problem_media_type(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Document every 4xx/5xx body as ``application/problem+json``.

    drf-spectacular lists each response under the renderer's media type (``application/json``);
    error bodies are RFC 9457 problems, served as ``application/problem+json`` by
    ``common.errors``. One hook instead of a media type on every ``extend_schema``.
    """
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                content = response.get("content") if isinstance(response, dict) else None
                if str(code)[:1] in {"4", "5"} and content and "application/json" in content:
                    content.setdefault(PROBLEM_CONTENT_TYPE, content.pop("application/json"))
    return result


# The stock views with the contract's method rules. Without the mixin, OPTIONS on the HTML
# docs views is a 500: DRF renders its metadata through the Swagger/ReDoc template.
class SchemaView(ContractViewMixin, SpectacularJSONAPIView):
    pass


class ProblemOnErrorMixin(_ViewBase):
    # contract-shim: 1 (errors are problem+json on the HTML docs views too). Their only
    # renderer is an HTML template one, which turned a 401 into the text "401 Unauthorized".
    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()  # type: ignore[attr-defined]
        self.request.accepted_media_type = JSONRenderer.media_type  # type: ignore[attr-defined]
        return response


class SwaggerView(ContractViewMixin, ProblemOnErrorMixin, SpectacularSwaggerView):
    # contract-shim: 21 (Cross-Origin-Opener-Policy: same-origin on every response).
    # drf-spectacular relaxes it to unsafe-none on this page for OAuth2 login popups; the
    # API has no OAuth2 flow, so the page keeps SecurityMiddleware's value. The override
    # keeps the stock view's exclude=True: the docs page is not an operation of the API.
    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)
        response["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        return response


class RedocView(ContractViewMixin, ProblemOnErrorMixin, SpectacularRedocView):
    pass
