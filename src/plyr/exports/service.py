"""Exporting a listener's own tracks as one zip (originals preferred), built by a task into
storage, then downloaded by its owner. Constant memory: audio is copied a chunk at a time."""

from __future__ import annotations

import re
import uuid
import zipfile
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.ratelimit import TooManyRequests
from plyr.core.runtime import Runtime
from plyr.jobs import repository as jobs
from plyr.jobs.service import JobReporter
from plyr.models import Job, Track
from plyr.tracks import repository as tracks

EXPORT_PREFIX = "exports/"
KEEP_HOURS = 24
EXPORT_RETRY_S = 30


def export_key(job_id: str) -> str:
    return f"{EXPORT_PREFIX}{job_id}.zip"


async def start(db: AsyncSession, did: str) -> Job:
    """A new export job; 429 while one of this account's is still pending or running
    (each builds a copy of every track: one at a time is plenty)."""
    running = await jobs.unfinished_of(db, did, "export")
    if running:
        raise TooManyRequests(
            f"an export is already running (job {running[0]}): wait for it to finish",
            EXPORT_RETRY_S,
        )
    job = Job(id=uuid.uuid4().hex, owner_did=did, type="export", status="pending", phase="queued")
    jobs.add(db, job)
    await db.flush()
    return job


def entry_name(track: Track, position: int, used: set[str]) -> str:
    """`01 - Title.flac`: safe on every file system, unique within the zip."""
    title = re.sub(r"[^\w\-. ()&,']+", "_", track.title).strip(" ._") or "track"
    ext = track.original_file_type or track.file_type
    name = f"{position:02} - {title[:120]}.{ext}"
    while name in used:
        name = f"{position:02} - {title[:120]} ({len(used)}).{ext}"
    used.add(name)
    return name


def source_key(track: Track) -> str:
    if track.original_file_id and track.original_file_type:
        return f"audio/{track.original_file_id}.{track.original_file_type}"
    return f"audio/{track.file_id}.{track.file_type}"


async def build(runtime: Runtime, job_id: str, did: str) -> str:
    """Write the zip of `did`'s tracks (every visibility) to storage; returns its key."""
    reporter = JobReporter(runtime, job_id)
    await reporter.phase_started("export", 0.0, "collecting your tracks")
    async with runtime.sessionmaker() as db:
        mine = await tracks.uploads_of(db, did)
    work = runtime.settings.tmp_dir / "exports"
    await anyio.Path(work).mkdir(parents=True, exist_ok=True)
    path = work / f"{job_id}.zip"
    try:
        await _write_zip(runtime, reporter, path, mine)
        await reporter.phase_started("store", 95.0, "storing the zip")
        await runtime.storage.put_file(export_key(job_id), path, "application/zip", private=True)
    finally:
        await anyio.Path(path).unlink(missing_ok=True)
    return export_key(job_id)


async def _write_zip(
    runtime: Runtime, reporter: JobReporter, path: Path, mine: list[Track]
) -> None:
    used: set[str] = set()
    # audio is already compressed: STORED, no CPU spent deflating it again
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for i, track in enumerate(mine, start=1):
            with archive.open(entry_name(track, i, used), "w", force_zip64=True) as entry:
                async for chunk in runtime.storage.read_chunks(source_key(track)):
                    await anyio.to_thread.run_sync(entry.write, chunk)
            await reporter.update(
                progress_pct=90.0 * i / max(1, len(mine)), message=f"{i} of {len(mine)} tracks"
            )


async def download_key(db: AsyncSession, job_id: str, did: str) -> tuple[Job, str]:
    from plyr.core.errors import Conflict, NotFound

    job = await jobs.get(db, job_id)
    if job is None or job.owner_did != did or job.type != "export":
        raise NotFound("export not found")
    if job.status != "completed":
        raise Conflict("the export is not ready yet")
    return job, export_key(job_id)
