"""Cache and pub/sub: in-process by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Generic, Protocol, TypeVar

from redis.asyncio import Redis

V = TypeVar("V")


class LocalCache(Generic[V]):
    """A bounded map with expiry, for values one process may briefly reuse (not shared).
    When full, a put drops the expired entries, then the one closest to expiry: a heap
    of expiry times makes that O(log n) per entry, never a scan of the whole map."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[V, float]] = {}
        # (expires, key); an item whose key was since rewritten or removed is stale and
        # skipped when it comes up
        self._expiries: list[tuple[float, str]] = []

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key: str, value: V, ttl_s: float | None = None) -> None:
        if key not in self._entries and len(self._entries) >= self.max_entries:
            self._evict()
        expires = time.monotonic() + (ttl_s or self.ttl_s)
        self._entries[key] = (value, expires)
        heapq.heappush(self._expiries, (expires, key))
        if len(self._expiries) > 2 * self.max_entries + 16:
            self._compact()

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        """Drop expired entries; if still full, the one that expires first."""
        now = time.monotonic()
        while self._expiries:
            expires, key = self._expiries[0]
            entry = self._entries.get(key)
            if (
                entry is not None
                and entry[1] == expires
                and (expires >= now and len(self._entries) < self.max_entries)
            ):
                return
            heapq.heappop(self._expiries)
            if entry is not None and entry[1] == expires:
                del self._entries[key]

    def _compact(self) -> None:
        """Rebuild the heap without stale items (rewritten keys): O(n), once per n puts."""
        self._expiries = [(expires, key) for key, (_, expires) in self._entries.items()]
        heapq.heapify(self._expiries)

    def forget(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
        self._expiries.clear()


class Cache(Protocol):
    async def add(self, key: str, ttl_s: float, value: str = "1") -> bool:
        """Set `key` if absent (atomically); True when it was set."""

    async def delete_if(self, key: str, value: str) -> bool:
        """Delete `key` only while it still holds `value` (atomically): a lock's owner."""

    async def expire_if(self, key: str, value: str, ttl_s: float) -> bool:
        """Give `key` a new expiry only while it still holds `value` (atomically)."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_s: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """`async with cache.subscribe(ch) as messages: async for m in messages: ...`"""

    async def close(self) -> None: ...


# Key prefix -> how many entries its kind may hold in memory (the longest prefix wins). Each
# kind is bounded on its own, so a flood of one (anonymous plays) cannot evict another's
# entries (pending sign-ins, refresh locks).
NAMESPACES: dict[str, int] = {
    "lock:": 10_000,  # owned locks (token refreshes): one per session refreshing right now
    "oauth:": 20_000,  # pending sign-ins (10 min), used-state markers, DPoP nonces
    "play:": 100_000,  # play dedup (per track and listener or address)
    "share:": 50_000,  # share-link visit dedup per address
    "": 20_000,  # anything else (e.g. follows)
}


def namespace_of(key: str) -> str:
    return max((p for p in NAMESPACES if key.startswith(p)), key=len)


class MemoryCache:
    """TTL maps (one per kind of key, see NAMESPACES) and in-process fan-out; right for one
    `plyr serve` process."""

    def __init__(self, capacities: dict[str, int] | None = None) -> None:
        self.capacities = {**NAMESPACES, **(capacities or {})}
        self._spaces: dict[str, LocalCache[str]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)

    def _space(self, key: str) -> LocalCache[str]:
        name = namespace_of(key)
        space = self._spaces.get(name)
        if space is None:
            space = self._spaces[name] = LocalCache(60.0, self.capacities[name])
        return space

    async def add(self, key: str, ttl_s: float, value: str = "1") -> bool:
        space = self._space(key)
        if space.get(key) is not None:
            return False
        space.put(key, value, ttl_s)
        return True

    # one event loop: a check and a change with no await between them are atomic
    async def delete_if(self, key: str, value: str) -> bool:
        space = self._space(key)
        if space.get(key) != value:
            return False
        space.forget(key)
        return True

    async def expire_if(self, key: str, value: str, ttl_s: float) -> bool:
        space = self._space(key)
        if space.get(key) != value:
            return False
        space.put(key, value, ttl_s)
        return True

    async def get(self, key: str) -> str | None:
        return self._space(key).get(key)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        self._space(key).put(key, value, ttl_s)

    async def delete(self, key: str) -> None:
        self._space(key).forget(key)

    async def publish(self, channel: str, message: str) -> None:
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers[channel].add(queue)

        async def messages() -> AsyncIterator[str]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._subscribers[channel].discard(queue)
            if not self._subscribers[channel]:
                del self._subscribers[channel]

    async def close(self) -> None:
        self._spaces.clear()


# compare-and-change in one step on the server (a GET then DEL could delete a successor's key)
_DELETE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_EXPIRE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisCache:
    def __init__(self, url: str, prefix: str = "plyr:") -> None:
        self.redis: Redis = Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    async def add(self, key: str, ttl_s: float, value: str = "1") -> bool:
        return bool(await self.redis.set(self.prefix + key, value, nx=True, px=int(ttl_s * 1000)))

    async def delete_if(self, key: str, value: str) -> bool:
        return bool(await self.redis.eval(_DELETE_IF, 1, self.prefix + key, value))

    async def expire_if(self, key: str, value: str, ttl_s: float) -> bool:
        ttl_ms = int(ttl_s * 1000)
        return bool(await self.redis.eval(_EXPIRE_IF, 1, self.prefix + key, value, ttl_ms))

    async def get(self, key: str) -> str | None:
        value = await self.redis.get(self.prefix + key)
        return value if value is None else str(value)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        await self.redis.set(self.prefix + key, value, px=int(ttl_s * 1000))

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)

    async def publish(self, channel: str, message: str) -> None:
        await self.redis.publish(self.prefix + channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.prefix + channel)

        async def messages() -> AsyncIterator[str]:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield item["data"]

        try:
            yield messages()
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()

    async def close(self) -> None:
        await self.redis.aclose()


def create_cache(redis_url: str | None) -> Cache:
    return RedisCache(redis_url) if redis_url else MemoryCache()
