"""Proof the stateful fuzz phase still fails on a failed step when Hypothesis reports "flaky".

A scenario's steps depend on the live server's answers, so Hypothesis may stop the phase
with ``FlakyStrategyDefinition`` ("Inconsistent data generation") when it replays a prefix
and the server answers differently. ``harness.fuzz._stateful`` treats that as a note when
every step passed, but a step that failed before it (a schema violation, a 500) must stay
a failure. The state machines here stand in for schemathesis' (same ``step`` / ``run``).
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

import hypothesis.errors
import pytest

from harness import fuzz
from harness.servers import LiveServer

SERVER = LiveServer(framework="litestar", base_url="http://127.0.0.1:9", mode="embedded")
STEP = SimpleNamespace(case=SimpleNamespace(method="POST", path="/api/v1/items"))


def _schema(step_fails: bool, then: BaseException) -> Any:
    class Machine:
        def step(self, input: Any) -> None:
            if step_fails:
                raise AssertionError('ST108 Response violates schema: "-0.00"')

        @classmethod
        def run(cls, settings: Any = None) -> None:
            # Hypothesis replays the failing scenario; the replay drew differently
            with contextlib.suppress(AssertionError):
                cls().step(STEP)
            raise then

    return SimpleNamespace(as_state_machine=lambda: Machine)


FLAKY = hypothesis.errors.FlakyStrategyDefinition("Inconsistent data generation! ...")


def _run(schema: Any) -> fuzz.FuzzRun:
    run = fuzz.FuzzRun(source="contract", framework="litestar")
    fuzz._stateful(schema, SERVER, run)
    return run


def test_flaky_after_a_failed_step_is_a_failure() -> None:
    run = _run(_schema(step_fails=True, then=FLAKY))
    assert any("ST108" in failure for failure in run.failures), run.failures


def test_flaky_with_every_step_passing_is_a_note() -> None:
    run = _run(_schema(step_fails=False, then=FLAKY))
    assert run.failures == []
    assert run.notes and "Inconsistent data generation" in run.notes[0]
    assert "note: stateful phase stopped" in run.summary()


@pytest.mark.parametrize("step_fails", [True, False])
def test_any_other_error_is_a_failure(step_fails: bool) -> None:
    run = _run(_schema(step_fails=step_fails, then=AssertionError("Server error: 500")))
    assert any("500" in failure for failure in run.failures), run.failures
