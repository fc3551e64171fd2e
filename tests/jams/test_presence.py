"""Who is connected to a jam, over every process, on both backends: a claim taken over by a
newer socket is no longer the older one's to refresh or release; claims a dead process
stopped refreshing expire and are swept exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from plyr.jams.presence import Claim, MemoryPresence, Presence, RedisPresence
from tests.helpers import poll

MakePresence = Callable[[float], Presence]


@pytest.fixture(params=["memory", "redis"])
async def make_presence(request: pytest.FixtureRequest) -> AsyncIterator[MakePresence]:
    """A maker of presences with a TTL; on Redis, each is another process's view."""
    made: list[Presence] = []
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    memory: MemoryPresence | None = None

    def make(ttl_s: float) -> Presence:
        nonlocal memory
        if redis_url is None:  # one process: one view
            memory = memory or MemoryPresence(ttl_s)
            return memory
        made.append(RedisPresence(redis_url, prefix=prefix, ttl_s=ttl_s))
        return made[-1]

    yield make
    for presence in made:
        await presence.redis.delete(f"{prefix}presence:7")  # type: ignore[attr-defined]
        await presence.close()


async def test_claims_are_seen_by_every_process(make_presence: MakePresence) -> None:
    a, b = make_presence(30), make_presence(30)
    await a.claim(7, Claim("tab-a", "did:plc:alice"), "sock1")
    await b.claim(7, Claim("tab-b", "did:plc:bob"), "sock2")
    assert await a.connected(7) == await b.connected(7) == {"tab-a", "tab-b"}
    assert await a.connected(8) == set()
    assert await b.release(7, "tab-b", "sock2")
    assert await a.connected(7) == {"tab-a"}


async def test_a_newer_socket_takes_the_claim_over(make_presence: MakePresence) -> None:
    a, b = make_presence(30), make_presence(30)
    claim = Claim("tab-a", "did:plc:alice")
    await a.claim(7, claim, "old")
    await b.claim(7, claim, "new")
    assert not await a.refresh(7, claim, "old")  # the old socket learns it was replaced
    assert not await a.release(7, "tab-a", "old")  # and leaving does not drop the new one
    assert await a.connected(7) == {"tab-a"}
    assert await b.refresh(7, claim, "new")


async def test_expired_claims_are_swept_once(make_presence: MakePresence) -> None:
    a, b = make_presence(0.3), make_presence(0.3)
    await a.claim(7, Claim("tab-a", "did:plc:alice"), "sock1")
    await b.claim(7, Claim("tab-b", "did:plc:bob"), "sock2")
    assert await a.sweep(7) == []

    async def only_b_lives() -> bool:  # b's process goes on refreshing, a's has died
        await b.refresh(7, Claim("tab-b", "did:plc:bob"), "sock2")
        return await a.connected(7) == {"tab-b"}

    await poll(only_b_lives, timeout=5, interval=0.05, what="a's claim to expire")
    swept = await asyncio.gather(a.sweep(7), b.sweep(7))
    assert sorted(swept, key=len) == [[], [Claim("tab-a", "did:plc:alice")]]
