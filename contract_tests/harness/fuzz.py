"""Schemathesis set-up for the contract suite: config, auth, schema loading, case counting.

Knobs (env), CI defaults first (`make fuzz` raises them all and uses a random seed):
  SCHEMATHESIS_MAX_EXAMPLES          fuzzing-phase examples per operation, contract schema (4)
  SCHEMATHESIS_STATEFUL_EXAMPLES     stateful scenarios, contract schema (6)
  SCHEMATHESIS_SERVED_MAX_EXAMPLES   the same two for each server's own schema (2 and 3)
  SCHEMATHESIS_SERVED_STATEFUL_EXAMPLES
  SCHEMATHESIS_SERVED_COVERAGE       "positive" (CI) or "all" (`make fuzz`): see below
  SCHEMATHESIS_SEED                  an integer (default 20240601) or "random"

Phases, for both schema sources: examples + coverage + fuzzing per operation, then stateful
(scenarios that follow the OpenAPI links: create -> retrieve/update/delete, upload ->
download). The coverage phase generates every boundary case the schema defines (no knob);
for a served schema CI keeps its positive cases only: its request side equals the contract's
after normalisation (tests/test_schema_parity.py), so the negative cases would repeat the
contract run's exactly. Fuzzing-phase examples of both runs are positive and negative.

Auth: every request is authenticated as a fresh user of that server (bearer token, re-minted
every ``TOKEN_REFRESH_S`` so that long `make fuzz` runs outlive ACCESS_TOKEN_TTL);
schemathesis removes or breaks it itself for the ``ignored_auth`` check.

Checks: ALL of schemathesis' checks, minus :data:`SCHEMATHESIS_EXCEPTIONS` -- the ONE place where
an exception may be configured, each with its reason. It is empty.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import Case
from schemathesis.schemas import BaseSchema

from harness.accounts import Account, new_account, obtain_token
from harness.http import Client
from harness.parity import record_schemathesis_case, record_schemathesis_failure
from harness.paths import OPENAPI_PATH
from harness.servers import LiveServer

DEFAULT_SEED = 20240601
#: CI defaults, per schema source: (fuzzing examples per operation, stateful scenarios)
DEFAULT_EXAMPLES = {"contract": (4, 6), "served": (2, 3)}
#: Seconds between two token mints: well under the apps' default ACCESS_TOKEN_TTL (900).
TOKEN_REFRESH_S = 300

#: check name -> reason it is disabled (applies to both frameworks and both schema sources).
SCHEMATHESIS_EXCEPTIONS: dict[str, str] = {}


def seed_setting() -> int | None:
    """The fixed seed, or None for SCHEMATHESIS_SEED=random."""
    raw = os.environ.get("SCHEMATHESIS_SEED", "").strip()
    if raw.lower() == "random":
        return None
    return int(raw) if raw else DEFAULT_SEED


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _prefix(source: str) -> str:
    return "SCHEMATHESIS_SERVED_" if source == "served" else "SCHEMATHESIS_"


def max_examples(source: str) -> int:
    """Fuzzing-phase examples per operation for a ``"contract"`` or ``"served"`` schema."""
    return _int_env(f"{_prefix(source)}MAX_EXAMPLES", DEFAULT_EXAMPLES[source][0])


def stateful_examples(source: str) -> int:
    """Stateful scenarios for a ``"contract"`` or ``"served"`` schema."""
    return _int_env(f"{_prefix(source)}STATEFUL_EXAMPLES", DEFAULT_EXAMPLES[source][1])


def coverage_mode(source: str) -> str:
    """Coverage-phase generation mode: "all", or "positive" for served schemas in CI."""
    if source != "served":
        return "all"
    return os.environ.get("SCHEMATHESIS_SERVED_COVERAGE", "").strip() or "positive"


_ACCOUNTS: dict[str, Account] = {}


def fuzz_account(server: LiveServer) -> Account:
    """A regular user of ``server`` that owns everything schemathesis creates (one per run)."""
    if server.base_url not in _ACCOUNTS:
        with Client(base_url=server.base_url, timeout=15) as client:
            _ACCOUNTS[server.base_url] = new_account(client, "fuzz")
    return _ACCOUNTS[server.base_url]


def config_for(server: LiveServer, source: str) -> schemathesis.Config:
    """Schemathesis configuration targeting one live server (auth: :func:`register_auth`)."""
    seed = seed_setting()
    data: dict[str, Any] = {
        "base-url": server.base_url,
        "request-timeout": 10,
        "generation": {
            "max-examples": max_examples(source),
            "deterministic": seed is not None,
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True, "generation": {"mode": coverage_mode(source)}},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True},
        },
        "checks": {name: {"enabled": False} for name in SCHEMATHESIS_EXCEPTIONS},
    }
    if seed is not None:
        data["seed"] = seed
    return schemathesis.Config.from_dict(data)


def register_auth(schema: BaseSchema, server: LiveServer) -> BaseSchema:
    """Authenticate every case as the fuzz user, with a token re-minted every few minutes."""
    account = fuzz_account(server)

    @schema.auth(refresh_interval=TOKEN_REFRESH_S)
    class FuzzBearer:
        def get(self, case: Case[Any], ctx: Any) -> str:
            with Client(base_url=server.base_url, timeout=15) as client:
                return obtain_token(client, account.username, account.password)

        def set(self, case: Case[Any], data: str, ctx: Any) -> None:
            if case.headers is None:
                case.headers = CaseInsensitiveDict()
            case.headers["Authorization"] = f"Bearer {data}"

    return schema


def contract_schema(server: LiveServer) -> BaseSchema:
    """openapi.yaml, aimed at ``server``."""
    schema = schemathesis.openapi.from_path(OPENAPI_PATH, config=config_for(server, "contract"))
    return register_auth(schema, server)


def served_schema(server: LiveServer) -> BaseSchema:
    """The server's own /api/schema/openapi.json, aimed at ``server``."""
    schema = schemathesis.openapi.from_url(
        f"{server.base_url}/api/schema/openapi.json", config=config_for(server, "served")
    )
    return register_auth(schema, server)


