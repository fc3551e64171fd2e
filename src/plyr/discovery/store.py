"""This process's vector store (`plyr.discovery.vectors`): opened on first use and kept for
the life of the runtime, so an instance that never searches or analyses never opens one."""

from __future__ import annotations

import asyncio

from plyr.core.runtime import Runtime
from plyr.discovery.vectors import VectorStore, open_vector_store

KEY = "discovery.vector_store"


async def vector_store(runtime: Runtime) -> VectorStore:
    """The runtime's store: pgvector when PostgreSQL has it, otherwise the embedded one."""
    store = runtime.process_state.get(KEY)
    if store is None:
        opening = runtime.process_state.setdefault(f"{KEY}.opening", asyncio.Lock())
        async with opening:  # one open per process, however many requests ask at once
            store = runtime.process_state.get(KEY)
            if store is None:
                store = await open_vector_store(runtime.engine)
                runtime.process_state[KEY] = store
    return store
