"""A small asyncio HTTP/1.1 server: JSON in, JSON out, keep-alive, one event loop.

The reward server scores on an event loop (judge calls are async); serving HTTP on that same
loop avoids a thread per connection and a thread hand-off per request, which under the GIL
cost more than scoring a verifiable reward. It reads what OpenRLHF's aiohttp client sends
(``Content-Length`` bodies) and refuses what it does not (chunked bodies, 411).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Handler", "Request", "serve_connection"]

_MAX_HEADERS = 100
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Request:
    """One parsed request."""

    method: str
    path: str
    body: bytes
    keep_alive: bool


Handler = Callable[[Request], Awaitable[tuple[int, dict[str, Any]]]]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _read_request(reader: asyncio.StreamReader, max_body: int) -> Request | None:
    """The next request on the connection, or None when the client closed it."""
    line = await reader.readline()
    if not line.strip():
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _Refused(400, "not an HTTP/1.x request line")
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise _Refused(400, f"more than {_MAX_HEADERS} headers")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise _Refused(411, "send the body with a Content-Length, not chunked")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise _Refused(400, "Content-Length is not a number") from None
    if length > max_body:
        raise _Refused(413, f"body of {length} bytes is over {max_body}")
    body = await reader.readexactly(length) if length > 0 else b""
    connection = headers.get("connection", "").lower()
    keep = connection != "close" if parts[2] == "HTTP/1.1" else connection == "keep-alive"
    return Request(parts[0].upper(), parts[1], body, keep)


def _response(status: int, payload: dict[str, Any], keep_alive: bool) -> bytes:
    body = json.dumps(payload).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("latin-1") + body


async def serve_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    handler: Handler,
    *,
    max_body: int,
) -> None:
    """Answer the requests of one connection until the client closes it (or asks to)."""
    try:
        while True:
            try:
                request = await _read_request(reader, max_body)
            except _Refused as refused:
                writer.write(_response(refused.status, {"error": str(refused)}, False))
                await writer.drain()
                return
            except ValueError:  # a request or header line over the reader's limit
                writer.write(_response(400, {"error": "a request line is too long"}, False))
                await writer.drain()
                return
            if request is None:
                return
            status, payload = await handler(request)
            writer.write(_response(status, payload, request.keep_alive))
            await writer.drain()
            if not request.keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return  # the client went away mid-request: nothing to answer
    finally:
        writer.close()
