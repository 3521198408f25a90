"""Known divergences: contract tests a framework truly cannot pass, each argued.

Key: ``(test id without its parameter, framework)``, e.g.
``("tests/test_errors.py::test_options_returns_allow", "litestar")``. The test id is the pytest
node id relative to ``contract_tests/`` with the ``[...]`` parameter part removed.

Value: a :class:`Divergence` with the reason (why the framework cannot meet the contract, not
"not done yet") and an upstream URL (issue, docs or source line) that backs it.

How the parity plugin treats an entry:

* the test fails on that framework -> reported as ``divergence`` (not a failure; the run passes);
* the test passes on that framework -> the run FAILS ("stale divergence": remove the entry).

The list starts empty; every entry must be argued in review. ``make parity`` prints the
reasons in the matrix's "divergence notes" column and in ``reports/parity.json``.
"""

from __future__ import annotations

from typing import NamedTuple


class Divergence(NamedTuple):
    """Why a framework cannot pass one contract test."""

    reason: str
    upstream: str


KNOWN_DIVERGENCES: dict[tuple[str, str], Divergence] = {}
