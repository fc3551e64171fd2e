"""Migration 0007 on a database that already holds rows breaking "one row per record, in
its owner's repo" (SQLite, or PostgreSQL with PLYR_TEST_DB=postgres): they let go of their
record, then the unique index holds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.db import create_engine
from plyr.core.migrate import upgrade
from plyr.models import Artist, AudioFile, Playlist, Track, utcnow
from tests.services import postgres_database, using_postgres

VICTIM, ATTACKER = "did:plc:victimvictimvictimvictim", "did:plc:attackerattackerattacke"
TRACK = f"at://{VICTIM}/fm.plyr.track/3m2abcdefgh22"
LIST = f"at://{VICTIM}/fm.plyr.list/3m2abcdefgh33"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    if using_postgres():
        with postgres_database("plyr_mig") as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"


async def _seed(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        db = AsyncSession(bind=conn)
        db.add_all([Artist(did=VICTIM, handle="v.test"), Artist(did=ATTACKER, handle="a.test")])
        db.add(AudioFile(file_id="f" * 16, ext="mp3", content_type="audio/mpeg", size=1))
        await db.flush()

        def track(did: str, title: str, uri: str) -> Track:
            return Track(
                artist_did=did,
                title=title,
                upload_file_id=title,
                file_id="f" * 16,
                file_type="mp3",
                atproto_record_uri=uri,
                atproto_record_cid="bafy",
            )

        db.add(track(VICTIM, "original", TRACK))
        await db.flush()
        db.add_all([track(VICTIM, "duplicate", TRACK), track(ATTACKER, "claimed", TRACK)])
        db.add_all(
            [
                Playlist(owner_did=ATTACKER, name="claimed", atproto_record_uri=LIST),
                Playlist(owner_did=VICTIM, name="own", atproto_record_uri=LIST),
            ]
        )
        await db.flush()
    await engine.dispose()


async def _state(url: str) -> tuple[dict[str, str | None], dict[str, str | None]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        tracks = dict((await conn.execute(select(Track.title, Track.atproto_record_uri))).all())
        lists = dict((await conn.execute(select(Playlist.name, Playlist.atproto_record_uri))).all())
    await engine.dispose()
    return tracks, lists


async def _insert_duplicate(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                Playlist.__table__.insert().values(
                    owner_did=VICTIM,
                    name="again",
                    is_private=False,
                    atproto_record_uri=LIST,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    finally:
        await engine.dispose()


def test_existing_foreign_and_duplicate_record_uris_are_released(fresh_url: str) -> None:
    upgrade(fresh_url, "0006")
    asyncio.run(_seed(fresh_url))
    upgrade(fresh_url, "head")

    tracks, lists = asyncio.run(_state(fresh_url))
    # the first of the owner's rows keeps the record; a second one and another account's lose it
    assert tracks == {"original": TRACK, "duplicate": None, "claimed": None}
    assert lists == {"own": LIST, "claimed": None}
    with pytest.raises(IntegrityError):
        asyncio.run(_insert_duplicate(fresh_url))
