"""A deliberately wrong websocket server: /ws/echo gets the protocol wrong in visible ways.

It echoes the raw text unchanged (not re-serialised compactly), echoes malformed frames back
instead of answering an error frame, accepts any Origin (or none), and takes frames far over
the 16 KiB limit instead of closing with 1009. Every other path is refused with 404.
"""

from __future__ import annotations

import threading

from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve


def _route(connection: ServerConnection, request: Request) -> Response | None:
    if request.path.split("?")[0] != "/ws/echo":
        return connection.respond(404, "no such websocket\n")
    return None  # wrong: no Origin check at all


def _echo(connection: ServerConnection) -> None:
    for frame in connection:
        connection.send(frame)  # wrong: raw echo, binary echoed, no error frames


def start() -> Server:
    """Serve on 127.0.0.1 (a free port) in a daemon thread; ``.shutdown()`` stops it."""
    server = serve(_echo, "127.0.0.1", 0, process_request=_route, max_size=None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
