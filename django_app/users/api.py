"""HTTP handlers for /api/v1/users, /api/v1/auth/token and /api/v1/preferences."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import RequestValidationError
from compat.headers import RetryAfterThrottle
from compat.problems import problem_response
from compat.views import ContractViewMixin
from users import services
from users.auth import WWW_AUTHENTICATE
from users.models import User
from users.permissions import IsStaff
from users.schemas import (
    THEMES,
    OutboxEmailListSerializer,
    OutboxEmailSerializer,
    PreferencesSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserPrivateSerializer,
    UserPublicSerializer,
    problem_spec,
)

THEME_COOKIE = "theme"
THEME_COOKIE_MAX_AGE = 31536000

P400 = problem_spec(400, "Validation error.")
P401 = problem_spec(401, "Not authenticated.")
P403 = problem_spec(403, "Not allowed.")
P404 = problem_spec(404, "Not found.")
P409 = problem_spec(409, "Duplicate username or email.")
P413 = problem_spec(413, "Body over 1 MiB.")
P415 = problem_spec(415, "Not a JSON body.")
P429 = problem_spec(429, "Too many requests.")
# Documented explicitly: the URL converter is a plain string (a malformed id is a 400 problem,
# not a 404 from the resolver), so drf-spectacular would describe it as any string.
USER_ID = OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
# The cookie is read from request.COOKIES, which drf-spectacular cannot see.
THEME_PARAM = OpenApiParameter(
    "theme", OpenApiTypes.STR, OpenApiParameter.COOKIE, enum=["light", "dark"]
)


class TokenRateThrottle(RetryAfterThrottle):
    """Per client IP, ``TOKEN_RATE_LIMIT`` (counters in the cache: Redis when configured)."""

    scope = "token"
    cache = caches[settings.SECURITY_CACHE]  # not the evictable default cache

    def get_rate(self) -> str:
        return str(settings.TOKEN_RATE_LIMIT)  # read per request, so tests can override it

    def get_cache_key(self, request: Request, view: APIView) -> str:
        # The rate is part of the key: processes sharing the counter store (the database cache,
        # Redis) share a window only when they enforce the same limit.
        scope = f"{self.scope}_{self.get_rate()}"
        return self.cache_format % {"scope": scope, "ident": self.get_ident(request)}


class UserCreateView(ContractViewMixin, APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="users_create",
        tags=["users"],
        summary="Register a user",
        request=UserCreateSerializer,
        responses={201: UserPrivateSerializer, 400: P400, 409: P409, 413: P413, 415: P415},
    )
    def post(self, request: Request) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        location = request.build_absolute_uri(reverse("users-detail", args=[user.pk]))
        return Response(
            UserPrivateSerializer(user).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class UserMeView(ContractViewMixin, APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="users_me",
        tags=["users"],
        summary="The current user",
        responses={200: UserPrivateSerializer, 401: P401},
    )
    def get(self, request: Request) -> Response:
        return Response(UserPrivateSerializer(request.user).data)


class UserEmailsView(ContractViewMixin, APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="users_emails",
        tags=["users"],
        summary="Emails sent to the current user",
        responses={200: OutboxEmailListSerializer, 401: P401},
    )
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        emails = services.list_emails(request.user)
        return Response({"items": OutboxEmailSerializer(emails, many=True).data})


def _get_user(user_id: str) -> User:
    try:
        pk = UUID(user_id)
    except ValueError:
        raise RequestValidationError(
            {"user_id": ["Must be a valid UUID."]}, location="path"
        ) from None
    return get_object_or_404(User, pk=pk)


class UserDetailView(ContractViewMixin, APIView):
    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "DELETE":
            return [IsStaff()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="users_retrieve",
        tags=["users"],
        summary="A user's public profile",
        parameters=[USER_ID],
        responses={200: UserPublicSerializer, 400: P400, 401: P401, 404: P404},
    )
    def get(self, request: Request, user_id: str) -> Response:
        return Response(UserPublicSerializer(_get_user(user_id)).data)

    @extend_schema(
        operation_id="users_destroy",
        tags=["users"],
        summary="Delete a user (staff only)",
        parameters=[USER_ID],
        responses={204: None, 400: P400, 401: P401, 403: P403, 404: P404},
    )
    def delete(self, request: Request, user_id: str) -> Response:
        services.delete_user(_get_user(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(ContractViewMixin, APIView):
    # No cookie auth here, so no CSRF either; an Authorization header is ignored.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TokenRateThrottle,)

    @extend_schema(
        operation_id="auth_token",
        tags=["auth"],
        summary="Issue an access token",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: P400, 401: P401, 413: P413, 415: P415, 429: P429},
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.authenticate_user(**serializer.validated_data)
        if user is None:
            # Answered here: DRF would turn AuthenticationFailed into 403 on a view
            # without authentication classes.
            response = problem_response(
                request, status.HTTP_401_UNAUTHORIZED, detail="Invalid credentials."
            )
            response["WWW-Authenticate"] = WWW_AUTHENTICATE
            return response
        return Response(services.issue_access_token(user))


class PreferencesView(ContractViewMixin, APIView):
    # No authentication at all: the theme cookie is not a credential, so there is no
    # session-riding risk and CSRF does not apply.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="preferences_retrieve",
        tags=["preferences"],
        summary="Read the preference cookie",
        parameters=[THEME_PARAM],
        responses={200: PreferencesSerializer, 400: P400},
    )
    def get(self, request: Request) -> Response:
        theme = request.COOKIES.get(THEME_COOKIE, "light")
        if theme not in THEMES:
            raise RequestValidationError(
                {THEME_COOKIE: ["Must be light or dark."]}, location="cookie"
            )
        return Response({"theme": theme})

    @extend_schema(
        operation_id="preferences_update",
        tags=["preferences"],
        summary="Set the preference cookie",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, 400: P400, 413: P413, 415: P415},
    )
    def put(self, request: Request) -> Response:
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        theme = serializer.validated_data["theme"]
        response = Response({"theme": theme})
        response.set_cookie(
            THEME_COOKIE,
            theme,
            max_age=THEME_COOKIE_MAX_AGE,
            path="/",
            samesite="Lax",
            secure=not settings.DEBUG,
            httponly=False,  # page JavaScript reads it
        )
        return response
