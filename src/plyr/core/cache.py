"""Cache and pub/sub: in-process by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Generic, Protocol, TypeVar

from redis.asyncio import Redis

V = TypeVar("V")


class LocalCache(Generic[V]):
    """A bounded map with expiry, for values one process may briefly reuse (not shared)."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[V, float]] = {}

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key: str, value: V, ttl_s: float | None = None) -> None:
        if len(self._entries) >= self.max_entries:
            self._evict()
        self._entries[key] = (value, time.monotonic() + (ttl_s or self.ttl_s))

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        """Drop expired entries; if still full, the oldest inserted."""
        now = time.monotonic()
        for key in [k for k, (_, expires) in self._entries.items() if expires < now]:
            del self._entries[key]
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]

    def forget(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


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


class MemoryCache:
    """A TTL dict and in-process fan-out; right for one `plyr serve` process."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: LocalCache[str] = LocalCache(ttl_s=60.0, max_entries=max_entries)
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)

    async def add(self, key: str, ttl_s: float, value: str = "1") -> bool:
        if self._data.get(key) is not None:
            return False
        self._data.put(key, value, ttl_s)
        return True

    # one event loop: a check and a change with no await between them are atomic
    async def delete_if(self, key: str, value: str) -> bool:
        if self._data.get(key) != value:
            return False
        self._data.forget(key)
        return True

    async def expire_if(self, key: str, value: str, ttl_s: float) -> bool:
        if self._data.get(key) != value:
            return False
        self._data.put(key, value, ttl_s)
        return True

    async def get(self, key: str) -> str | None:
        return self._data.get(key)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        self._data.put(key, value, ttl_s)

    async def delete(self, key: str) -> None:
        self._data.forget(key)

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
        self._data = LocalCache(ttl_s=60.0, max_entries=self._data.max_entries)


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
