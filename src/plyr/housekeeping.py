"""Housekeeping that keeps "nothing lost, nothing leaked" true after crashes."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import anyio
from sqlalchemy import select

from plyr.artists import profile
from plyr.core.multipart import remove_tree
from plyr.core.runtime import Runtime
from plyr.core.storage import StorageError
from plyr.jobs import repository as jobs
from plyr.models import Artist, PendingWrite, utcnow
from plyr.tracks import publishing
from plyr.tracks import repository as tracks
from plyr.tracks.media import unreferenced_keys
from plyr.tracks.publishing import PdsUnavailable

log = logging.getLogger(__name__)

ORPHAN_TMP_AFTER_S = 3600


async def retry_pending_writes(runtime: Runtime) -> int:
    """Retry deferred writes (storage deletes, PDS record changes); returns how many failed
    again (they back off exponentially, up to an hour)."""
    remaining = 0
    async with runtime.sessionmaker() as db:
        query = select(PendingWrite).where(
            PendingWrite.done.is_(False), PendingWrite.next_attempt_at <= utcnow()
        )
        for write in (await db.execute(query)).scalars():
            try:
                await _perform(runtime, write)
                write.done = True
            except (StorageError, PdsUnavailable) as e:
                write.attempts += 1
                write.last_error = str(e)
                backoff = min(3600, 30 * 2**write.attempts)
                write.next_attempt_at = utcnow() + timedelta(seconds=backoff)
                remaining += 1
        await db.commit()
    return remaining


async def _perform(runtime: Runtime, write: PendingWrite) -> None:
    payload = write.payload
    if write.kind == "storage_delete":
        for key in payload.get("keys", []):
            await runtime.storage.delete(key)
    elif write.kind == "profile_sync":
        await _sync_profile(runtime, payload["did"])
    elif write.kind == "record_sync":
        await publishing.sync_record(runtime, int(payload["track_id"]))
    elif write.kind == "record_delete" and not await publishing.delete_record_now(
        runtime, payload["did"], payload["rkey"]
    ):
        raise PdsUnavailable("the PDS did not answer")


async def fail_stale_jobs(runtime: Runtime) -> None:
    """A job nobody has touched for a long time lost its worker: fail it and free its files."""
    before = utcnow() - timedelta(seconds=runtime.settings.job_stale_after_s)
    async with runtime.sessionmaker() as db:
        for job in await jobs.stale(db, before):
            await jobs.fail_unfinished(db, job.id)
            await anyio.to_thread.run_sync(
                remove_tree, runtime.settings.tmp_dir / "uploads" / job.id
            )
        await db.commit()


async def remove_orphan_upload_dirs(runtime: Runtime) -> None:
    """Upload folders whose job never got recorded (the process died mid-request)."""
    root = runtime.settings.tmp_dir / "uploads"
    if not root.exists():
        return
    cutoff = time.time() - ORPHAN_TMP_AFTER_S
    async with runtime.sessionmaker() as db:
        for path in root.iterdir():
            if path.stat().st_mtime < cutoff and await jobs.get(db, path.name) is None:
                await anyio.to_thread.run_sync(remove_tree, path)


async def remove_orphan_media(runtime: Runtime, older_than: timedelta = timedelta(hours=1)) -> int:
    """Media no row refers to, left by a process that died between storing and recording.
    The age guard leaves alone what an upload in progress has just stored."""
    cutoff = utcnow() - older_than
    audio = await runtime.storage.list_keys("audio/", older_than=cutoff)
    images = await runtime.storage.list_keys("images/", older_than=cutoff)
    async with runtime.sessionmaker() as db:
        orphans = await unreferenced_keys(
            db,
            [_id_and_ext(key) for key in audio],
            [_id_and_ext(key) for key in images if not key.endswith("_thumb.webp")],
        )
        orphans += [
            key
            for key in images
            if key.endswith("_thumb.webp")
            and not await tracks.image_in_use(db, key[7:].removesuffix("_thumb.webp"))
        ]
    for key in sorted(set(orphans)):
        await runtime.storage.delete(key)
    return len(set(orphans))


async def _sync_profile(runtime: Runtime, did: str) -> None:
    async with runtime.sessionmaker() as db:
        artist = await db.get(Artist, did)
    if artist is not None:
        try:
            await profile.sync_profile(runtime, artist)
        except profile.ProfileUnavailable as e:
            raise PdsUnavailable(str(e)) from e


def _id_and_ext(key: str) -> tuple[str, str]:
    stem, _, ext = key.rsplit("/", 1)[-1].partition(".")
    return stem, ext


async def sweep(runtime: Runtime) -> None:
    await retry_pending_writes(runtime)
    await fail_stale_jobs(runtime)
    await remove_orphan_upload_dirs(runtime)
    await remove_orphan_media(runtime)
