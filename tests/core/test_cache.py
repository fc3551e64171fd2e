"""Cache and pub/sub: the in-process default and Redis behave the same."""

from __future__ import annotations

import asyncio
import time

from plyr.core.cache import Cache, LocalCache, MemoryCache, RedisCache
from tests.helpers import poll


async def test_add_is_set_if_absent_with_expiry(cache: Cache) -> None:
    assert await cache.add("k", 0.2) is True
    assert await cache.add("k", 0.2) is False
    # it expires: added again (a generous deadline, as a loaded machine is slow)
    assert await poll(lambda: cache.add("k", 0.2), timeout=5, interval=0.05, what="expiry")


async def test_get_set_delete(cache: Cache) -> None:
    assert await cache.get("missing") is None
    await cache.set("a", "1", 10)
    assert await cache.get("a") == "1"
    await cache.delete("a")
    assert await cache.get("a") is None


async def subscribers(cache: Cache, channel: str) -> int:
    """How many subscribe to the channel: Redis takes a SUBSCRIBE in its own time, and a
    message published before it is not delivered."""
    if isinstance(cache, RedisCache):
        [(_, count)] = await cache.redis.pubsub_numsub(cache.prefix + channel)
        return int(count)
    assert isinstance(cache, MemoryCache)
    return len(cache._subscribers.get(channel, ()))


async def test_publish_reaches_subscribers(cache: Cache) -> None:
    async with cache.subscribe("ch") as messages:
        await poll(lambda: subscribers(cache, "ch"), interval=0.01, what="the subscription")
        await cache.publish("ch", "hello")
        await cache.publish("other", "not for us")
        await cache.publish("ch", "again")
        received = [await asyncio.wait_for(anext(messages), 2) for _ in range(2)]
    assert received == ["hello", "again"]


async def test_memory_cache_is_bounded() -> None:
    small = MemoryCache(capacities={"": 10})
    for i in range(100):
        await small.set(f"k{i}", "v", 60)
    assert len(small._spaces[""]) <= 10  # bounded: the oldest entries made room
    assert await small.get("k99") == "v"


async def test_a_play_flood_does_not_evict_sign_ins_or_refresh_locks() -> None:
    """More anonymous play keys than the cache holds: pending sign-ins and refresh locks
    live in namespaces of their own and survive."""
    cache = MemoryCache()
    await cache.set("oauth:request:abc", "sealed", 600)
    assert await cache.add("lock:oauth:session-1", 30)
    for i in range(101_000):
        await cache.add(f"play:1:anon:{i}", 3600)
    assert await cache.get("oauth:request:abc") == "sealed"
    assert await cache.add("lock:oauth:session-1", 30) is False  # still held
    assert await cache.get("play:1:anon:100999") == "1"  # the newest play keys stay


def test_a_full_local_cache_evicts_without_scanning_it() -> None:
    """A put into a full cache costs O(log n), not a pass over every entry."""
    full: LocalCache[int] = LocalCache(ttl_s=3600, max_entries=50_000)
    for i in range(50_000):
        full.put(f"k{i}", i)
    started = time.process_time()
    for i in range(5_000):
        full.put(f"new{i}", i)
    assert time.process_time() - started < 1.0  # a scan per put: ~10 s
    assert len(full) == 50_000
    assert full.get("k0") is None and full.get("new4999") == 4999  # the first to expire went


def test_rewritten_keys_do_not_grow_the_expiry_heap() -> None:
    small: LocalCache[int] = LocalCache(ttl_s=60, max_entries=100)
    for i in range(10_000):
        small.put(f"k{i % 10}", i)
    assert len(small) == 10
    assert len(small._expiries) <= 2 * 100 + 16
    assert small.get("k9") == 9999
