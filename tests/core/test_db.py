"""Units of work that read, then write, while another connection commits in between: on
SQLite a deferred transaction fails at once ("database is locked": its snapshot is stale);
a writer (BEGIN IMMEDIATE) waits its turn and succeeds. Readers never wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
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


@dataclass
class Meanwhile:
    """What the other unit of work has done so far."""

    midway: asyncio.Event = field(default_factory=asyncio.Event)  # the first one has read
    trying: asyncio.Event = field(default_factory=asyncio.Event)
    committed: asyncio.Event = field(default_factory=asyncio.Event)


async def read_then_write(engine: AsyncEngine, meanwhile: Meanwhile, *, writer: bool) -> None:
    async with create_sessionmaker(engine, writer=writer)() as db:
        artist = (await db.scalars(select(Artist))).one()
        meanwhile.midway.set()
        if writer:
            await meanwhile.trying.wait()
            # let its UPDATE reach SQLite and wait on our lock (nothing reports that it
            # does; the outcome asserted is the same if it has not yet)
            await asyncio.sleep(0.05)
        else:
            await meanwhile.committed.wait()  # a deferred transaction does not hold it off
        artist.bio = f"{artist.bio or ''}+"
        await db.commit()


async def commit_elsewhere(engine: AsyncEngine, meanwhile: Meanwhile) -> None:
    await meanwhile.midway.wait()
    async with create_sessionmaker(engine)() as db:
        meanwhile.trying.set()
        await db.execute(update(Artist).values(display_name="changed meanwhile"))
        await db.commit()
    meanwhile.committed.set()


async def test_a_deferred_read_then_write_loses_to_a_concurrent_commit(
    engine: AsyncEngine,
) -> None:
    meanwhile = Meanwhile()
    results = await asyncio.gather(
        read_then_write(engine, meanwhile, writer=False),
        commit_elsewhere(engine, meanwhile),
        return_exceptions=True,
    )
    assert isinstance(results[0], OperationalError) and is_lock_conflict(results[0])


async def test_a_writer_waits_its_turn_and_nothing_is_lost(engine: AsyncEngine) -> None:
    meanwhile = Meanwhile()
    await asyncio.gather(
        read_then_write(engine, meanwhile, writer=True),
        commit_elsewhere(engine, meanwhile),
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
