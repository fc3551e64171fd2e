"""Housekeeping: what a crash left behind is found and removed, what is in use is kept."""

from __future__ import annotations

import inspect
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event, select, update

from plyr.core import outbox
from plyr.core.config import Settings
from plyr.core.storage import StorageError
from plyr.housekeeping import remove_orphan_media, sweep, sweep_storage
from plyr.models import Job, PendingWrite, utcnow
from plyr.tasks import TASKS, storage_housekeeping
from tests.app import User
from tests.audio.media import make_audio
from tests.helpers import media_files, temp_files, upload_track


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_orphan_media_is_removed_after_an_hour(
    client: AsyncClient, app: FastAPI, alice: User, tmp_path: Path, settings: Settings
) -> None:
    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="kept")
    storage = app.state.runtime.storage
    await storage.put_bytes("audio/00000000000000aa.mp3", b"left by a crash", "audio/mpeg")
    await storage.put_bytes("audio/00000000000000bb.mp3", b"being uploaded", "audio/mpeg")
    await storage.put_bytes("images/00000000000000cc_thumb.webp", b"thumb", "image/webp")
    for key in (
        "audio/00000000000000aa.mp3",
        "images/00000000000000cc_thumb.webp",
        f"audio/{track['file_id']}.mp3",
    ):
        age(settings.media_dir / key, 7200)

    assert await remove_orphan_media(app.state.runtime) == 2
    assert media_files(settings) == sorted(
        [f"audio/{track['file_id']}.mp3", "audio/00000000000000bb.mp3"]
    )
    assert (await client.get(track["audio_url"])).status_code == 200


async def test_an_old_upload_stored_now_is_not_an_orphan(app: FastAPI, tmp_path: Path) -> None:
    """Local storage links the upload into place; an upload that waited hours in the queue
    must not look hours old to the sweep in the moment before its row is recorded."""
    storage = app.state.runtime.storage
    upload = tmp_path / "waited-in-the-queue.mp3"
    upload.write_bytes(b"ID3 an upload from two hours ago")
    age(upload, 7200)
    await storage.put_file("audio/00000000000000ee.mp3", upload, "audio/mpeg")
    assert await remove_orphan_media(app.state.runtime) == 0
    assert await storage.exists("audio/00000000000000ee.mp3")


async def test_the_orphan_sweep_reads_pages_with_two_queries_each(
    app: FastAPI, client: AsyncClient, alice: User, tmp_path: Path, settings: Settings
) -> None:
    runtime = app.state.runtime
    track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="kept")
    kept = f"audio/{track['file_id']}.mp3"
    orphans = [f"audio/{i:016x}.mp3" for i in range(9)]
    for key in orphans:
        await runtime.storage.put_bytes(key, b"left by a crash", "audio/mpeg")
    for key in [*orphans, kept]:
        age(settings.media_dir / key, 7200)
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert await remove_orphan_media(runtime, page_size=4) == 9
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2 * 3  # 10 keys in 3 pages, not a query per file
    assert media_files(settings) == [kept]


async def test_media_is_swept_hourly_not_every_minute(app: FastAPI, settings: Settings) -> None:
    runtime = app.state.runtime
    await runtime.storage.put_bytes("audio/00000000000000ab.mp3", b"orphan", "audio/mpeg")
    age(settings.media_dir / "audio/00000000000000ab.mp3", 7200)
    await sweep(runtime)  # the minute sweep does not list the store
    assert media_files(settings) == ["audio/00000000000000ab.mp3"]
    every = inspect.signature(storage_housekeeping).parameters["perpetual"].default.every
    assert every == timedelta(hours=1) and storage_housekeeping in TASKS
    await sweep_storage(runtime)
    assert media_files(settings) == []


async def test_deferred_deletes_are_retried(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = app.state.runtime
    key = "audio/00000000000000dd.mp3"
    await runtime.storage.put_bytes(key, b"x", "audio/mpeg")
    async with runtime.writer() as db:
        db.add(PendingWrite(kind="storage_delete", payload={"keys": [key]}))
        await db.commit()

    async def unavailable(key: str) -> None:
        raise StorageError("unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(runtime.storage, "delete", unavailable)
        assert await outbox.drain(runtime) == 1
    assert await runtime.storage.exists(key)
    assert await outbox.drain(runtime) == 0  # backing off: not due yet
    assert await runtime.storage.exists(key)

    async with runtime.writer() as db:
        await db.execute(update(PendingWrite).values(next_attempt_at=utcnow()))
        await db.commit()
    assert await outbox.drain(runtime) == 0
    assert not await runtime.storage.exists(key)
    async with runtime.writer() as db:
        write = (await db.execute(select(PendingWrite))).scalars().one()
    assert write.done and write.attempts == 1 and write.last_error == "unreachable"


async def test_abandoned_jobs_and_temp_dirs_are_cleaned(
    app: FastAPI, alice: User, settings: Settings
) -> None:
    runtime = app.state.runtime
    stale_dir = settings.tmp_dir / "uploads" / "stalejob"
    orphan_dir = settings.tmp_dir / "uploads" / "nojob"
    for d in (stale_dir, orphan_dir):
        d.mkdir(parents=True)
        (d / "part-1").write_bytes(b"audio")
    age(orphan_dir, 7200)
    async with runtime.writer() as db:
        db.add(
            Job(
                id="stalejob",
                owner_did=alice.did,
                type="upload",
                status="processing",
                updated_at=utcnow() - timedelta(hours=2),
                heartbeat_at=utcnow() - timedelta(hours=2),
            )
        )
        await db.commit()
    await sweep(runtime)
    async with runtime.writer() as db:
        job = await db.get(Job, "stalejob")
    assert job is not None and job.status == "failed" and "interrupted" in (job.error or "")
    assert temp_files(settings) == []


async def test_queued_jobs_survive_the_stale_sweep(
    app: FastAPI, alice: User, settings: Settings
) -> None:
    """Jobs that wait in a backlog for hours were never claimed by a worker: not stale."""
    runtime = app.state.runtime
    queued = settings.tmp_dir / "uploads" / "queuedjob"
    queued.mkdir(parents=True)
    (queued / "part-1").write_bytes(b"audio")
    long_ago = utcnow() - timedelta(hours=3)
    async with runtime.writer() as db:
        db.add(Job(id="queuedjob", owner_did=alice.did, type="upload", updated_at=long_ago))
        db.add(
            Job(
                id="queuedexport",
                owner_did=alice.did,
                type="export",
                phase="queued",
                updated_at=long_ago,
            )
        )
        await db.commit()
    await sweep(runtime)
    async with runtime.writer() as db:
        statuses = {job.id: job.status for job in (await db.scalars(select(Job))).all()}
    assert statuses == {"queuedjob": "pending", "queuedexport": "pending"}
    assert (queued / "part-1").exists()
