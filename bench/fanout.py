"""Websocket fan-out bench: N clients in one chat room, M messages, on both apps.

Protocol (the chat contract, contract_tests/websocket-protocol.md):
each client gets a single-use ticket (``POST /api/v1/chat/tickets``, bearer token), opens
``/ws/chat/<room>?ticket=...`` with an allowed ``Origin``, and every ``{"body": ...}`` frame
one client sends is persisted and broadcast to every subscriber, sender included.

Two phases per server, servers alternated (A B, B A, ...) over ``--rounds`` (medians kept):

* paced: client 0 sends M messages at ``--rate`` per second; every delivery's latency is
  receive time minus the send time carried in the body -> p50 / p99 delivery latency.
* flood: client 0 sends M messages back to back -> delivered messages per second
  (N x M deliveries over the time from the first send to the last delivery).

Writes ``results/fanout-<mode>.json`` and prints a table. The clients run in this one
process (asyncio + websockets) on the same 2 cores as the server: the latencies include
the client's own scheduling delay, which is the same for both apps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from quiet import allow_busy
from run import RESULTS, Server, finish, log, machine, quiet_gate, running

APPS = ("litestar", "django")


@dataclass
class Phase:
    latencies_ms: list[float] = field(default_factory=list)
    delivered: int = 0
    expected: int = 0
    first_send: float = 0.0
    last_delivery: float = 0.0


async def ensure_room(client: httpx.AsyncClient, token: str, room: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.post("/api/v1/chat/rooms", headers=headers, json={"name": room})
    assert response.status_code == 201, response.text


async def connect_clients(server: Server, room: str, count: int) -> list[ClientConnection]:
    """One socket per ticket, each redeemed as soon as it is issued.

    Both apps cap a user's outstanding tickets (``TICKETS_PER_USER``, security decision):
    asking for all tickets first would evict the oldest before they are used.
    """
    headers = {"Authorization": f"Bearer {server.token}"}
    ws_url = server.url.replace("http://", "ws://") + f"/ws/chat/{room}"
    sockets = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for _ in range(count):
            response = await client.post("/api/v1/chat/tickets", headers=headers, json={})
            assert response.status_code == 201, response.text
            ticket = response.json()["ticket"]
            sockets.append(
                await connect(f"{ws_url}?ticket={ticket}", origin=server.url, max_queue=None)  # type: ignore[arg-type]
            )
    return sockets


async def receiver(ws: ClientConnection, phases: dict[str, Phase], stop: asyncio.Event) -> None:
    """Record the latency of every broadcast message (its body: "<phase> <seq> <sent ns>")."""
    async for raw in ws:
        received = time.perf_counter_ns()
        frame = json.loads(raw)
        if frame.get("type") != "message":
            continue
        name, _seq, sent = frame["body"].split()
        phase = phases[name]
        phase.latencies_ms.append((received - int(sent)) / 1e6)
        phase.delivered += 1
        phase.last_delivery = received / 1e9
        if all(p.delivered >= p.expected for p in phases.values() if p.expected):
            stop.set()


async def run_phase(
    name: str,
    sender: ClientConnection,
    phases: dict[str, Phase],
    clients: int,
    messages: int,
    rate: float | None,
    stop: asyncio.Event,
    timeout: float,
) -> Phase:
    phase = phases[name]
    phase.expected = clients * messages
    phase.first_send = time.perf_counter()
    for seq in range(messages):
        await sender.send(json.dumps({"body": f"{name} {seq} {time.perf_counter_ns()}"}))
        if rate:
            await asyncio.sleep(max(0.0, phase.first_send + (seq + 1) / rate - time.perf_counter()))
    try:
        await asyncio.wait_for(stop.wait(), timeout)
    except TimeoutError:
        log(f"{name}: {phase.delivered}/{phase.expected} delivered before the {timeout} s timeout")
    stop.clear()
    return phase


async def fanout(server: Server, clients: int, messages: int, rate: float) -> dict[str, Any]:
    room = f"bench-{int(time.time() * 1000) % 10**8}"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        await ensure_room(client, server.token, room)
    sockets = await connect_clients(server, room, clients)
    phases = {"paced": Phase(), "flood": Phase()}
    stop = asyncio.Event()
    tasks = [asyncio.create_task(receiver(ws, phases, stop)) for ws in sockets]
    try:
        paced = await run_phase(
            "paced", sockets[0], phases, clients, messages, rate, stop, timeout=60
        )
        flood = await run_phase(
            "flood", sockets[0], phases, clients, messages, None, stop, timeout=60
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else -1

    span = max(flood.last_delivery - flood.first_send, 1e-9)
    return {
        "paced_rate": rate,
        "p50_ms": pct(paced.latencies_ms, 0.50),
        "p99_ms": pct(paced.latencies_ms, 0.99),
        "max_ms": round(max(paced.latencies_ms, default=-1), 2),
        "paced_delivered": paced.delivered,
        "paced_expected": paced.expected,
        "flood_delivered": flood.delivered,
        "flood_expected": flood.expected,
        "flood_deliveries_per_s": round(flood.delivered / span, 1),
        "flood_p99_ms": pct(flood.latencies_ms, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("services", "embedded"), default="services")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="paced messages per second")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    quiet = quiet_gate()
    logdir = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    info = machine()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in APPS}
    with running(args.mode, list(APPS), 1, logdir, items=0) as servers:
        for round_no in range(args.rounds):
            order = servers if round_no % 2 == 0 else servers[::-1]
            for server in order:
                result = asyncio.run(fanout(server, args.clients, args.messages, args.rate))
                runs[server.name].append(result)
                log(f"{server.name} round {round_no + 1}: {result}")
    summary = {}
    for name, results in runs.items():
        summary[name] = {
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "p99_ms_rounds": [r["p99_ms"] for r in results],
            "flood_deliveries_per_s": statistics.median(
                r["flood_deliveries_per_s"] for r in results
            ),
            "lost": sum(
                r["paced_expected"]
                - r["paced_delivered"]
                + r["flood_expected"]
                - r["flood_delivered"]
                for r in results
            ),
        }
    out = {
        "mode": args.mode,
        "clients": args.clients,
        "messages": args.messages,
        "rate": args.rate,
        "rounds": args.rounds,
        "machine": info,
        "runs": runs,
        "summary": summary,
    }
    quiet.check_after()
    info["quiet"] = quiet.record()
    if quiet.busy and not allow_busy():
        args.out = args.out / "busy"  # not published (git ignores results/busy/)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"fanout-{args.mode}.json").write_text(json.dumps(out, indent=2) + "\n")
    print(
        f"\n== fan-out ({args.mode}): {args.clients} clients, {args.messages} messages "
        f"(paced at {args.rate}/s, then flooded)"
    )
    print(f"{'app':<10}{'p50 ms':>9}{'p99 ms':>9}{'flood deliveries/s':>20}{'lost':>6}")
    for name, row in summary.items():
        print(
            f"{name:<10}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{row['flood_deliveries_per_s']:>20.0f}{row['lost']:>6}"
        )
    finish(quiet)


if __name__ == "__main__":
    main()
