"""Contract shims: the method rules and content negotiation every API view follows.

DRF answers ``OPTIONS`` with 200 + a metadata document, checks authentication before the
method (TRACE on a protected route is a 401), lists ``Allow`` in ``http_method_names``
order and answers 406 when no renderer matches ``Accept``. The contract pins 204 + ``Allow``
for OPTIONS, 405 first, a sorted ``Allow`` and JSON whatever the ``Accept`` (contract #12).
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

# Lets mypy check ``super()`` calls without making the mixin itself a view. Imported for
# the type checker only: DRF's APIView reads DEFAULT_CONTENT_NEGOTIATION_CLASS (this
# module) when its module is first imported, a circular import otherwise.
if TYPE_CHECKING:
    from rest_framework.views import APIView

    _Base = APIView
else:
    _Base = object


# contract-shim: OPTIONS 204 + Allow, 405 before auth, Allow sorted (contract "Methods").
# Meet the contract's method rules on any APIView or ViewSet; list it first in the bases:
# ``class ItemViewSet(ContractViewMixin, ModelViewSet)``. HEAD needs nothing: Django's
# View.setup and DRF's routers already map it to GET.
# (Comments, not a docstring: drf-spectacular would show a docstring as the description of
# every view that has none of its own.)
class ContractViewMixin(_Base):
    @property
    def allowed_methods(self) -> list[str]:
        # DRF lists methods in ``http_method_names`` order; the contract wants them sorted
        # (for the ``Allow`` header DRF adds to every response, 405 included).
        return sorted(super().allowed_methods)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF authenticates, checks permissions and throttles in ``initial`` and only then
        # dispatches to the handler, which is where an unknown method becomes 405. So TRACE
        # on an auth-required route answered 401. The contract checks the method first.
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method or "")
        super().initial(request, *args, **kwargs)

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        # contract-shim: 26 (an empty JSON body is 400 /body: compat.validation.ContractRequest)
        from compat.validation import ContractRequest

        drf_request = super().initialize_request(request, *args, **kwargs)  # sets ViewSet.action
        drf_request.__class__ = ContractRequest  # same state, one stricter property
        return drf_request

    def check_permissions(self, request: Request) -> None:
        # OPTIONS needs no permission (decision 21): it answers only ``Allow``, and anonymous
        # clients ask it before they log in. Authentication still ran in ``initial``, so a
        # presented bad token is a 401 here as on every method.
        if request.method != "OPTIONS":
            super().check_permissions(request)

    # Same signature as DRF's APIView.options (its stubs ignore the clash with View too).
    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        # DRF answers OPTIONS with 200 + a metadata document; the contract wants 204, an empty
        # body and the ``Allow`` header (``finalize_response`` adds it). A plain HttpResponse
        # skips the renderers, so this also works on HTML views such as the docs UIs.
        response = HttpResponse(status=status.HTTP_204_NO_CONTENT)
        del response["Content-Type"]
        return response


# contract-shim: JSON endpoints ignore Accept (contract #12), never 406.
class IgnoreAcceptContentNegotiation(DefaultContentNegotiation):
    """Always the view's first renderer; parsers are still chosen by ``Content-Type``."""

    def select_renderer(  # type: ignore[override]
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, Any]:
        renderer = renderers[0]
        return renderer, renderer.media_type


# contract-shim: 11 + order of checks 1 and 4 (plain Django form pages: the method first)
class ContractFormPageMixin:
    """The contract's method rules on a plain Django (non-DRF) form page.

    Django's ``CsrfViewMiddleware`` refuses an unsafe method before the view can say 405,
    ``LoginRequiredMixin`` redirects an anonymous OPTIONS to the login form, ``View.options``
    answers 200, and ``ProcessFormView`` adds PUT to ``Allow``. The contract: routing first (405
    problem + sorted ``Allow``), OPTIONS 204 + ``Allow`` without credentials, then CSRF, then
    login. List it before ``LoginRequiredMixin`` in the bases.
    """

    http_method_names: Sequence[str] = ("get", "head", "options", "post")

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        # CSRF is checked in ``dispatch``, after the method (below).
        return csrf_exempt(super().as_view(**initkwargs))  # type: ignore[misc]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        method = (request.method or "").lower()
        allow = ", ".join(sorted(m.upper() for m in self.http_method_names))
        if method not in self.http_method_names:
            # DRF imports this module for its settings: compat.problems (DRF) would be circular.
            from compat.problems import problem_json

            refused = problem_json(request, status.HTTP_405_METHOD_NOT_ALLOWED)
            refused["Allow"] = allow
            return refused
        if method == "options":
            response = HttpResponse(status=status.HTTP_204_NO_CONTENT)
            del response["Content-Type"]
            response["Allow"] = allow
            return response
        if method not in ("get", "head"):
            reason = CsrfViewMiddleware(_no_response).process_view(request, _checked, (), {})
            if reason is not None:
                return reason
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]


def _no_response(request: HttpRequest) -> HttpResponseBase:
    raise NotImplementedError  # CsrfViewMiddleware is used for process_view only


def _checked(request: HttpRequest) -> HttpResponseBase:
    """The callback handed to ``process_view``: not exempt, so the token is checked."""
    raise NotImplementedError
