"""Test-only routes (a forced 500); mounted only when ENABLE_TEST_ROUTES is on.

``config/urls.py`` includes ``urlpatterns`` below only when the flag is set, so with the
flag off these paths simply do not exist (404).
"""

from django.urls import re_path
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compat.views import ContractViewMixin


class ForcedErrorView(ContractViewMixin, APIView):
    authentication_classes = ()
    permission_classes = ()

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        # The message must never reach the client: the 500 problem has a fixed detail.
        raise RuntimeError("boom: this text must never reach a client")


urlpatterns = [
    re_path(r"^_test/error/?$", ForcedErrorView.as_view(), name="test-error"),
]
