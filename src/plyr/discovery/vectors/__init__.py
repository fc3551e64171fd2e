"""Vector search for discovery: one interface (`VectorStore`), two backends.

- `EmbeddedStore` (every database; the default): each process searches a numpy matrix of the
  vectors in `track_features`, exactly.
- `PgVectorStore` (PostgreSQL with the `vector` extension): HNSW indexes in the database.

`open_vector_store` picks one: pgvector when the database is PostgreSQL and the extension
can be created (the database user must be allowed to: pgvector is not a trusted extension,
so a superuser may have to run `CREATE EXTENSION vector` once), otherwise the embedded store,
with a log line saying why. Start every process the same way: an instance that gains
pgvector gets its side table filled from `track_features` on the next start.
"""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from plyr.discovery.vectors import repository
from plyr.discovery.vectors.base import (
    DIMENSIONS,
    EVERYONE,
    Audience,
    Features,
    Neighbour,
    Space,
    Vector,
    VectorShapeError,
    VectorStore,
)
from plyr.discovery.vectors.embedded import EmbeddedStore
from plyr.discovery.vectors.pgvector import PgVectorStore

__all__ = [
    "DIMENSIONS",
    "EVERYONE",
    "Audience",
    "EmbeddedStore",
    "Features",
    "Neighbour",
    "PgVectorStore",
    "Space",
    "Vector",
    "VectorShapeError",
    "VectorStore",
    "open_vector_store",
]

log = logging.getLogger(__name__)

Backend = Literal["auto", "embedded", "pgvector"]


async def open_vector_store(
    engine: AsyncEngine, *, backend: Backend = "auto", refresh_interval: float = 1.0
) -> VectorStore:
    """The store for this database. `backend="pgvector"` raises when pgvector is unusable
    instead of falling back."""
    if backend != "embedded" and engine.dialect.name == "postgresql":
        try:
            async with engine.begin() as conn:
                version = await repository.ensure_pgvector(conn)
            return PgVectorStore(version)
        except DBAPIError as error:
            if backend == "pgvector":
                raise
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            log.warning(
                "discovery: pgvector is not available (%s); vectors are searched in process",
                reason,
            )
    elif backend == "pgvector":
        raise ValueError("pgvector needs a PostgreSQL database")
    return EmbeddedStore(refresh_interval=refresh_interval)
