"""Health check: framework, version, database and Redis status.

Each check is bounded (the database probe by ``CHECK_TIMEOUT``, Redis by its socket
timeouts, see settings) so the endpoint answers 503 instead of hanging while a dependency is
down.
"""

import functools
import logging
from typing import cast

import django
import redis
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.apps import CommonConfig
from common.errors import PROBLEM_CONTENT_TYPE, ProblemSerializer
from compat.problems import problem_response
from compat.views import ContractViewMixin

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0
"""Seconds allowed for the database check (with psycopg's pool)."""


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    app = serializers.CharField()
    framework = serializers.CharField()
    version = serializers.CharField()
    database = serializers.CharField()
    redis = serializers.CharField()
    started_at = serializers.DateTimeField()


class HealthChecksSerializer(serializers.Serializer):
    database = serializers.CharField()
    redis = serializers.CharField()


class HealthProblemSerializer(ProblemSerializer):
    checks = HealthChecksSerializer()


def check_database() -> str:
    # With psycopg's pool (PostgreSQL) the probe borrows a connection for at most
    # CHECK_TIMEOUT: through Django's wrapper it would wait the pool's own timeout (5 s,
    # sized for request bursts), so a monitor would see the outage 5 s late.
    pool = getattr(connection, "pool", None)
    try:
        if pool is not None:
            pool.open()  # as Django does before its first checkout (a no-op once open)
            with pool.connection(timeout=CHECK_TIMEOUT) as conn:
                conn.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except Exception:
        logger.warning("health: database check failed", exc_info=True)
        return "error"
    return "ok"


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL for the life of the process."""
    return redis.Redis.from_url(
        url,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )


def check_redis() -> str:
    if not settings.REDIS_URL:
        return "disabled"
    try:
        redis_client(settings.REDIS_URL).ping()
    except redis.RedisError:
        logger.warning("health: redis check failed", exc_info=True)
        return "error"
    return "ok"


class HealthView(ContractViewMixin, APIView):
    """200 when the database (and Redis, if configured) answer; 503 problem otherwise."""

    # Polled by load balancers and the contract harness: no auth, no throttling.
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()

    @extend_schema(
        operation_id="health_check",
        tags=["health"],
        summary="Service health",
        responses={
            200: HealthSerializer,
            (503, PROBLEM_CONTENT_TYPE): HealthProblemSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        checks = {"database": check_database(), "redis": check_redis()}
        if "error" in checks.values():
            response = problem_response(
                request,
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail="A dependency is unavailable.",
                checks=checks,
            )
        else:
            # App state: recorded once per process by CommonConfig.ready().
            started_at = cast(CommonConfig, apps.get_app_config("common")).started_at
            body = {
                "status": "ok",
                "app": settings.APP_NAME,
                "framework": "django",
                "version": django.__version__,
                **checks,
                "started_at": started_at,
            }
            response = Response(HealthSerializer(body).data)
        patch_cache_control(response, no_store=True)
        return response
