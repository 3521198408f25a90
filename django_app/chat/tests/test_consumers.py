"""The websocket protocol: echo, chat broadcast, tickets, Origin, oversize frames."""

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from pytest_django import Settings

from chat.consumers import room_group
from chat.models import Message, Room
from chat.services import issue_ticket
from chat.tests.conftest import communicator
from users.models import User

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]
# Tickets live in the database cache in embedded mode: issue them from a thread.
new_ticket = database_sync_to_async(issue_ticket)


async def chat_client(user: User, room: str = "lobby") -> WebsocketCommunicator:
    """A connected chat socket for ``user`` (a fresh ticket each time)."""
    ticket = (await new_ticket(user)).ticket
    client = communicator(f"/ws/chat/{room}?ticket={ticket}")
    connected, _ = await client.connect()
    assert connected
    return client


async def assert_refused(client: WebsocketCommunicator) -> None:
    connected, _ = await client.connect()
    assert not connected
    await client.disconnect()


@pytest.fixture
def lobby(db: None) -> Room:
    return Room.objects.create(name="lobby")


# --- echo -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"a": [1, 2.5, None, True]}, [], "text", 0, None, "é"])
async def test_echo_returns_the_same_json_value(value: Any) -> None:
    client = communicator("/ws/echo")
    assert (await client.connect())[0]

    await client.send_to(text_data=json.dumps(value))
    reply = await client.receive_from()

    assert json.loads(reply) == value
    assert reply == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    await client.disconnect()


@pytest.mark.parametrize(
    ("frame", "kind"),
    [("{not json", "text"), ("NaN", "text"), ("1e400", "text"), ("", "text"), (b"\x00", "bytes")],
)
async def test_echo_bad_frame_gets_error_and_stays_open(frame: Any, kind: str) -> None:
    client = communicator("/ws/echo")
    assert (await client.connect())[0]

    # send_input, not send_to: send_to refuses an empty text frame.
    await client.send_input({"type": "websocket.receive", kind: frame})
    error = await client.receive_json_from()

    assert error["type"] == "error"
    assert error["code"] == "malformed_json"
    assert isinstance(error["detail"], str) and error["detail"]
    await client.send_json_to({"still": "open"})
    assert await client.receive_json_from() == {"still": "open"}
    await client.disconnect()


async def test_echo_oversize_frame_closes_1009(settings: Settings) -> None:
    settings.WS_MAX_MESSAGE_BYTES = 100
    client = communicator("/ws/echo")
    assert (await client.connect())[0]

    await client.send_to(text_data=json.dumps("x" * 98))  # 100 bytes: allowed
    assert await client.receive_from() == json.dumps("x" * 98)
    await client.send_to(text_data=json.dumps("é" * 49))  # 49 characters, 100 bytes + 2
    closed = await client.receive_output()

    assert closed == {"type": "websocket.close", "code": 1009}
    await client.disconnect()


@pytest.mark.parametrize("origin", [b"http://evil.example", b"null", None])
async def test_bad_or_missing_origin_is_refused(origin: bytes | None) -> None:
    await assert_refused(communicator("/ws/echo", origin=origin))


async def test_allowed_origin_port_is_ignored() -> None:
    client = communicator("/ws/echo", origin=b"https://127.0.0.1:8443")
    assert (await client.connect())[0]
    await client.disconnect()


async def test_unknown_websocket_path_is_refused() -> None:
    await assert_refused(communicator("/ws/nowhere"))


# --- chat -----------------------------------------------------------------------------------


