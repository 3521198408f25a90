"""Schemathesis against both live servers: (a) the contract openapi.yaml, (b) each server's schema.

Config (seed, examples, phases, the one place for exceptions) lives in harness/fuzz.py.
Cases and failing operations are counted per framework into reports/parity.json.
"""

from __future__ import annotations

import pytest

from harness import fuzz
from harness.servers import LiveServer


@pytest.mark.concept("openapi")
def test_contract_schema_fuzz(server: LiveServer) -> None:
    failures = fuzz.fuzz_schema(fuzz.contract_schema(server), server, "contract")
    assert not failures, "\n\n".join(failures)


@pytest.mark.concept("openapi")
def test_served_schema_fuzz(server: LiveServer) -> None:
    failures = fuzz.fuzz_schema(fuzz.served_schema(server), server, "served")
    assert not failures, "\n\n".join(failures)
