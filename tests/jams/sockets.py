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

from plyr.core.config import Settings
from plyr.core.db import create_engine, create_sessionmaker
from plyr.models import AudioFile, Track
from tests.app import running_app
from tests.helpers import poll

Message = dict[str, Any]


@asynccontextmanager
async def jam_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app without its worker (tables emptied afterwards; jam keys too, on Redis)."""
    try:
        async with running_app(settings, with_worker=False) as application:
            yield application
    finally:
        if settings.redis_url:
            await forget_keys(settings.redis_url, f"{settings.queue_name}:*")


async def forget_keys(redis_url: str, pattern: str) -> None:
    redis = Redis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(pattern)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def add_tracks(database_url: str, artist_did: str, count: int = 3) -> list[int]:
    """Public tracks of `artist_did` (an artist with a session), written straight to the
    database: a jam plays only with a track in its queue."""
    engine = create_engine(database_url)
    ids = []
    async with create_sessionmaker(engine)() as db:
        for _ in range(count):
            file_id = uuid.uuid4().hex[:16]
            db.add(AudioFile(file_id=file_id, ext="mp3", content_type="audio/mpeg", size=1))
            track = Track(
                artist_did=artist_did,
                title=f"Track {file_id}",
                upload_file_id=file_id,
                file_id=file_id,
                file_type="mp3",
            )
            db.add(track)
            await db.flush()
            ids.append(track.id)
        await db.commit()
    await engine.dispose()
    return ids


def jam_body(track_ids: list[int]) -> dict[str, Any]:
    return {"track_ids": track_ids, "current_index": 0, "is_playing": False, "progress_ms": 0}


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