async def test_broadcast_reaches_everyone_and_equals_history(
    alice: User, bob: User, lobby: Room
) -> None:
    sender = await chat_client(alice)
    listener = await chat_client(bob)

    await sender.send_json_to({"body": "hello, room", "extra": "ignored"})
    to_sender = await sender.receive_json_from()
    to_listener = await listener.receive_json_from()

    assert to_sender == to_listener
    assert set(to_sender) == {"type", "id", "room", "user", "body", "created_at"}
    assert to_sender["type"] == "message"
    assert (to_sender["room"], to_sender["user"], to_sender["body"]) == (
        "lobby",
        "alice",
        "hello, room",
    )
    assert to_sender["created_at"].endswith("Z")
    history = await database_sync_to_async(_history)("lobby")
    assert history == [to_sender]
    await sender.disconnect()
    await listener.disconnect()


def _history(room: str) -> list[dict[str, Any]]:
    from chat.schemas import MessageSerializer

    messages = Message.objects.filter(room__name=room).select_related("room", "user")
    return [
        dict(data)
        for data in MessageSerializer(messages.order_by("created_at", "id"), many=True).data
    ]


async def test_other_rooms_do_not_receive(alice: User, bob: User, lobby: Room) -> None:
    await database_sync_to_async(Room.objects.create)(name="other")
    sender = await chat_client(alice)
    elsewhere = await chat_client(bob, "other")

    await sender.send_json_to({"body": "only lobby"})
    assert (await sender.receive_json_from())["body"] == "only lobby"

    assert await elsewhere.receive_nothing(timeout=0.2)
    await sender.disconnect()
    await elsewhere.disconnect()


async def test_no_frame_is_sent_after_accept(alice: User, lobby: Room) -> None:
    client = await chat_client(alice)

    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()


async def test_ticket_is_single_use(alice: User, lobby: Room) -> None:
    ticket = (await new_ticket(alice)).ticket
    first = communicator(f"/ws/chat/lobby?ticket={ticket}")
    assert (await first.connect())[0]

    await assert_refused(communicator(f"/ws/chat/lobby?ticket={ticket}"))
    await first.disconnect()


@pytest.mark.parametrize("query", ["", "?ticket=", "?ticket=forged-ticket-value-0123456789"])
async def test_missing_or_unknown_ticket_is_refused(lobby: Room, query: str) -> None:
    await assert_refused(communicator(f"/ws/chat/lobby{query}"))


async def test_expired_ticket_is_refused(alice: User, lobby: Room, settings: Settings) -> None:
    settings.WS_TICKET_TTL = -1  # already expired when stored

    await assert_refused(communicator(f"/ws/chat/lobby?ticket={(await new_ticket(alice)).ticket}"))


@pytest.mark.parametrize("room", ["nope", "NOPE"])
async def test_unknown_room_is_refused(alice: User, lobby: Room, room: str) -> None:
    await assert_refused(communicator(f"/ws/chat/{room}?ticket={(await new_ticket(alice)).ticket}"))


async def test_chat_origin_is_checked(alice: User, lobby: Room) -> None:
    ticket = (await new_ticket(alice)).ticket

    await assert_refused(
        communicator(f"/ws/chat/lobby?ticket={ticket}", origin=b"http://evil.example")
    )


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("[1, 2]", "malformed_json"),
        ('"body"', "malformed_json"),
        ("{oops", "malformed_json"),
        ("{}", "invalid_message"),
        ('{"body": 5}', "invalid_message"),
        ('{"body": ""}', "invalid_message"),
        ('{"body": " \\n\\t "}', "invalid_message"),
        ('{"body": null}', "invalid_message"),
        (json.dumps({"body": "x" * 2001}), "invalid_message"),
    ],
)
async def test_bad_chat_frames_get_errors_and_store_nothing(
    alice: User, lobby: Room, frame: str, code: str
) -> None:
    client = await chat_client(alice)

    await client.send_to(text_data=frame)
    error = await client.receive_json_from()

    assert error["type"] == "error" and error["code"] == code and error["detail"]
    await client.send_json_to({"body": "x" * 2000})  # still usable; 2000 is allowed
    assert (await client.receive_json_from())["type"] == "message"
    assert await database_sync_to_async(Message.objects.count)() == 1
    await client.disconnect()


