"""Housekeeping that keeps "nothing lost, nothing leaked" true after crashes."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.multipart import remove_tree
from plyr.core.runtime import Runtime
from plyr.jams.membership import end_idle as end_idle_jams
from plyr.jobs import repository as jobs
from plyr.media import repository as media
from plyr.models import utcnow

log = logging.getLogger(__name__)

ORPHAN_TMP_AFTER_S = 3600
ORPHAN_MEDIA_GRACE = timedelta(hours=1)


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
    used = await media.files_in_use(db, audio) | await media.images_in_use(db, images)
    return [key for key in keys if ids[key] not in used]


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
    """Every minute: what must not wait (outbox entries due, dead jobs, temp files, jams
    left idle)."""
    await outbox.drain(runtime)
    await outbox.prune(runtime)
    await fail_stale_jobs(runtime)
    await remove_orphan_upload_dirs(runtime)
    await end_idle_jams(runtime)


async def sweep_storage(runtime: Runtime) -> None:
    """Every hour: listings of the whole store (orphaned media, expired exports)."""
    await remove_orphan_media(runtime)
    await remove_old_exports(runtime)
