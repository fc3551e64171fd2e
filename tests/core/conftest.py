"""Fixtures of the core tests."""

from __future__ import annotations

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
