"""`make parity` on two xdist workers: the grouping and the merged matrix are right.

Each worker records its own tests; the controller merges the workers' exports. A merge that
lost a worker's outcomes, or let a pass hide a failure, would publish a wrong matrix.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from conftest import CROSS_GROUP, xdist_group_of
from harness.parity import ItemInfo, ParityState, build_report


def _state() -> ParityState:
    return ParityState(
        concepts={"health": "Health", "items": "Items"},
        frameworks=("django", "litestar"),
        divergences={},
    )


def _worker(framework: str, outcome: str) -> dict[str, Any]:
    state = _state()
    nodeid = f"tests/test_health.py::test_shape[{framework}]"
    info = ItemInfo("tests/test_health.py::test_shape", ("health",), (framework,))
    state.add_item(nodeid, info)
    state.record(info, outcome)
    return state.export()


def test_merge_keeps_every_workers_results() -> None:
    controller = _state()
    controller.merge(_worker("django", "pass"))
    controller.merge(_worker("litestar", "fail"))
    concepts = build_report(controller)["concepts"]
    assert concepts["health"] == {"django": "pass", "litestar": "fail", "tests": 1}
    assert concepts["items"]["django"] == "missing"


def test_merge_worst_outcome_wins() -> None:
    controller = _state()
    controller.merge(_worker("django", "fail"))
    controller.merge(_worker("django", "pass"))
    assert controller.concept_status("health", "django") == "fail"


def _item(fixtures: tuple[str, ...], framework: str | None, group: str | None = None) -> Any:
    callspec = SimpleNamespace(params={"framework": framework}) if framework else None
    mark = pytest.mark.xdist_group(group).mark if group else None
    return SimpleNamespace(
        fixturenames=fixtures,
        callspec=callspec,
        get_closest_marker=lambda name: mark if name == "xdist_group" else None,
    )


@pytest.mark.parametrize(
    ("fixtures", "framework", "group"),
    [
        (("framework", "server", "client"), "django", "django"),
        (("framework", "server", "tuned"), "litestar", "litestar"),
        (("servers", "capsys"), None, CROSS_GROUP),
        (("framework", "clients"), "django", CROSS_GROUP),
        (("tmp_path",), None, None),
    ],
)
def test_group_follows_the_fixtures(
    fixtures: tuple[str, ...], framework: str | None, group: str | None
) -> None:
    assert xdist_group_of(_item(fixtures, framework)) == group


@pytest.mark.parametrize("framework", ["django", "litestar"])
def test_an_xdist_group_mark_wins(framework: str) -> None:
    """`make chaos` splits by marks: both frameworks' load tests on one worker, never two."""
    item = _item(("framework", "server"), framework, group="chaos-load")
    assert xdist_group_of(item) == "chaos-load"
