"""Jam sockets for tests: the app served by a real uvicorn on 127.0.0.1 (a real WebSocket
handshake), and a client that speaks the jam protocol with the `websockets` library."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from plyr.app import create_app
from plyr.core.config import Settings
from tests.app import empty_tables
from tests.helpers import poll
from tests.jams import stand_in

Message = dict[str, Any]


@asynccontextmanager
async def jam_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app (its tables emptied afterwards), with jams-core's stand-in while its branch
    has not landed, and the socket route if app.py does not include it yet."""
    standing_in = stand_in.install()
    from plyr.jams import ws

    application = create_app(settings, with_worker=False)
    extra = []
    if standing_in:
        stand_in.JAMS.clear()
        extra += stand_in.router.routes
    if not any(getattr(r, "path", "") == "/jams/{code}/ws" for r in application.router.routes):
        extra += ws.router.routes
    application.router.routes[:0] = extra  # ahead of the pages' catch-alls
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        await empty_tables(settings.resolved_database_url)
        if settings.redis_url:
            await forget_keys(settings.redis_url, f"{settings.queue_name}:*")


async def forget_keys(redis_url: str, pattern: str) -> None:
    redis = Redis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(pattern)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def with_redis(settings: Settings, redis_url: str) -> Settings:
    """`settings` on Redis, under a queue name (and so jam keys) of their own."""
    name = f"plyr-test-{uuid.uuid4().hex[:10]}"
    return settings.model_copy(update={"redis_url": redis_url, "queue_name": name})


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` on a real server; yields its ws:// base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await poll(lambda: server.started, timeout=15, what="uvicorn to start")
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


class Peer:
    """One tab's socket: what it was sent, in order, and the close code it got."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen: list[Message] = []

    async def send(self, message: Message) -> None:
        await self.conn.send(json.dumps(message))

    async def sync(self, client_id: str, last_id: str | None = None) -> Message:
        """Sync, and return the first state (snapshot or replay) that comes back."""
        message: Message = {"type": "sync", "client_id": client_id}
        if last_id is not None:
            message["last_id"] = last_id
        await self.send(message)
        return await self.next(lambda m: m["type"] == "state")

    async def command(self, **payload: Any) -> None:
        await self.send({"type": "command", "payload": payload})

    async def recv(self, timeout: float = 10) -> Message:
        message: Message = json.loads(await asyncio.wait_for(self.conn.recv(), timeout))
        self.seen.append(message)
        return message

    async def next(self, matches: Callable[[Message], bool], timeout: float = 10) -> Message:
        """The next message that `matches` (skipping others)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                if matches(message):
                    return message

    async def until(self, done: Callable[[list[Message]], bool], timeout: float = 20) -> None:
        """Read until what this tab has seen so far satisfies `done`."""
        async with asyncio.timeout(timeout):
            while not done(self.seen):
                await self.recv(timeout)

    async def closed_with(self, timeout: float = 10) -> int | None:
        """Read until the server closes; its close code."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.recv(timeout)
        except ConnectionClosed as e:
            return e.rcvd.code if e.rcvd else None

    @property
    def last_id(self) -> str:
        return [m for m in self.seen if "stream_id" in m][-1]["stream_id"]


@asynccontextmanager
async def peer(base: str, code: str, headers: dict[str, str] | None = None) -> AsyncIterator[Peer]:
    async with connect(f"{base}/jams/{code}/ws", additional_headers=headers or {}) as conn:
        yield Peer(conn)


def revisions(peer: Peer) -> list[int]:
    return [m["revision"] for m in peer.seen if "revision" in m]