@dataclass
class FuzzRun:
    """What one schema x server run did."""

    source: str
    framework: str
    cases: int = 0
    stateful_steps: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    #: what stopped a phase early without a finding (printed with the summary)
    notes: list[str] = field(default_factory=list)
    #: generated cases per phase (examples, coverage, fuzzing, stateful)
    phases: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        seed = seed_setting()
        per_phase = ", ".join(f"{name} {count}" for name, count in sorted(self.phases.items()))
        return (
            f"schemathesis {self.source} x {self.framework}: {self.cases} cases "
            f"({per_phase}), {len(self.failures)} failing, "
            f"seed {seed if seed is not None else 'random'}, {self.seconds:.1f}s"
            + "".join(f"; note: {note}" for note in self.notes)
        )


def run_case(case: Case[Any], server: LiveServer, run: FuzzRun) -> None:
    """Send one generated case and run every enabled check; count it for parity.json."""
    record_schemathesis_case(server.framework)
    run.cases += 1
    run.phases[str(case.meta.phase.name) if case.meta else "unknown"] += 1
    try:
        case.call_and_validate()
    except (Exception, BaseExceptionGroup):  # schemathesis' FailureGroup is a BaseExceptionGroup
        record_schemathesis_failure(
            server.framework,
            f"{run.source} {case.operation.method.upper()} {case.operation.path}",
        )
        raise


def _case_test(case: Case[Any], server: LiveServer, run: FuzzRun) -> None:
    run_case(case, server, run)


def _hypothesis_settings(examples: int) -> hypothesis.settings:
    seed = seed_setting()
    return hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=seed is not None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        stateful_step_count=6,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )


def _stateful(schema: BaseSchema, server: LiveServer, run: FuzzRun) -> None:
    """The stateful phase: scenarios built from the schema's links, every step checked."""
    base = schema.as_state_machine()
    # The first failed check of each kind, as raised: a scenario's steps depend on the server's
    # answers, so Hypothesis' replay of a failure can draw differently and report only
    # "Inconsistent data generation", which hides what failed.
    failed_checks: dict[str, str] = {}

    class Counted(base):  # type: ignore[valid-type,misc]
        def before_call(self, case: Case[Any]) -> None:
            record_schemathesis_case(server.framework)
            run.cases += 1
            run.stateful_steps += 1
            run.phases["stateful"] += 1

        def step(self, input: Any) -> Any:  # a call and its checks
            try:
                return super().step(input)
            except (Exception, BaseExceptionGroup) as exc:
                key = f"{input.case.method} {input.case.path}: {type(exc).__name__}"
                failed_checks.setdefault(key, f"{key}: {exc}")
                raise

    try:
        Counted.run(settings=_hypothesis_settings(stateful_examples(run.source)))
    except hypothesis.errors.FlakyStrategyDefinition as exc:
        # The next step a scenario draws depends on the live server's earlier answers (links
        # from a 201 exist, from a 409 they do not), so Hypothesis can find that one prefix of
        # choices drew differently twice and stops the phase. Not a finding unless a step failed.
        if failed_checks:
            record_schemathesis_failure(server.framework, f"{run.source} stateful")
            run.failures += [f"stateful step failed: {text}" for text in failed_checks.values()]
        else:
            reason = str(exc).splitlines()[0]
            run.notes.append(f"stateful phase stopped after {run.stateful_steps} steps: {reason}")
    except (Exception, BaseExceptionGroup) as exc:
        record_schemathesis_failure(server.framework, f"{run.source} stateful")
        run.failures.append(f"stateful scenario: {exc}")
        run.failures += [f"stateful step failed: {text}" for text in failed_checks.values()]


def fuzz_schema(schema: BaseSchema, server: LiveServer, source: str) -> FuzzRun:
    """Run every operation of ``schema`` (all phases) against ``server``.

    Why not ``schemathesis.pytest.from_fixture``: with pytest 9.2 its lazy loader touches
    ``Function._nodeid``, which no longer exists (AttributeError). This drives the same
    per-operation Hypothesis tests schemathesis' pytest plugin builds (``get_all_tests``), then
    the state machine of the stateful phase.
    """
    from schemathesis.checks import load_all_checks
    from schemathesis.core.result import Ok
    from schemathesis.pytest.lazy import get_all_tests

    load_all_checks()
    run = FuzzRun(source=source, framework=server.framework)
    started = time.monotonic()
    operations = 0
    for result in get_all_tests(
        schema=schema, test_func=_case_test, settings=None, given_kwargs=None
    ):
        if isinstance(result, Ok):
            operation, test = result.ok()
            operations += 1
            try:
                test(server=server, run=run)
            except (Exception, BaseExceptionGroup) as exc:
                run.failures.append(f"{operation.label}: {exc}")
        else:
            run.failures.append(f"invalid schema: {result.err()}")
    if operations == 0:
        run.failures.append(f"{source} schema has no operations to test")
    _stateful(schema, server, run)
    run.seconds = time.monotonic() - started
    return run
