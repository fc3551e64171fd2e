"""`owned_lock`: mutual exclusion across tasks and processes, through the shared cache.

The lock key holds a random owner token: only its owner deletes it (compare-and-delete), so a
holder that outlived the expiry cannot release the lock of the next one. While the body runs
the expiry is extended, so a slow holder keeps its lock instead of letting a second one in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import weakref
from collections.abc import AsyncIterator

from plyr.core.cache import Cache

log = logging.getLogger(__name__)

_local_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


class LockBusy(Exception):
    """The lock stayed taken for longer than the caller would wait."""


@contextlib.asynccontextmanager
async def owned_lock(
    cache: Cache, name: str, *, ttl_s: float = 30.0, wait_s: float = 20.0
) -> AsyncIterator[str]:
    """Hold `lock:{name}` (yields the owner token); raises `LockBusy` after `wait_s`."""
    local = _local_locks.get(name)
    if local is None:
        local = asyncio.Lock()
        _local_locks[name] = local
    async with local:  # tasks of this process queue here instead of polling the cache
        key, owner = f"lock:{name}", secrets.token_hex(16)
        deadline = time.monotonic() + wait_s
        while not await cache.add(key, ttl_s, owner):
            if time.monotonic() > deadline:
                raise LockBusy(f"{name} is busy elsewhere")
            await asyncio.sleep(0.05)
        keeper = asyncio.create_task(_keep(cache, key, owner, ttl_s))
        try:
            yield owner
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            await cache.delete_if(key, owner)


async def _keep(cache: Cache, key: str, owner: str, ttl_s: float) -> None:
    """Extend the expiry at a third of it, while we still own the key."""
    while True:
        await asyncio.sleep(ttl_s / 3)
        if not await cache.expire_if(key, owner, ttl_s):
            log.warning("lost the lock %s (it expired before we renewed it)", key)
            return
