"""Schemathesis set-up for the contract suite: config, schema loading, case counting.

Knobs (env):
  SCHEMATHESIS_MAX_EXAMPLES  examples per operation in the fuzzing phase (default 20)
  SCHEMATHESIS_SEED          an integer (default 20240601) or "random" (non-deterministic run)

Phases: examples + coverage + fuzzing (stateful is off until the contract has links).
Checks: all of schemathesis' checks, minus :data:`SCHEMATHESIS_EXCEPTIONS` -- the ONE place where
an exception may be configured, each with its reason. It starts empty.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.schemas import BaseSchema

from harness.parity import record_schemathesis_case, record_schemathesis_failure
from harness.paths import OPENAPI_PATH
from harness.servers import LiveServer

DEFAULT_SEED = 20240601
DEFAULT_MAX_EXAMPLES = 20

#: check name -> reason it is disabled (applies to both frameworks and both schema sources).
SCHEMATHESIS_EXCEPTIONS: dict[str, str] = {}


def seed_setting() -> int | None:
    """The fixed seed, or None for SCHEMATHESIS_SEED=random."""
    raw = os.environ.get("SCHEMATHESIS_SEED", "").strip()
    if raw.lower() == "random":
        return None
    return int(raw) if raw else DEFAULT_SEED


def max_examples() -> int:
    raw = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "").strip()
    return int(raw) if raw else DEFAULT_MAX_EXAMPLES


def config_for(server: LiveServer) -> schemathesis.Config:
    """Schemathesis configuration targeting one live server."""
    seed = seed_setting()
    data: dict[str, Any] = {
        "base-url": server.base_url,
        "request-timeout": 10,
        "generation": {
            "max-examples": max_examples(),
            "deterministic": seed is not None,
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "checks": {name: {"enabled": False} for name in SCHEMATHESIS_EXCEPTIONS},
    }
    if seed is not None:
        data["seed"] = seed
    return schemathesis.Config.from_dict(data)


def contract_schema(server: LiveServer) -> BaseSchema:
    """openapi.yaml, aimed at ``server``."""
    return schemathesis.openapi.from_path(OPENAPI_PATH, config=config_for(server))


def served_schema(server: LiveServer) -> BaseSchema:
    """The server's own /api/schema/openapi.json, aimed at ``server``."""
    return schemathesis.openapi.from_url(
        f"{server.base_url}/api/schema/openapi.json", config=config_for(server)
    )


def run_case(case: Case[Any], server: LiveServer, source: str) -> None:
    """Send one generated case and run every enabled check; count it for parity.json."""
    record_schemathesis_case(server.framework)
    try:
        case.call_and_validate()
    except (Exception, BaseExceptionGroup):  # schemathesis' FailureGroup is a BaseExceptionGroup
        record_schemathesis_failure(
            server.framework, f"{source} {case.operation.method.upper()} {case.operation.path}"
        )
        raise


def _case_test(case: Case[Any], server: LiveServer, source: str) -> None:
    run_case(case, server, source)


def fuzz_schema(schema: BaseSchema, server: LiveServer, source: str) -> list[str]:
    """Run every operation of ``schema`` (all enabled phases); return one line per failure.

    Why not ``schemathesis.pytest.from_fixture``: with pytest 9.2 its lazy loader touches
    ``Function._nodeid``, which no longer exists (AttributeError). This drives the same
    per-operation Hypothesis tests schemathesis' pytest plugin builds (``get_all_tests``).
    """
    from schemathesis.checks import load_all_checks
    from schemathesis.core.result import Ok
    from schemathesis.pytest.lazy import get_all_tests

    load_all_checks()
    failures: list[str] = []
    operations = 0
    for result in get_all_tests(
        schema=schema, test_func=_case_test, settings=None, given_kwargs=None
    ):
        if isinstance(result, Ok):
            operation, test = result.ok()
            operations += 1
            try:
                test(server=server, source=source)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label}: {exc}")
        else:
            failures.append(f"invalid schema: {result.err()}")
    if operations == 0:
        failures.append(f"{source} schema has no operations to test")
    return failures
