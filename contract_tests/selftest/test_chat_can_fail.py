"""Proof the chat contract tests can fail: a wrong websocket server, mutated chat frames.

The echo tests run in a pytest subprocess against :mod:`selftest.wrong_ws_server` (through
PARITY_DJANGO_URL / PARITY_LITESTAR_URL); the frame checks the chat tests rely on are fed
good frames and mutations of them. No app is needed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.ws import assert_error_frame, assert_message_frame, is_compact_json
from selftest import wrong_ws_server
from selftest.test_suite_can_fail import FRAMEWORKS, cases_of, run_suite

#: Echo tests (function names) that must FAIL on every framework against the wrong server.
EXPECTED_FAILURES = [
    "test_echo_round_trip",
    "test_echo_malformed_frame_gets_error_and_stays_open",
    "test_echo_oversize_frame_closes_1009",
]
#: Origin cases the contract refuses (ids end in "-403]"); the wrong server accepts them all.
REFUSED_ORIGIN_CASES = 4


@pytest.fixture(scope="module")
def wrong_ws_url() -> Iterator[str]:
    server = wrong_ws_server.start()
    try:
        yield f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    finally:
        server.shutdown()


def test_echo_tests_fail_against_a_wrong_websocket_server(
    wrong_ws_url: str, tmp_path: Path
) -> None:
    node_ids = [f"tests/test_websockets.py::{name}" for name in EXPECTED_FAILURES]
    node_ids.append("tests/test_websockets.py::test_echo_origin_allow_list")
    proc, outcomes, report = run_suite(node_ids, tmp_path, wrong_ws_url)
    assert proc.returncode == 1, f"expected test failures (exit 1):\n{proc.stdout[-3000:]}"
    for name in EXPECTED_FAILURES:
        for fw in FRAMEWORKS:
            cases = cases_of(outcomes, name, fw)
            assert cases, f"{name}[{fw}] did not run:\n{proc.stdout[-2000:]}"
            passed = [case for case, outcome in cases.items() if outcome == "passed"]
            assert not passed, f"passed against the wrong server: {passed}"
    for fw in FRAMEWORKS:
        origin_cases = cases_of(outcomes, "test_echo_origin_allow_list", fw)
        refused = {c: o for c, o in origin_cases.items() if c.endswith("-403]")}
        assert len(refused) == REFUSED_ORIGIN_CASES, origin_cases
        assert set(refused.values()) == {"failed"}, refused
        assert report["concepts"]["websockets"][fw] == "fail", report["concepts"]["websockets"]


# --------------------------------------------------------------------------- frame mutations

ROOM, USER, BODY = "lobby", "alice", "hello"
GOOD_MESSAGE: dict[str, Any] = {
    "type": "message",
    "id": 7,
    "room": ROOM,
    "user": USER,
    "body": BODY,
    "created_at": "2026-01-02T03:04:05.678901Z",
}
GOOD_ERROR = {"type": "error", "code": "invalid_message", "detail": "body: required"}


def test_frame_checks_accept_good_frames() -> None:
    assert assert_message_frame(GOOD_MESSAGE, room=ROOM, user=USER, body=BODY) == GOOD_MESSAGE
    assert assert_error_frame(GOOD_ERROR, "invalid_message") == GOOD_ERROR
    assert is_compact_json('{"a":[1,"two words"]}')


def _mutated(**changes: Any) -> dict[str, Any]:
    message = copy.deepcopy(GOOD_MESSAGE)
    for key, value in changes.items():
        if value is ...:
            del message[key]
        else:
            message[key] = value
    return message


MESSAGE_MUTATIONS: dict[str, dict[str, Any]] = {
    "extra key": _mutated(extra=1),
    "type missing": _mutated(type=...),
    "type renamed": _mutated(type="chat.message"),
    "id as string": _mutated(id="7"),
    "id zero": _mutated(id=0),
    "user as object": _mutated(user={"username": USER}),
    "other user": _mutated(user="mallory"),
    "other room": _mutated(room="elsewhere"),
    "other body": _mutated(body="hello!"),
    "created_at missing": _mutated(created_at=...),
    "created_at with offset": _mutated(created_at="2026-01-02T03:04:05+00:00"),
    "created_at epoch": _mutated(created_at=1767323045),
}


@pytest.mark.parametrize("mutation", list(MESSAGE_MUTATIONS))
def test_message_check_rejects_mutations(mutation: str) -> None:
    with pytest.raises(AssertionError):
        assert_message_frame(MESSAGE_MUTATIONS[mutation], room=ROOM, user=USER, body=BODY)


ERROR_MUTATIONS: dict[str, Any] = {
    "other code": GOOD_ERROR | {"code": "malformed_json"},
    "unknown code": GOOD_ERROR | {"code": "bad_request"},
    "no detail": {"type": "error", "code": "invalid_message"},
    "empty detail": GOOD_ERROR | {"detail": ""},
    "type message": GOOD_ERROR | {"type": "message"},
    "not an object": ["error", "invalid_message"],
    "extra key": GOOD_ERROR | {"status": 400},
}


@pytest.mark.parametrize("mutation", list(ERROR_MUTATIONS))
def test_error_check_rejects_mutations(mutation: str) -> None:
    with pytest.raises(AssertionError):
        assert_error_frame(ERROR_MUTATIONS[mutation], "invalid_message")


@pytest.mark.parametrize("raw", ['{"a": 1}', "[1, 2]", '{\n"a":1}', '{"a":1} '])
def test_compact_check_rejects_whitespace(raw: str) -> None:
    assert not is_compact_json(raw)


# --------------------------------------------------------------------------- edge cases

#: Edge-case echo tests (tests/test_edge_websockets.py) that must FAIL on every framework
#: against the wrong server: it echoes lone surrogates, deep nesting and binary frames back,
#: and never closes with 1009.
EDGE_FAILURES = [
    "test_echo_malformed_text_gets_error_and_stays_open",
    "test_echo_binary_and_huge_frames",
]


def test_edge_tests_fail_against_a_wrong_websocket_server(
    wrong_ws_url: str, tmp_path: Path
) -> None:
    node_ids = [f"tests/test_edge_websockets.py::{name}" for name in EDGE_FAILURES]
    proc, outcomes, _ = run_suite(node_ids, tmp_path, wrong_ws_url)
    assert proc.returncode == 1, f"expected test failures (exit 1):\n{proc.stdout[-3000:]}"
    for name in EDGE_FAILURES:
        for fw in FRAMEWORKS:
            cases = cases_of(outcomes, name, fw)
            assert cases, f"{name}[{fw}] did not run:\n{proc.stdout[-2000:]}"
            passed = [case for case, outcome in cases.items() if outcome == "passed"]
            assert not passed, f"passed against the wrong server: {passed}"


# --------------------------------------------------------------------------- overload


def _room(drop: int = 0, lagging: bool = False, unavailable: int = 0) -> tuple[Any, Any]:
    """Three members, two messages each, everything delivered; then the asked-for faults."""
    from chaos.test_chat_overload import Member
    from harness.accounts import Account

    account = Account(id="1", username="alice", email="a@example.com", password="x", token="t")
    members = [Member(i, account) for i in range(3)]
    stored: list[dict[str, Any]] = []
    for member in members:
        for n in range(2):
            body = f"m{member.index}-{n}"
            member.sent.append(body)
            if len(stored) < 6 - unavailable:
                stored.append(GOOD_MESSAGE | {"id": len(stored) + 1, "body": body})
    for member in members:
        member.frames = copy.deepcopy(stored)
    if unavailable:
        members[2].frames.append(GOOD_ERROR | {"code": "unavailable"})
    del members[1].frames[:drop]
    if lagging:
        members[1].frames.append(GOOD_ERROR | {"code": "lagging"})
    return members, stored


def test_overload_check_accepts_a_sound_room() -> None:
    from chaos.test_chat_overload import check_room

    assert check_room(*_room())["delivered"] == 18
    assert check_room(*_room(drop=2, lagging=True))["lagging"] == 1
    assert check_room(*_room(unavailable=1))["unavailable"] == 1


@pytest.mark.parametrize(
    "fault",
    ["silent-drop", "spurious-lagging", "silent-unavailable", "duplicate", "altered"],
)
def test_overload_check_catches_silent_loss(fault: str) -> None:
    """A room where a message was lost silently (the stock in-memory layer) fails the check."""
    from chaos.test_chat_overload import check_room

    members, stored = _room(
        drop=2 if fault == "silent-drop" else 0,
        lagging=fault == "spurious-lagging",
        unavailable=1 if fault == "silent-unavailable" else 0,
    )
    if fault == "silent-unavailable":
        members[2].frames.pop()  # the sender was never told
    if fault == "duplicate":
        members[0].frames.append(members[0].frames[0])
    if fault == "altered":
        members[0].frames[0] = members[0].frames[0] | {"body": "changed"}
    with pytest.raises(AssertionError):
        check_room(members, stored)
