"""`owned_lock` and the OAuth refresh lock over it (M9): a holder keeps its lock while it
works past the expiry, and only the owner releases it; memory and Redis alike."""

from __future__ import annotations

import asyncio

import pytest

from plyr.atproto.oauth import auth
from plyr.core import locks
from plyr.core.cache import Cache
from plyr.core.locks import LockBusy, owned_lock
from tests.helpers import poll


async def test_a_slow_refresh_keeps_its_lock_past_the_expiry(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "LOCK_TTL_S", 0.3)
    inside: list[str] = []

    async def refresh(name: str, seconds: float) -> None:
        async with auth.refresh_lock(cache, "session:s1"):
            inside.append(name)
            assert inside == [name], "two holders at once"
            await asyncio.sleep(seconds)  # a slow refresh, on purpose: it outlasts the TTL
            inside.remove(name)

    # the second starts while the first is still refreshing, well past the lock's expiry,
    # as another process would: sharing only the cache, not this process's asyncio locks
    first = asyncio.create_task(refresh("first", 1.0))
    await poll(lambda: inside == ["first"], interval=0.01, what="the first to hold the lock")
    locks._local_locks.clear()
    await refresh("second", 0.1)
    await first


async def test_only_the_owner_releases_the_lock(cache: Cache) -> None:
    async with owned_lock(cache, "x", ttl_s=5):
        await cache.delete("lock:x")  # it expired (or was evicted) under its first holder
        assert await cache.add("lock:x", 5, "someone-else")  # and another process took it
    assert await cache.get("lock:x") == "someone-else"  # the first holder left theirs alone


async def test_a_busy_lock_is_refused_after_the_wait(cache: Cache) -> None:
    assert await cache.add("lock:y", 5, "another-process")
    with pytest.raises(LockBusy):
        async with owned_lock(cache, "y", ttl_s=5, wait_s=0.2):
            pass
    assert await cache.get("lock:y") == "another-process"


async def test_compare_and_change(cache: Cache) -> None:
    assert await cache.add("k", 5, "a")
    assert not await cache.delete_if("k", "b") and await cache.get("k") == "a"
    assert not await cache.expire_if("k", "b", 0.1)
    assert await cache.expire_if("k", "a", 0.2)
    assert await cache.get("k") == "a"

    async def gone() -> bool:
        return await cache.get("k") is None

    await poll(gone, timeout=5, interval=0.05, what="the new expiry")
    assert await cache.add("k", 5, "c") and await cache.delete_if("k", "c")
    assert await cache.get("k") is None
