"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from plyr.core.db import create_engine
from plyr.core.migrate import upgrade
from plyr.models import Base, utcnow
from plyr.search.ddl import include_name
from tests.services import postgres_database, using_postgres


def _diff(connection: Connection) -> list[object]:
    # the search engines' FTS tables and trigram indexes are not models (plyr.search.ddl)
    opts = {"compare_type": True, "include_name": include_name}
    context = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    await engine.dispose()
    assert diff == []


def test_existing_private_audio_is_queued_to_move(tmp_path: Path) -> None:
    """Upgrading a deployment: audio of private and supporter-only tracks stored before the
    private bucket existed gets the pending write that moves it out of the public store."""
    if using_postgres():
        with postgres_database("plyr_upgrade") as url:
            queued = _upgrade_with_tracks(url)
    else:
        queued = _upgrade_with_tracks(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    assert queued == [("storage_place", ["f2"], False), ("storage_place", ["f3"], False)]


def test_private_audio_moved_by_0008_is_queued_again_for_local_storage(tmp_path: Path) -> None:
    """0008 moved private audio only on S3 (its writes are done, local storage had one
    folder): 0009 queues the move into local storage's private folder once more."""
    if using_postgres():
        with postgres_database("plyr_upgrade_local") as url:
            queued = _upgrade_from_0008(url)
    else:
        queued = _upgrade_from_0008(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    assert queued == [
        ("storage_place", ["f2"], False),
        ("storage_place", ["f2"], True),
        ("storage_place", ["f3"], False),
        ("storage_place", ["f3"], True),
    ]


def _upgrade_from_0008(url: str) -> list[tuple[str, list[str], bool]]:
    upgrade(url, "0006")
    asyncio.run(_add_tracks(url, ("public", "unlisted", "supporters", "private")))
    upgrade(url, "0008")
    asyncio.run(_mark_pending_writes_done(url))
    upgrade(url, "head")
    return asyncio.run(_pending_writes(url))


async def _mark_pending_writes_done(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE pending_writes SET done = true"))
    await engine.dispose()


def _upgrade_with_tracks(url: str) -> list[tuple[str, list[str], bool]]:
    upgrade(url, "0006")
    asyncio.run(_add_tracks(url, ("public", "unlisted", "supporters", "private")))
    upgrade(url, "head")
    return asyncio.run(_pending_writes(url))


async def _add_tracks(url: str, visibilities: tuple[str, ...]) -> None:
    engine = create_engine(url)
    now = {"now": utcnow()}
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO artists (did, handle, preferences, created_at, updated_at)"
                " VALUES ('did:plc:a', 'a.test', '{}', :now, :now)"
            ),
            now,
        )
        for n, visibility in enumerate(visibilities):
            await conn.execute(
                text(
                    "INSERT INTO audio_files (file_id, ext, content_type, size, created_at)"
                    " VALUES (:f, 'mp3', 'audio/mpeg', 1, :now)"
                ),
                {"f": f"f{n}", **now},
            )
            await conn.execute(
                text(
                    "INSERT INTO tracks (artist_did, title, search_text, upload_file_id, file_id,"
                    " file_type, visibility, status, origin, audio_on_pds, features,"
                    " play_count, like_count, comment_count, created_at, updated_at)"
                    " VALUES ('did:plc:a', :t, :s, :f, :g, 'mp3', :v, 'published', 'upload',"
                    " false, '[]', 0, 0, 0, :now, :now)"
                ),
                {"t": visibility, "s": visibility, "f": f"f{n}", "g": f"f{n}", "v": visibility}
                | {"now": now["now"]},
            )
    await engine.dispose()


async def _pending_writes(url: str) -> list[tuple[str, list[str], bool]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT kind, payload, done FROM pending_writes"))).all()
    await engine.dispose()
    return sorted((kind, _json(payload)["file_ids"], bool(done)) for kind, payload, done in rows)


def _json(value: str | dict[str, Any]) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)  # SQLite: text


def test_waiting_track_writes_keep_their_handlers(tmp_path: Path) -> None:
    """Upgrading a deployment: track writes still waiting under their old kind names are
    renamed to the outbox's kinds (an unknown kind would never be performed)."""
    if using_postgres():
        with postgres_database("plyr_upgrade_kinds") as url:
            kinds = _upgrade_with_waiting_writes(url)
    else:
        kinds = _upgrade_with_waiting_writes(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    assert kinds == [("track_delete", None), ("track_sync", None)]


def _upgrade_with_waiting_writes(url: str) -> list[tuple[str, object]]:
    upgrade(url, "0008")
    asyncio.run(_add_waiting_writes(url, ("record_sync", "record_delete")))
    upgrade(url, "head")
    return asyncio.run(_kinds_and_leases(url))


async def _add_waiting_writes(url: str, kinds: tuple[str, ...]) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        for kind in kinds:
            await conn.execute(
                text(
                    "INSERT INTO pending_writes (kind, did, payload, attempts, created_at,"
                    " next_attempt_at, done) VALUES (:k, 'did:plc:a', '{}', 0, :now, :now, false)"
                ),
                {"k": kind, "now": utcnow()},
            )
    await engine.dispose()


async def _kinds_and_leases(url: str) -> list[tuple[str, object]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        query = text("SELECT kind, claimed_until FROM pending_writes")
        rows = (await conn.execute(query)).all()
    await engine.dispose()
    return sorted((kind, claimed) for kind, claimed in rows)
