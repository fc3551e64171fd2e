"""Migration 0012 (track_features) downgrades cleanly, with pgvector's side table made at
start-up on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from sqlalchemy import insert, text

from plyr.core.db import create_engine, create_sessionmaker
from plyr.core.migrate import alembic_config, upgrade
from plyr.discovery.vectors import Features, open_vector_store
from plyr.models import Artist, AudioFile, Track
from tests.services import empty_database


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    with empty_database("plyr_vectors_migration", tmp_path) as url:
        yield url


async def _analyse_one_track(url: str) -> str:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(insert(Artist).values(did="did:plc:a", handle="a.test"))
        await conn.execute(
            insert(AudioFile).values(file_id="f" * 16, ext="mp3", content_type="a", size=1)
        )
        await conn.execute(
            insert(Track).values(
                id=1,
                artist_did="did:plc:a",
                title="t",
                upload_file_id="f" * 16,
                file_id="f" * 16,
                file_type="mp3",
            )
        )
    store = await open_vector_store(engine)
    async with create_sessionmaker(engine, writer=True)() as db:
        embedding = np.ones(400, dtype=np.float32)
        await store.upsert(db, Features(1, "v1", np.zeros(100, dtype=np.float32), embedding))
        await db.commit()
    await engine.dispose()
    return store.name


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        if url.startswith("sqlite")
        else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    async with engine.connect() as conn:
        names = set((await conn.execute(text(query))).scalars().all())
    await engine.dispose()
    return names


def test_downgrade_removes_the_features_and_the_side_table(fresh_url: str) -> None:
    upgrade(fresh_url)
    backend = asyncio.run(_analyse_one_track(fresh_url))
    with_vectors = {"track_features"} | ({"vectors_track"} if backend == "pgvector" else set())
    assert with_vectors <= asyncio.run(_tables(fresh_url))
    command.downgrade(alembic_config(fresh_url), "0011")
    assert not with_vectors & asyncio.run(_tables(fresh_url))
    upgrade(fresh_url)
    assert "track_features" in asyncio.run(_tables(fresh_url))
