"""Cookie-session login, whoami and logout with form data and CSRF.

DRF views are CSRF-exempt by design (only ``SessionAuthentication`` enforces it), so the
unsafe session routes check CSRF themselves (``compat.sessions.enforce_csrf``, DRF's
``CSRFCheck``). The ``X-CSRFToken`` header or the ``csrfmiddlewaretoken`` form field must
match the ``csrftoken`` cookie (set by the login form). A 401 here carries no
``WWW-Authenticate`` (no bearer on /auth/*).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user, logout
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compat.problems import problem_response
from compat.sessions import enforce_csrf, login_with_fresh_session
from compat.views import ContractViewMixin
from users import pages, services
from users.schemas import LoginFormSerializer, SessionUserSerializer, problem_spec

# OpenAPI security of the session routes: they check the cookie/CSRF themselves
# (no DRF authenticators to discover). Typed ``Any``: drf-spectacular's ``auth`` hint says names,
# its code takes these requirement objects as they are.
CSRF_ONLY: Any = [{"csrfHeader": []}]
SESSION_SAFE: Any = [{"sessionCookie": []}]
SESSION_UNSAFE: Any = [{"sessionCookie": [], "csrfHeader": []}]

P400 = problem_spec(400, "Missing form field.")
P401 = problem_spec(401, "Not logged in / wrong credentials.")
P403 = problem_spec(403, "Missing or wrong CSRF token.")
P415 = problem_spec(415, "Not a form body.")
P303_LOGIN = OpenApiResponse(description="Logged in (HTML form flow): to `next` or /items.")
P303_LOGOUT = OpenApiResponse(description="Logged out (HTML form flow): to the login page.")


class LoginView(ContractViewMixin, APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (FormParser, MultiPartParser)

    def get_renderers(self) -> list[BaseRenderer]:
        if self.request.method in ("GET", "HEAD"):
            return [StaticHTMLRenderer()]
        return super().get_renderers()

    @extend_schema(
        operation_id="session_login_form",
        tags=["session"],
        summary="The login form",
        responses={(200, "text/html"): OpenApiResponse(str, description="An HTML form.")},
    )
    def get(self, request: Request) -> HttpResponse:
        return pages.login_page(request._request, next_url=request.query_params.get("next", ""))

    @extend_schema(
        operation_id="session_login",
        tags=["session"],
        auth=CSRF_ONLY,
        summary="Log in with a form (session cookie)",
        request={"application/x-www-form-urlencoded": LoginFormSerializer},
        responses={
            200: SessionUserSerializer,
            303: P303_LOGIN,
            400: P400,
            401: P401,
            403: P403,
            415: P415,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        enforce_csrf(request)  # security checks before parsing: 403 before 415
        serializer = LoginFormSerializer(data=request.data)  # a JSON body -> 415 here
        # A browser's form post (decision 30): the form again with an error, or a redirect.
        html = pages.wants_html(request._request)
        if html and not serializer.is_valid():
            return pages.login_page(
                request._request,
                status=status.HTTP_400_BAD_REQUEST,
                error="Enter your username and password.",
                username=request.POST.get("username", ""),
                next_url=request.POST.get("next", ""),
            )
        serializer.is_valid(raise_exception=True)
        user = services.authenticate_user(
            serializer.validated_data["username"], serializer.validated_data["password"]
        )
        if user is None:
            if html:
                return pages.login_page(
                    request._request,
                    status=status.HTTP_400_BAD_REQUEST,
                    error="Invalid username or password.",
                    username=serializer.validated_data["username"],
                    next_url=request.POST.get("next", ""),
                )
            return problem_response(
                request, status.HTTP_401_UNAUTHORIZED, detail="Invalid credentials."
            )
        login_with_fresh_session(request._request, user)
        if html:
            return pages.see_other(pages.safe_next(request.POST.get("next")))
        return Response(SessionUserSerializer(user).data)


class WhoAmIView(ContractViewMixin, APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="session_whoami",
        tags=["session"],
        auth=SESSION_SAFE,
        summary="The logged-in session user",
        responses={200: SessionUserSerializer, 401: P401},
    )
    def get(self, request: Request) -> Response:
        # Read the session itself: DRF has replaced request.user (no authenticators here).
        user = get_user(request._request)
        if not user.is_authenticated:
            return problem_response(request, status.HTTP_401_UNAUTHORIZED)
        return Response(SessionUserSerializer(user).data)


class LogoutView(ContractViewMixin, APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="session_logout",
        tags=["session"],
        auth=SESSION_UNSAFE,
        summary="Log out (delete the session)",
        request=None,
        responses={204: None, 303: P303_LOGOUT, 403: P403},
    )
    def post(self, request: Request) -> HttpResponse:
        enforce_csrf(request)
        logout(request._request)  # flushes the session; the middleware clears the cookie
        if pages.wants_html(request._request):
            return pages.see_other(pages.LOGIN_URL)
        return Response(status=status.HTTP_204_NO_CONTENT)
