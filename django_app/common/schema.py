"""OpenAPI: drf-spectacular's schema/docs views and a hook (wired in SPECTACULAR_SETTINGS)."""

from typing import Any

from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from common.errors import PROBLEM_CONTENT_TYPE
from common.views import ContractViewMixin


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


class SwaggerView(ContractViewMixin, SpectacularSwaggerView):
    pass


class RedocView(ContractViewMixin, SpectacularRedocView):
    pass
