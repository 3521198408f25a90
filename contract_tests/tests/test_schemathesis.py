"""Schemathesis against both live servers: (a) the contract openapi.yaml, (b) each server's schema.

Config (seed, examples, phases, auth, the one place for exceptions) lives in harness/fuzz.py.
The number of generated cases of each run is printed; cases and failing operations are counted
per framework into reports/parity.json. `make fuzz` runs the same tests with many more examples
and a random seed.
"""

from __future__ import annotations

import pytest

from harness import fuzz
from harness.servers import LiveServer


def _report(run: fuzz.FuzzRun, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n[parity] {run.summary()}")


@pytest.mark.concept("fuzzing", "openapi")
def test_contract_schema_fuzz(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    run = fuzz.fuzz_schema(fuzz.contract_schema(server), server, "contract")
    _report(run, capsys)
    assert run.cases > 0
    assert not run.failures, "\n\n".join(run.failures)


@pytest.mark.concept("fuzzing", "openapi")
def test_served_schema_fuzz(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    run = fuzz.fuzz_schema(fuzz.served_schema(server), server, "served")
    _report(run, capsys)
    assert run.cases > 0
    assert not run.failures, "\n\n".join(run.failures)
