"""Health check: framework, version, database and Redis status.

Each dependency check is bounded by a timeout so a dead database or Redis turns into a 503
problem quickly instead of hanging the probe.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from importlib.metadata import version
from typing import TYPE_CHECKING, Literal

import msgspec
from litestar import get
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text

from common.errors import PROBLEM_MEDIA_TYPE, Problem, ProblemDetailsException
from compat.routing import head_twin

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine

CHECK_TIMEOUT = 2.0
"""Seconds allowed per dependency check."""

CheckResult = Literal["ok", "error", "disabled"]


class HealthStatus(msgspec.Struct, frozen=True):
    """Body of a healthy ``GET /health``."""

    status: Literal["ok"]
    app: str
    framework: Literal["litestar"]
    version: str
    database: Literal["ok"]
    redis: Literal["ok", "disabled"]
    started_at: datetime
    """UTC, set once at startup; msgspec encodes a UTC datetime with a ``Z`` suffix."""


class DependencyChecks(msgspec.Struct, frozen=True):
    database: CheckResult
    redis: CheckResult


class HealthProblem(Problem, frozen=True):
    """Body of the 503: the problem envelope plus each dependency's result."""

    checks: DependencyChecks


async def check_database(engine: AsyncEngine) -> CheckResult:
    """Run ``SELECT 1`` on a pooled connection (``pool_pre_ping`` replaces stale ones)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure (refused, timeout, auth) means "unavailable"
        return "error"
    return "ok"


async def check_redis(client: Redis | None) -> CheckResult:
    """PING the shared client; ``disabled`` when ``REDIS_URL`` is empty."""
    if client is None:
        return "disabled"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await client.ping()
    except Exception:
        return "error"
    return "ok"


@get(
    "/health",
    operation_id="health_check",
    summary="Service health",
    description="Reports the framework, its version and the database and Redis status.",
    tags=["health"],
    cache_control=CacheControlHeader(no_store=True),
    responses={
        HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
            data_container=HealthProblem,
            media_type=PROBLEM_MEDIA_TYPE,
            description="A dependency is unavailable.",
        )
    },
)
async def health_check(state: State, db_engine: NamedDependency[AsyncEngine]) -> HealthStatus:
    """Report liveness of the app and its dependencies; 503 when one is down."""
    database, redis = await asyncio.gather(
        check_database(db_engine), check_redis(state.get("redis"))
    )
    if database != "ok" or redis == "error":
        raise ProblemDetailsException(
            "A dependency is unavailable.",
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            extensions={"checks": {"database": database, "redis": redis}},
            headers={"Cache-Control": "no-store"},
        )
    return HealthStatus(
        status="ok",
        app=state.settings.app_name,
        framework="litestar",
        version=version("litestar"),
        database="ok",
        redis="ok" if redis == "ok" else "disabled",
        started_at=state.started_at,
    )


# Contract: HEAD works on every GET (Litestar answers 405 to HEAD unless a handler declares
# it); see compat/routing.py for why the twin is a separate, hidden handler.
health_check_head = head_twin(health_check)
