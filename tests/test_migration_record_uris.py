"""Migration 0007 on a database that already holds rows breaking "one row per record, in
its owner's repo" (SQLite, or PostgreSQL with PLYR_TEST_DB=postgres): they let go of their
record, then the unique index holds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from plyr.core.db import create_engine
from plyr.core.migrate import upgrade
from plyr.models import Playlist, Track, utcnow
from tests.services import empty_database

VICTIM, ATTACKER = "did:plc:victimvictimvictimvictim", "did:plc:attackerattackerattacke"
TRACK = f"at://{VICTIM}/fm.plyr.track/3m2abcdefgh22"
LIST = f"at://{VICTIM}/fm.plyr.list/3m2abcdefgh33"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    with empty_database("plyr_mig", tmp_path) as url:
        yield url


async def _seed(url: str) -> None:
    """Rows as revision 0006 stored them (plain SQL: today's models have later columns)."""
    engine = create_engine(url)
    now = utcnow()
    async with engine.begin() as conn:
        for did, handle in ((VICTIM, "v.test"), (ATTACKER, "a.test")):
            await conn.execute(
                text(
                    "INSERT INTO artists (did, handle, preferences, created_at, updated_at)"
                    " VALUES (:did, :handle, '{}', :now, :now)"
                ),
                {"did": did, "handle": handle, "now": now},
            )
        await conn.execute(
            text(
                "INSERT INTO audio_files (file_id, ext, content_type, size, created_at)"
                " VALUES (:f, 'mp3', 'audio/mpeg', 1, :now)"
            ),
            {"f": "f" * 16, "now": now},
        )
        for did, title in ((VICTIM, "original"), (VICTIM, "duplicate"), (ATTACKER, "claimed")):
            await conn.execute(
                text(
                    "INSERT INTO tracks (artist_did, title, search_text, upload_file_id, file_id,"
                    " file_type, visibility, status, origin, audio_on_pds, features,"
                    " play_count, like_count, comment_count, atproto_record_uri,"
                    " atproto_record_cid, created_at, updated_at)"
                    " VALUES (:did, :title, :search, :upload, :f, 'mp3', 'public', 'published',"
                    " 'upload', false, '[]', 0, 0, 0, :uri, 'bafy', :now, :now)"
                ),
                {"did": did, "title": title, "search": title, "upload": title}
                | {"f": "f" * 16, "uri": TRACK, "now": now},
            )
        for did, name in ((ATTACKER, "claimed"), (VICTIM, "own")):
            await conn.execute(
                Playlist.__table__.insert().values(
                    owner_did=did,
                    name=name,
                    is_private=False,
                    atproto_record_uri=LIST,
                    created_at=now,
                    updated_at=now,
                )
            )
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
