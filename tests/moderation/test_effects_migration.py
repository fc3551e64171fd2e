"""Migration 0016 on a database that already holds tracks with the creator's self-labels
(SQLite, or PostgreSQL with PLYR_TEST_DB=postgres): those marked sexual/porn/nudity are
sensitive audio from then on; the others are not, and nothing is taken down."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text

from plyr.core.db import create_engine
from plyr.core.migrate import upgrade
from plyr.core.orm import UTCDateTime
from plyr.models import Track, utcnow
from tests.services import empty_database

ARTIST = "did:plc:artistartistartistartist"
# the tracks table as revision 0014 has it (today's model has later columns)
OLD_TRACKS = sa.table(
    "tracks",
    *(sa.column(name) for name in ("artist_did", "title", "search_text", "upload_file_id")),
    *(sa.column(name) for name in ("file_id", "file_type", "visibility", "status", "origin")),
    sa.column("audio_on_pds", sa.Boolean),
    sa.column("features", sa.JSON),
    *(sa.column(name, sa.Integer) for name in ("play_count", "like_count", "comment_count")),
    sa.column("self_labels", sa.JSON),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)
LABELS = {"explicit": ["porn"], "warned": ["graphic-media"], "plain": None}


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    with empty_database("plyr_mig_effects", tmp_path) as url:
        yield url


async def _seed(url: str) -> None:
    """Tracks as revision 0014 stored them."""
    engine = create_engine(url)
    now = utcnow()
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO artists (did, handle, preferences, created_at, updated_at)"
                " VALUES (:did, 'a.test', '{}', :now, :now)"
            ),
            {"did": ARTIST, "now": now},
        )
        for title, labels in LABELS.items():
            file_id = title.ljust(16, "0")
            await conn.execute(
                text(
                    "INSERT INTO audio_files (file_id, ext, content_type, size, created_at)"
                    " VALUES (:f, 'mp3', 'audio/mpeg', 1, :now)"
                ),
                {"f": file_id, "now": now},
            )
            await conn.execute(
                OLD_TRACKS.insert().values(
                    artist_did=ARTIST,
                    title=title,
                    search_text=title,
                    upload_file_id=file_id,
                    file_id=file_id,
                    file_type="mp3",
                    visibility="public",
                    status="published",
                    origin="upload",
                    audio_on_pds=False,
                    features=[],
                    play_count=0,
                    like_count=0,
                    comment_count=0,
                    self_labels=labels,
                    created_at=now,
                    updated_at=now,
                )
            )
    await engine.dispose()


async def _state(url: str) -> dict[str, tuple[bool, bool, str | None]]:
    engine = create_engine(url)
    query = select(
        Track.title, Track.self_sensitive_audio, Track.sensitive_audio, Track.takedown_reason
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    await engine.dispose()
    return {title: (bool(own), bool(labelled), reason) for title, own, labelled, reason in rows}


def test_self_labelled_tracks_become_sensitive_audio(fresh_url: str) -> None:
    upgrade(fresh_url, "0014")
    asyncio.run(_seed(fresh_url))
    upgrade(fresh_url, "head")
    assert asyncio.run(_state(fresh_url)) == {
        "explicit": (True, False, None),
        "warned": (False, False, None),
        "plain": (False, False, None),
    }
