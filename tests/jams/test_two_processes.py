"""Two real `plyr serve` processes sharing PostgreSQL and Redis, with jam sockets on both:
commands sent through either reach every socket with the same gap-free revisions; when one
process is killed, its clients reconnect to the other with their last id and replay what
they missed."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass

import httpx
import pytest

from plyr.auth.service import create_session
from plyr.core.config import Settings
from plyr.core.db import create_engine, create_sessionmaker
from tests.app import User, empty_tables
from tests.jams.sockets import Message, Peer, forget_keys, peer, revisions
from tests.servers import free_port, plyr_env, start_plyr, stop, wait_until_up
from tests.services import using_postgres

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(not using_postgres(), reason="two processes share PostgreSQL"),
]


@dataclass
class Server:
    url: str  # http://127.0.0.1:port
    proc: object

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")


@contextmanager
def two_servers(settings: Settings, redis_url: str, queue: str) -> Iterator[list[Server]]:
    servers: list[Server] = []
    with ExitStack() as stack:
        for _ in range(2):
            port = free_port()
            env = plyr_env(
                settings.data_dir,
                DATABASE_URL=settings.resolved_database_url,
                REDIS_URL=redis_url,
                PLYR_QUEUE_NAME=queue,
                PLYR_PUBLIC_URL=f"http://127.0.0.1:{port}",
                PLYR_SECRET_KEY="test-secret",
            )
            proc = start_plyr(env, port)
            stack.callback(stop, proc)
            servers.append(Server(f"http://127.0.0.1:{port}", proc))
        for server in servers:
            wait_until_up(f"{server.url}/health", server.proc)  # type: ignore[arg-type]
        yield servers


async def user(database_url: str, handle: str) -> User:
    did = "did:plc:" + base64.b32encode(uuid.uuid4().bytes).decode().lower()[:24]
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as db:
        token = await create_session(db, did=did, handle=handle)
        await db.commit()
    await engine.dispose()
    return User(did=did, handle=handle, token=token)


@pytest.fixture
async def servers(settings: Settings, redis_url: str) -> AsyncIterator[list[Server]]:
    queue = f"plyr-test-{uuid.uuid4().hex[:10]}"
    try:
        with two_servers(settings, redis_url, queue) as running:
            yield running
    finally:
        await empty_tables(settings.resolved_database_url)
        await forget_keys(redis_url, f"{queue}:*")


async def settled(tabs: list[Peer], revision: int) -> None:
    """Every tab has seen `revision`."""
    for tab in tabs:
        await tab.next(lambda m: m.get("revision", -1) >= revision, timeout=20)


def positions(seen: list[Message]) -> set[int]:
    return {m["state"]["progress_ms"] for m in seen if m["type"] == "state"}


def gap_free(tab: Peer) -> list[int]:
    seen = revisions(tab)
    assert seen == list(range(seen[0], seen[0] + len(seen))), seen
    return seen


async def test_commands_through_either_process_reach_both(
    servers: list[Server], settings: Settings
) -> None:
    a, b = servers
    alice = await user(settings.resolved_database_url, "alice.test")
    bob = await user(settings.resolved_database_url, "bob.test")
    body = {"track_ids": [], "current_index": 0, "is_playing": False, "progress_ms": 0}
    async with httpx.AsyncClient(timeout=30) as http:
        created = await http.post(f"{a.url}/jams/", json=body, headers=alice.auth)
        assert created.status_code == 201, created.text
        code = created.json()["code"]
        joined = await http.post(f"{b.url}/jams/{code}/join", headers=bob.auth)
        assert joined.status_code == 200, joined.text

    async with AsyncExitStack() as stack:
        where = {"a1": (a, alice), "b1": (b, bob), "a2": (b, alice), "b2": (a, bob)}
        tabs = {
            name: await stack.enter_async_context(peer(server.ws, code, who.auth))
            for name, (server, who) in where.items()
        }
        for name, tab in tabs.items():
            await tab.sync(name)
        # ten commands through each process at once: the jam serializes them
        for i in range(10):
            await tabs["a1"].command(type="seek", position_ms=1000 * i)
            await tabs["b1"].command(type="seek", position_ms=100_000 + 1000 * i)
        await tabs["a1"].until(lambda seen: {9000, 109_000} <= positions(seen))
        await asyncio.sleep(0.5)  # nothing else is on its way (fails below if something was)
        last = revisions(tabs["a1"])[-1]
        await settled(list(tabs.values()), last)
        ends = {name: gap_free(tab)[-1] for name, tab in tabs.items()}
        assert set(ends.values()) == {last}, ends

        # process B dies; its tabs come back on A with their last ids
        b.proc.kill()  # type: ignore[attr-defined]
        for name in ("b1", "a2"):
            assert await tabs[name].closed_with() in (None, 1006, 1011, 1012)
        missed = [tabs[name].last_id for name in ("b1", "a2")]
        for i in range(5):
            await tabs["a1"].command(type="seek", position_ms=50_000 + i)
        await settled([tabs["a1"], tabs["b2"]], last + 5)
        for name, last_id, who in (("b1", missed[0], bob), ("a2", missed[1], alice)):
            back = await stack.enter_async_context(peer(a.ws, code, who.auth))
            replay = await back.sync(name, last_id=last_id)
            assert "snapshot" not in replay, "a replay, not a snapshot"
            assert replay["revision"] == revisions(tabs[name])[-1] + 1
            await settled([back], last + 5)
            gap_free(back)
