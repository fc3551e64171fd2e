"""Cache and pub/sub: the in-process default and Redis behave the same."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from plyr.core.cache import Cache, MemoryCache, RedisCache


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    backend: Cache = (
        MemoryCache()
        if request.param == "memory"
        else RedisCache(request.getfixturevalue("redis_url"), prefix=f"t{uuid.uuid4().hex[:8]}:")
    )
    yield backend
    await backend.close()


async def test_add_is_set_if_absent_with_expiry(cache: Cache) -> None:
    assert await cache.add("k", 0.2) is True
    assert await cache.add("k", 0.2) is False
    await asyncio.sleep(0.3)
    assert await cache.add("k", 0.2) is True


async def test_get_set_delete(cache: Cache) -> None:
    assert await cache.get("missing") is None
    await cache.set("a", "1", 10)
    assert await cache.get("a") == "1"
    await cache.delete("a")
    assert await cache.get("a") is None


async def test_publish_reaches_subscribers(cache: Cache) -> None:
    async with cache.subscribe("ch") as messages:
        await asyncio.sleep(0.05)
        await cache.publish("ch", "hello")
        await cache.publish("other", "not for us")
        await cache.publish("ch", "again")
        received = [await asyncio.wait_for(anext(messages), 2) for _ in range(2)]
    assert received == ["hello", "again"]


async def test_memory_cache_is_bounded() -> None:
    small = MemoryCache(max_entries=10)
    for i in range(100):
        await small.set(f"k{i}", "v", 60)
    assert len(small._data) <= 10  # bounded: the oldest entries made room
    assert await small.get("k99") == "v"
