"""The pgvector store: vectors in PostgreSQL's `vectors_track` side table (kept beside
`track_features`, in the same transaction), searched by its HNSW indexes
(`vector_cosine_ops`, `hnsw.ef_search` = 100) with the audience's filter in the same SQL.
Every process sees every committed write at once: there is nothing to refresh."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.discovery.vectors import repository
from plyr.discovery.vectors.base import (
    DIMENSIONS,
    EVERYONE,
    Audience,
    Features,
    Neighbour,
    Space,
    Vector,
    checked,
    unit,
    validated,
)


class PgVectorStore:
    name = "pgvector"

    def __init__(self, version: tuple[int, ...] = (0, 8)) -> None:
        # iterative index scans (k results despite filtering) came with pgvector 0.8
        self.iterative = version >= (0, 8)

    async def upsert(self, db: AsyncSession, features: Features) -> None:
        analyzed_at = await repository.save_features(db, validated(features))
        normalised = Features(
            track_id=features.track_id,
            model_version=features.model_version,
            tags=features.tags,
            embedding=unit(checked(features.embedding, DIMENSIONS["embedding"], "embedding")),
            clap=unit(checked(features.clap, DIMENSIONS["clap"], "clap"))
            if features.clap is not None
            else None,
            bpm=features.bpm,
        )
        await repository.save_pg_vectors(db, normalised, analyzed_at)

    async def remove(self, db: AsyncSession, track_id: int) -> None:
        await repository.delete_features(db, track_id)  # its vectors row goes with it

    async def refresh(self, db: AsyncSession) -> None:
        return None

    async def nearest(
        self,
        db: AsyncSession,
        space: Space,
        query: Vector,
        k: int,
        *,
        exclude_ids: Collection[int] = (),
        audience: Audience = EVERYONE,
    ) -> list[Neighbour]:
        target = unit(checked(query, DIMENSIONS[space], f"{space} query"))
        return await repository.pg_nearest(
            db,
            space,
            target,
            k,
            exclude_ids=exclude_ids,
            audience=audience,
            iterative=self.iterative,
        )

    async def nearest_many(
        self,
        db: AsyncSession,
        space: Space,
        queries: Sequence[Vector],
        k: int,
        *,
        exclude_ids: Collection[int] = (),
        audience: Audience = EVERYONE,
    ) -> list[list[Neighbour]]:
        targets = [unit(checked(q, DIMENSIONS[space], f"{space} query")) for q in queries]
        return await repository.pg_nearest_many(
            db,
            space,
            targets,
            k,
            exclude_ids=exclude_ids,
            audience=audience,
            iterative=self.iterative,
        )
