"""Migration 0006 backfills search_text for existing rows, builds the indexes (FTS5 with
triggers on SQLite, pg_trgm GIN on PostgreSQL), and downgrades cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from plyr.core.db import create_engine
from plyr.core.migrate import alembic_config, upgrade
from tests.services import postgres_database, using_postgres

ROWS = [
    "INSERT INTO artists (did, handle, display_name, preferences, created_at, updated_at) "
    "VALUES ('did:plc:one', 'aurora.test', 'Ångström Ünit', '{}', :now, :now)",
    "INSERT INTO audio_files (file_id, ext, content_type, size, created_at) "
    "VALUES ('0123456789abcdef', 'mp3', 'audio/mpeg', 1, :now)",
    "INSERT INTO tracks (artist_did, title, upload_file_id, file_id, file_type, visibility, "
    "status, origin, audio_on_pds, features, play_count, like_count, comment_count, "
    "created_at, updated_at) VALUES ('did:plc:one', 'I Don\u2019t Know', '0123456789abcdef', "
    "'0123456789abcdef', 'mp3', 'public', 'published', 'upload', false, '[]', 0, 0, 0, "
    ":now, :now)",
    "INSERT INTO albums (artist_did, slug, title, created_at, updated_at) "
    "VALUES ('did:plc:one', 'cafe-society', 'Café Society', :now, :now)",
    "INSERT INTO playlists (owner_did, name, is_private, created_at, updated_at) "
    "VALUES ('did:plc:one', 'Crème de la Crème', false, :now, :now)",
    "INSERT INTO tags (name) VALUES ('bossa nová')",
]
EXPECTED = {
    "artists": "angstrom unit",
    "tracks": "i dont know",
    "albums": "cafe society",
    "playlists": "creme de la creme",
    "tags": "bossa nova",
}


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test."""
    if not using_postgres():
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    with postgres_database("plyr_search") as url:
        yield url


async def _run(url: str, *statements: str) -> list[list[Any]]:
    from plyr.models import utcnow

    engine = create_engine(url)
    results: list[list[Any]] = []
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement), {"now": utcnow()})
                results.append(list(result.all()) if result.returns_rows else [])
    finally:
        await engine.dispose()
    return results


def _search_texts(url: str) -> dict[str, str]:
    rows = asyncio.run(_run(url, *(f"SELECT search_text FROM {t}" for t in EXPECTED)))
    return {table: result[0][0] for table, result in zip(EXPECTED, rows, strict=True)}


def _search_objects(url: str) -> set[str]:
    if url.startswith("sqlite"):
        query = (
            "SELECT name FROM sqlite_master WHERE name LIKE 'search%' AND type IN ('table', "
            "'trigger') AND name NOT LIKE '%\\_data' ESCAPE '\\' AND name NOT LIKE '%\\_idx' "
            "ESCAPE '\\' AND name NOT LIKE '%\\_config' ESCAPE '\\' AND name NOT LIKE "
            "'%\\_docsize' ESCAPE '\\' AND name NOT LIKE '%\\_content' ESCAPE '\\'"
        )
    else:
        query = "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_search%'"
    return {row[0] for row in asyncio.run(_run(url, query))[0]}


def test_upgrade_backfills_and_downgrade_removes(fresh_url: str) -> None:
    upgrade(fresh_url, "0005")
    asyncio.run(_run(fresh_url, *ROWS))
    upgrade(fresh_url, "0006")
    assert _search_texts(fresh_url) == EXPECTED
    objects = _search_objects(fresh_url)
    if fresh_url.startswith("sqlite"):
        assert {f"search_{t}" for t in EXPECTED} <= objects
        assert {f"search_{t}_{s}" for t in EXPECTED for s in ("ai", "au", "ad")} <= objects
        found = asyncio.run(
            _run(
                fresh_url,
                "SELECT rowid FROM search_tracks WHERE search_tracks MATCH '\"dont kn\"'",
                "SELECT did FROM search_artists WHERE search_artists MATCH '\"angstrom\"'",
                "SELECT rowid FROM search_albums WHERE search_albums MATCH '\"cafe\"'",
            )
        )
        assert [len(rows) for rows in found] == [1, 1, 1]
    else:
        assert objects == {f"ix_search_{t}" for t in EXPECTED} | {"ix_search_artists_handle"}

    command.downgrade(alembic_config(fresh_url), "0005")
    assert _search_objects(fresh_url) == set()
    columns = asyncio.run(
        _run(
            fresh_url,
            "SELECT name FROM pragma_table_info('tracks')"
            if fresh_url.startswith("sqlite")
            else "SELECT column_name FROM information_schema.columns WHERE table_name = 'tracks'",
        )
    )[0]
    assert "search_text" not in {c[0] for c in columns}
    assert asyncio.run(_run(fresh_url, "SELECT count(*) FROM tracks"))[0][0][0] == 1  # kept

    upgrade(fresh_url)
    assert _search_texts(fresh_url) == EXPECTED
