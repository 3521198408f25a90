"""The whole-surface differential can fail: a correct mock pair passes, each wrong one fails.

selftest/differential_pair.py serves a slice of the contract; each fault in its FAULTS list
is one deliberate mistake (merging ``//``, keeping a client-chosen session id, no Origin
check, re-issuing the session cookie on reads, another Cache-Control, an unclassified header,
a 500, an HTML error, reading a chunked body, closing the websocket on a lone surrogate). The
check of harness/differential.py (the one tests/test_surface_differential.py runs) is pointed
at (correct, wrong) and must report at least one finding of the expected kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from harness import differential, mutator, surface
from selftest import differential_pair as pair

ITEMS = ("GET", "/api/v1/items")
CATALOGUE = (
    surface.Baseline(ITEMS, "/api/v1/items", auth="bearer", concept="path-params"),
    surface.Baseline(
        ("POST", "/api/v1/items"), "/api/v1/items", auth="bearer", json_body={"name": "lamp"}
    ),
    surface.Baseline(
        ("POST", "/api/v1/items"), "/api/v1/items", auth="session", json_body={"name": "lamp"}
    ),
    surface.Baseline(
        ("POST", "/auth/login"),
        "/auth/login",
        auth="csrf-only",
        form=(("username", "alice"), ("password", "pw")),
        body="json",
    ),
    surface.Baseline(("GET", "/auth/whoami"), "/auth/whoami", auth="session"),
)
#: fault -> (classes to run, the finding kind it must produce)
EXPECTED: dict[str, tuple[tuple[str, ...], str]] = {
    "merge-slashes": (("path",), "mismatch"),
    "session-fixation": (("cookies",), "mismatch"),
    "no-origin-check": (("headers",), "mismatch"),
    "reissue-session-cookie": (("baseline",), "mismatch"),
    "cache-control": (("baseline",), "mismatch"),
    "unclassified-header": (("baseline",), "unclassified-header"),
    "server-error": (("body",), "5xx"),
    "html-error": (("path",), "not-problem"),
    "reads-chunked": (("framing",), "mismatch"),
    "ws-closes-on-surrogate": (("websockets",), "mismatch"),
}
WS_CASES = [c for c in differential.ws_cases() if c[1] == "echo" and c[2] is not None]


class _Server:
    def __init__(self, mock: pair.MockServer) -> None:
        self.base_url = mock.base_url
        self.ws_base_url = mock.ws_base_url


def _side(name: str, mock: pair.MockServer) -> differential.SurfaceSide:
    state = surface.SideState(base_url=mock.base_url, host=mock.base_url.split("//")[1])
    state.values.update(
        token=pair.TOKEN, token2="other", csrf=pair.CSRF, fresh_csrf=pair.CSRF, username="alice"
    )
    # a session of alice on this server (the login answer's id)
    side = differential.SurfaceSide(name, _Server(mock), state)
    resp = side.send(
        mutator.Request(
            "POST",
            "/auth/login",
            (("Cookie", f"csrftoken={pair.CSRF}"), ("X-CSRFToken", pair.CSRF)),
            b"x=1",
        )
    )
    assert not isinstance(resp, str)
    state.values["sid"] = (resp.header("set-cookie") or "").split(";")[0].split("=", 1)[1]
    return side


def _findings(fault: str, classes: tuple[str, ...]) -> list[differential.Finding]:
    with ExitStack() as stack:
        good = stack.enter_context(pair.start(""))
        other = stack.enter_context(pair.start(fault))
        run = differential.SurfaceRun([_side("correct", good), _side(fault or "twin", other)], 1)
        try:
            for cls in classes:
                if cls == "baseline":
                    run.run_baselines(CATALOGUE)
                elif cls == "websockets":
                    differential.run_ws(run, WS_CASES)
                else:
                    run.run_class(cls, CATALOGUE, limit=None)
        finally:
            run.close()
        return run.findings


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    yield


def test_correct_pair_passes() -> None:
    classes = ("baseline", "path", "headers", "cookies", "body", "framing", "websockets")
    found = _findings("", classes)
    assert not found, "\n".join(
        f"{f.cls} {f.operation} {f.variant}: {f.kind} {f.detail}" for f in found[:20]
    )


@pytest.mark.parametrize("fault", pair.FAULTS)
def test_each_wrong_server_fails_the_check(fault: str) -> None:
    classes, kind = EXPECTED[fault]
    found = _findings(fault, classes)
    kinds = {f.kind for f in found}
    assert kind in kinds, f"{fault}: expected a {kind} finding, got {sorted(kinds)}"