async def test_binary_chat_frame_is_malformed(alice: User, lobby: Room) -> None:
    client = await chat_client(alice)

    await client.send_to(bytes_data=b'{"body": "hi"}')

    assert (await client.receive_json_from())["code"] == "malformed_json"
    await client.disconnect()


async def test_chat_oversize_frame_closes_1009(alice: User, lobby: Room) -> None:
    client = await chat_client(alice)

    await client.send_to(text_data=json.dumps({"body": "x" * 16384}))

    assert await client.receive_output() == {"type": "websocket.close", "code": 1009}
    await client.disconnect()


async def test_failed_broadcast_drops_the_message_and_reports_unavailable(
    alice: User, lobby: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await chat_client(alice)
    layer = get_channel_layer()

    async def redis_down(group: str, message: dict[str, Any]) -> None:
        assert group == room_group("lobby")
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(layer, "group_send", redis_down)
    await client.send_json_to({"body": "lost"})

    error = await client.receive_json_from()
    assert (error["type"], error["code"]) == ("error", "unavailable")
    assert await database_sync_to_async(Message.objects.count)() == 0
    monkeypatch.undo()
    await client.send_json_to({"body": "back"})
    assert (await client.receive_json_from())["body"] == "back"
    await client.disconnect()


async def test_hanging_broadcast_times_out(
    alice: User, lobby: Room, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    settings.WS_BROADCAST_TIMEOUT = 0.2
    client = await chat_client(alice)
    layer = get_channel_layer()

    async def hang(group: str, message: dict[str, Any]) -> None:
        import asyncio

        await asyncio.sleep(30)

    monkeypatch.setattr(layer, "group_send", hang)
    await client.send_json_to({"body": "stuck"})

    error = await client.receive_json_from(timeout=2)
    assert error["code"] == "unavailable"
    assert await database_sync_to_async(Message.objects.count)() == 0
    await client.disconnect()


async def test_slow_reader_does_not_block_the_room(
    alice: User, bob: User, lobby: Room, settings: Settings
) -> None:
    sender = await chat_client(alice)
    await chat_client(bob)  # connected, never reads

    for index in range(settings.WS_SEND_BACKLOG + 20):
        await sender.send_json_to({"body": f"m{index}"})
        assert (await sender.receive_json_from())["body"] == f"m{index}"
    await sender.disconnect()


def test_outbox_marks_each_gap_once_where_messages_are_missing() -> None:
    from chat.consumers import Outbox

    outbox = Outbox(2)
    for n in range(5):  # 0 and 1 fit; 2, 3, 4 are dropped: one marker
        outbox.put({"n": n})
    assert outbox.queue.qsize() == 3
    first = [outbox.queue.get_nowait() for _ in range(3)]
    assert first == [{"n": 0}, {"n": 1}, Outbox.MARKER]
    assert Outbox.MARKER["code"] == "lagging"
    outbox = Outbox(5)
    outbox.put({"n": 5})
    outbox.mark_gap()  # reported upstream (the channel layer): a second gap
    outbox.put({"n": 6})
    assert [outbox.queue.get_nowait() for _ in range(3)] == [{"n": 5}, Outbox.MARKER, {"n": 6}]


async def test_a_full_channel_is_reported_as_lagging(alice: User, lobby: Room) -> None:
    """The in-memory layer's drops (a full channel) reach the client as ``lagging``."""
    client = await chat_client(alice)
    layer = get_channel_layer()
    await client.send_json_to({"body": "first"})
    first = await client.receive_json_from()
    (channel,) = layer.groups[room_group(lobby.name)]
    layer.dropped[channel] += 3
    await client.send_json_to({"body": "second"})
    second = await client.receive_json_from()
    lagging = await client.receive_json_from()
    assert (first["body"], second["body"], lagging["code"]) == ("first", "second", "lagging")
    await client.disconnect()
