"""Units of work that read, then write, while another connection commits in between: on
SQLite a deferred transaction fails at once ("database is locked": its snapshot is stale);
a writer (BEGIN IMMEDIATE) waits its turn and succeeds. Readers never wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from plyr.core.db import create_engine, create_sessionmaker, is_lock_conflict
from plyr.core.migrate import upgrade
from plyr.models import Artist


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as db:
        db.add(Artist(did="did:plc:race", handle="race.test"))
        await db.commit()
    yield engine
    await engine.dispose()


async def read_then_write(engine: AsyncEngine, *, writer: bool, midway: asyncio.Event) -> None:
    async with create_sessionmaker(engine, writer=writer)() as db:
        artist = (await db.scalars(select(Artist))).one()
        midway.set()
        await asyncio.sleep(0.05)  # the other unit of work commits now, if it can
        artist.bio = f"{artist.bio or ''}+"
        await db.commit()


async def commit_elsewhere(engine: AsyncEngine, midway: asyncio.Event) -> None:
    await midway.wait()
    async with create_sessionmaker(engine)() as db:
        await db.execute(update(Artist).values(display_name="changed meanwhile"))
        await db.commit()


async def test_a_deferred_read_then_write_loses_to_a_concurrent_commit(
    engine: AsyncEngine,
) -> None:
    midway = asyncio.Event()
    results = await asyncio.gather(
        read_then_write(engine, writer=False, midway=midway),
        commit_elsewhere(engine, midway),
        return_exceptions=True,
    )
    assert isinstance(results[0], OperationalError) and is_lock_conflict(results[0])


async def test_a_writer_waits_its_turn_and_nothing_is_lost(engine: AsyncEngine) -> None:
    midway = asyncio.Event()
    await asyncio.gather(
        read_then_write(engine, writer=True, midway=midway),
        commit_elsewhere(engine, midway),
    )
    async with create_sessionmaker(engine)() as db:
        artist = (await db.scalars(select(Artist))).one()
    assert (artist.bio, artist.display_name) == ("+", "changed meanwhile")


async def test_readers_do_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    async with create_sessionmaker(engine, writer=True)() as holding:
        await holding.execute(update(Artist).values(bio="uncommitted"))
        async with create_sessionmaker(engine)() as reader:
            artist = await asyncio.wait_for(reader.scalar(select(Artist)), 1)
        assert artist is not None and artist.bio is None
        await holding.commit()
