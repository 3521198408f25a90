"""Differential check: the same generated request sequences sent to both servers, compared.

The machinery (state machine, pairing of ids, normalisation) is in harness/differential.py.
Needs both frameworks (skipped when PARITY_FRAMEWORKS selects one).
"""

from __future__ import annotations

import pytest

from harness import differential
from harness.servers import LiveServer


@pytest.mark.concept("differential")
def test_same_sequences_same_answers(
    servers: dict[str, LiveServer], capsys: pytest.CaptureFixture[str]
) -> None:
    run = differential.run_differential(servers)
    with capsys.disabled():
        print(f"\n[parity] {run.summary()}")
    assert run.requests > 0
