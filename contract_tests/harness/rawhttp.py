"""Raw HTTP/1.1: send exact bytes to a live server and parse the answer.

httpx normalises what a hostile or careless client sends (it merges duplicate headers, cleans
paths, always sets Host and frames the body itself). The edge cases of the contract (two
``Authorization`` or ``Host`` headers, ``//`` in a path, chunked or lying framing) need the
bytes on the wire to be exactly the test's, so they go through this module instead.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.servers import LiveServer

READ_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RawResponse:
    """One parsed answer: status, headers in wire order (names lower-cased), body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        """Every value of a header, in wire order."""
        key = name.lower()
        return [value for header, value in self.headers if header == key]

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()


def host_port(server: LiveServer) -> tuple[str, int]:
    parts = urlsplit(server.base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def default_host(server: LiveServer) -> str:
    """The Host header value a browser would send to this server."""
    return urlsplit(server.base_url).netloc


def build(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
) -> bytes:
    """Serialise a request exactly as given: no header is added, merged or reordered."""
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


def send(
    server: LiveServer,
    data: bytes,
    *,
    head: bool = False,
    timeout: float = READ_TIMEOUT_S,
) -> RawResponse:
    """Send ``data`` on a fresh connection and parse the first response.

    ``head=True`` tells the parser the request was HEAD (the response carries no body).
    """
    with socket.create_connection(host_port(server), timeout=timeout) as sock:
        sock.sendall(data)
        reader = _Reader(sock)
        return _parse(reader, head=head)


def request(
    server: LiveServer,
    method: str,
    target: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    *,
    host: str | None = "",
    content_length: bool = True,
    timeout: float = READ_TIMEOUT_S,
) -> RawResponse:
    """A request with ``Host`` (unless ``host=None``) and ``Content-Length`` for a body added.

    ``host=""`` means the server's own host:port. Pass ``content_length=False`` to frame the body
    yourself (chunked, a lying length).
    """
    wire: list[tuple[str, str]] = []
    if host is not None:
        wire.append(("Host", host or default_host(server)))
    wire.extend(headers or [])
    if body and content_length and not any(k.lower() == "content-length" for k, _ in wire):
        wire.append(("Content-Length", str(len(body))))
    wire.append(("Connection", "close"))
    return send(server, build(method, target, wire, body), head=method == "HEAD", timeout=timeout)


def chunked(body: bytes, size: int = 1024) -> bytes:
    """``body`` in Transfer-Encoding: chunked framing (chunks of ``size`` bytes)."""
    out = bytearray()
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return bytes(out) + b"0\r\n\r\n"


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.closed = False

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            self.closed = True
        self.buffer += chunk

    def until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            if self.closed:
                raise ConnectionError(f"connection closed before {marker!r}: {self.buffer[:200]!r}")
            self._fill()
        found, self.buffer = self.buffer.split(marker, 1)
        return found

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if self.closed:
                raise ConnectionError("connection closed mid-body")
            self._fill()
        found, self.buffer = self.buffer[:size], self.buffer[size:]
        return found

    def rest(self) -> bytes:
        while not self.closed:
            self._fill()
        found, self.buffer = self.buffer, b""
        return found


def _parse(reader: _Reader, *, head: bool) -> RawResponse:
    while True:
        status_line, *lines = reader.until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        if status != 100:  # an interim 100 Continue precedes the real answer
            break
    headers = []
    for line in lines:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    response = RawResponse(status, headers, b"")
    if head or status in (204, 304) or 100 <= status < 200:
        return response
    if (response.header("transfer-encoding") or "").lower() == "chunked":
        body = bytearray()
        while size := int(reader.until(b"\r\n").split(b";")[0], 16):
            body += reader.exactly(size)
            reader.until(b"\r\n")
        reader.until(b"\r\n")  # trailers end with an empty line
        return RawResponse(status, headers, bytes(body))
    if (length := response.header("content-length")) is not None:
        return RawResponse(status, headers, reader.exactly(int(length)))
    return RawResponse(status, headers, reader.rest())
