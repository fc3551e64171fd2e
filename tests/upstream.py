"""A small HTTP/1.1 server on 127.0.0.1 that plays a hostile or odd upstream (a PDS, an
authorization server, a blob host): each path is a handler the test writes. It records every
request (method, path, headers) so tests can tell what plyr asked for, or that it asked nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[["Seen", asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Upstream:
    port: int = 0
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    connections: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, *lines = head.decode("latin-1").split("\r\n")
            method, target, _ = line.split(" ", 2)
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines if h)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers, body)
            self.requests.append(seen)
            handler = self.routes.get(target.split("?", 1)[0], not_found)
            await handler(seen, writer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            with contextlib.suppress(ConnectionError):
                writer.close()


def respond(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]:
    async def handler(_seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(head(status, {"content-length": str(len(body)), **(headers or {})}) + body)

    return handler


def respond_json(status: int, data: Any) -> Handler:
    return respond(status, json.dumps(data).encode(), {"content-type": "application/json"})


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [
        f"HTTP/1.1 {status} X",
        "connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def not_found(_seen: Seen, writer: asyncio.StreamWriter) -> None:
    writer.write(head(404, {"content-length": "0"}))


@contextlib.asynccontextmanager
async def running_upstream() -> AsyncIterator[Upstream]:
    upstream = Upstream()
    server = await asyncio.start_server(upstream._serve, "127.0.0.1", 0)
    upstream.port = server.sockets[0].getsockname()[1]
    try:
        yield upstream
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)
