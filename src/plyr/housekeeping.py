"""Housekeeping that keeps "nothing lost, nothing leaked" true after crashes."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import profile
from plyr.atproto import firehose, mirror
from plyr.atproto.writes import NeedsSignIn, PdsUnavailable
from plyr.comments import records as comment_records
from plyr.core import pending
from plyr.core.multipart import remove_tree
from plyr.core.runtime import Runtime
from plyr.core.storage import StorageError
from plyr.jobs import repository as jobs
from plyr.likes import records as like_records
from plyr.lists import records as list_records
from plyr.models import Artist, PendingWrite, utcnow
from plyr.tracks import media, publishing
from plyr.tracks import repository as tracks

log = logging.getLogger(__name__)

ORPHAN_TMP_AFTER_S = 3600
ORPHAN_MEDIA_GRACE = timedelta(hours=1)


async def retry_pending_writes(
    runtime: Runtime, *, did: str | None = None, due_now: bool = False
) -> int:
    """Retry deferred writes (storage deletes, PDS record changes) that are due, or all of
    `did`'s with `due_now`; returns how many failed again (they back off exponentially, up
    to an hour). Each write is read, performed and marked in transactions of its own, none
    held open across the network."""
    async with runtime.sessionmaker() as db:
        writes = await pending.due(db, did=did, due_now=due_now)
    remaining = 0
    for write in writes:
        try:
            await _perform(runtime, write)
            error = None
        except (StorageError, PdsUnavailable, NeedsSignIn) as e:
            error = str(e)
            remaining += 1
        async with runtime.sessionmaker() as db:
            await pending.record_attempt(db, write, error)
            await db.commit()
    return remaining


async def _perform(runtime: Runtime, write: PendingWrite) -> None:
    payload = write.payload
    if write.kind == "storage_delete":
        for key in payload.get("keys", []):
            await runtime.storage.delete(key)
    elif write.kind == media.PLACE:
        await media.place_audio(runtime, list(payload.get("file_ids", [])))
    elif write.kind == "profile_sync":
        await _sync_profile(runtime, payload["did"])
    elif write.kind == "record_sync":
        await publishing.sync_record(runtime, int(payload["track_id"]))
    elif write.kind == "record_delete" and not await publishing.delete_record_now(
        runtime, payload["did"], payload["rkey"]
    ):
        raise PdsUnavailable("the PDS did not answer")
    elif write.kind == "like_sync":
        await like_records.sync_like(runtime, int(payload["like_id"]))
    elif write.kind == "liked_list_sync":
        await like_records.sync_liked_list(runtime, payload["did"])
    elif write.kind in ("like_delete", "comment_delete"):
        name = write.kind.removesuffix("_delete")
        await mirror.delete_now(runtime, payload["did"], name, payload["rkey"])
    elif write.kind == "comment_sync":
        await comment_records.sync_comment(runtime, int(payload["comment_id"]))
    elif write.kind in (list_records.SYNC, list_records.DELETE):
        await list_records.perform(runtime, write)
    elif write.kind == firehose.KEPT_COMMIT:
        await firehose.retry_kept_commit(runtime, write.did or "", payload.get("paths", []))


async def fail_stale_jobs(runtime: Runtime) -> None:
    """A job nobody has touched for a long time lost its worker: fail it and free its files."""
    before = utcnow() - timedelta(seconds=runtime.settings.job_stale_after_s)
    async with runtime.writer() as db:
        stale = await jobs.stale(db, before)
        for job in stale:
            await jobs.fail_unfinished(db, job.id)
        await db.commit()
    for job in stale:
        await anyio.to_thread.run_sync(remove_tree, runtime.settings.tmp_dir / "uploads" / job.id)


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


async def remove_orphan_media(
    runtime: Runtime, older_than: timedelta = ORPHAN_MEDIA_GRACE, page_size: int = 500
) -> int:
    """Media no row refers to, left by a process that died between storing and recording.
    Only objects older than the grace period go: storing makes an object new (even a link
    to an hours-old upload), and an upload records its row right after storing. Keys are
    read a page at a time, two queries per page."""
    cutoff = utcnow() - older_than
    removed = 0
    for prefix in ("audio/", "images/"):
        pages = runtime.storage.iter_keys(prefix, older_than=cutoff, page_size=page_size)
        async for keys in pages:
            async with runtime.sessionmaker() as db:
                orphans = await _unreferenced(db, keys)
            for key in orphans:
                await runtime.storage.delete(key)
            removed += len(orphans)
    return removed


async def _unreferenced(db: AsyncSession, keys: list[str]) -> list[str]:
    """Those of these audio/image keys (thumbnails included) no row refers to."""
    ids = {key: _id_and_ext(key)[0].removesuffix("_thumb") for key in keys}
    audio = [ids[key] for key in keys if key.startswith("audio/")]
    images = [ids[key] for key in keys if key.startswith("images/")]
    used = await tracks.files_in_use(db, audio) | await tracks.images_in_use(db, images)
    return [key for key in keys if ids[key] not in used]


async def _sync_profile(runtime: Runtime, did: str) -> None:
    async with runtime.sessionmaker() as db:
        artist = await db.get(Artist, did)
    if artist is not None:
        await profile.sync_profile(runtime, artist)


def _id_and_ext(key: str) -> tuple[str, str]:
    stem, _, ext = key.rsplit("/", 1)[-1].partition(".")
    return stem, ext


async def remove_old_exports(runtime: Runtime) -> int:
    """Export zips are kept a day after they are built."""
    from plyr.exports.service import EXPORT_PREFIX, KEEP_HOURS

    old = await runtime.storage.list_keys(
        EXPORT_PREFIX, older_than=utcnow() - timedelta(hours=KEEP_HOURS)
    )
    for key in old:
        await runtime.storage.delete(key)
    return len(old)


async def sweep(runtime: Runtime) -> None:
    """Every minute: what must not wait (deferred writes, dead jobs, temp files)."""
    await retry_pending_writes(runtime)
    await fail_stale_jobs(runtime)
    await remove_orphan_upload_dirs(runtime)


async def sweep_storage(runtime: Runtime) -> None:
    """Every hour: listings of the whole store (orphaned media, expired exports)."""
    await remove_orphan_media(runtime)
    await remove_old_exports(runtime)
