"""The upload pipeline: probe -> transcode -> store -> atproto -> done, all or nothing."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy.exc import IntegrityError

from plyr.audio import (
    CONTENT_TYPES,
    AudioError,
    AudioInfo,
    ImageError,
    analyze,
    extract_cover,
    needs_transcode,
    probe,
    process_image,
    transcode_to_mp3,
)
from plyr.core import outbox
from plyr.core.multipart import remove_tree
from plyr.core.runtime import Runtime
from plyr.core.storage import audio_key
from plyr.jobs import repository as jobs
from plyr.jobs.service import JobReporter
from plyr.media.images import StoredImage, image_id_of, image_keys, store_image
from plyr.media.release import queue_delete, unreferenced_keys
from plyr.models import utcnow
from plyr.tracks import publishing, records, repository
from plyr.tracks.placement import private_audio, queue_placement
from plyr.tracks.progress import run_with_progress
from plyr.tracks.uploads import upload_dir

log = logging.getLogger(__name__)


class UploadFailed(Exception):
    """A failure the user must act on (not retried)."""


@dataclass
class Rendition:
    file_id: str
    ext: str
    path: Path
    size: int
    codec: str | None = None


@dataclass
class Prepared:
    """What the processing phases produced, ready to be stored and recorded."""

    info: AudioInfo
    original: Rendition
    playable: Rendition
    loudness: float | None
    peaks: list[tuple[float, float]]
    duration: float
    image: tuple[bytes, bytes, str] | None = None
    stored_image: StoredImage | None = None
    warnings: list[str] = field(default_factory=list)
    stored_keys: list[str] = field(default_factory=list)


DeferPublish = Callable[[Runtime, int], Awaitable[None]]


async def process_upload(
    runtime: Runtime, job_id: str, *, final_attempt: bool, defer_publish: DeferPublish
) -> None:
    """Run the job to completion, or fail it leaving nothing behind. Safe to re-run.
    `defer_publish` schedules the record write when the PDS is down."""
    async with runtime.writer() as db:
        job = await jobs.get(db, job_id)
        if job is None or job.status in ("completed", "failed"):
            return
        await jobs.set_fields(db, job_id, attempts=job.attempts + 1, heartbeat_at=utcnow())
        await db.commit()
    reporter = JobReporter(runtime, job_id)
    if job.track_id is not None:  # recorded by an attempt that died before finishing
        await _publish(runtime, reporter, job.track_id, defer_publish)
        return
    prepared: Prepared | None = None
    try:
        prepared = await _prepare(runtime, reporter, job.params, job.owner_did, job_id)
        await _store(runtime, reporter, prepared, job.params["fields"].get("visibility", "public"))
        track_id = await _record(runtime, reporter, prepared, job.params, job.owner_did, job_id)
    except (UploadFailed, AudioError) as e:
        await _fail(runtime, job_id, str(e), prepared)
    except Exception as e:
        if not final_attempt:
            log.warning("upload %s failed, will retry", job_id, exc_info=True)
            await reporter.update(message=f"retrying after an error: {e}")
            raise
        log.exception("upload %s failed", job_id)
        await _fail(runtime, job_id, f"processing failed: {e}", prepared)
    else:
        await _publish(runtime, reporter, track_id, defer_publish)


async def _prepare(
    runtime: Runtime, reporter: JobReporter, params: dict[str, Any], owner: str, job_id: str
) -> Prepared:
    work = upload_dir(runtime, job_id)
    source = work / params["audio_path"]
    if not source.exists():
        raise UploadFailed("the uploaded file is gone (the upload was interrupted); upload again")
    await reporter.phase_started("probe", 10.0, "reading the audio")
    async with runtime.sessionmaker() as db:
        existing = await repository.find_by_upload(db, owner, params["upload_file_id"])
    if existing is not None:
        raise UploadFailed(f"duplicate upload: track already exists (id: {existing})")
    info = await anyio.to_thread.run_sync(probe, source)
    analysis = await run_with_progress(
        reporter,
        10.0,
        30.0,
        lambda on_progress: analyze(
            source, expected_duration=info.duration, on_progress=on_progress
        ),
    )
    original = Rendition(params["upload_file_id"], info.format, source, params["size"], info.codec)
    playable = original
    if needs_transcode(info):
        await reporter.phase_started("transcode", 30.0, "converting to MP3 for browsers")
        playable = await _transcode(reporter, source, work)
    prepared = Prepared(
        info, original, playable, analysis.loudness_lufs, analysis.peaks, analysis.duration
    )
    prepared.image = await _artwork(work, params, source, prepared.warnings)
    return prepared


async def _transcode(reporter: JobReporter, source: Path, work: Path) -> Rendition:
    target = work / "playable.mp3"
    await run_with_progress(
        reporter,
        30.0,
        80.0,
        lambda on_progress: transcode_to_mp3(source, target, on_progress=on_progress),
    )
    digest, size = await anyio.to_thread.run_sync(_sha256_and_size, target)
    return Rendition(digest[:16], "mp3", target, size, "mp3")


def _sha256_and_size(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


async def _artwork(
    work: Path, params: dict[str, Any], source: Path, warnings: list[str]
) -> tuple[bytes, bytes, str] | None:
    if params.get("image_ext"):
        data = await anyio.Path(work / "image").read_bytes()
        thumb = await anyio.Path(work / "thumb.webp").read_bytes()
        return data, thumb, params["image_ext"]
    cover = await anyio.to_thread.run_sync(extract_cover, source)
    if cover is None:
        return None
    try:
        image = await anyio.to_thread.run_sync(process_image, cover)
    except ImageError as e:
        warnings.append(f"embedded cover art was ignored: {e}")
        return None
    return image.data, image.thumbnail, image.ext


async def _store(
    runtime: Runtime, reporter: JobReporter, prepared: Prepared, visibility: str
) -> None:
    await reporter.phase_started("store", 80.0, "saving")
    for rendition in {
        prepared.original.file_id: prepared.original,
        prepared.playable.file_id: prepared.playable,
    }.values():
        key = audio_key(rendition.file_id, rendition.ext)
        prepared.stored_keys.append(key)
        await runtime.storage.put_file(
            key,
            rendition.path,
            CONTENT_TYPES[rendition.ext],
            private=private_audio(visibility),
        )
    if prepared.image is not None:
        data, thumb, ext = prepared.image
        prepared.stored_image = StoredImage(image_id_of(data), ext)
        prepared.stored_keys.extend(image_keys(prepared.stored_image.image_id, ext))
        await store_image(runtime, data, thumb, ext)


async def _record(
    runtime: Runtime,
    reporter: JobReporter,
    prepared: Prepared,
    params: dict[str, Any],
    owner: str,
    job_id: str,
) -> int:
    """One transaction: the audio rows, the (pending) track and its tags, and the job's link
    to it. Returns the track's id."""
    try:
        async with runtime.writer() as db:
            track = await records.create_track(db, prepared, params, owner)
            await jobs.set_fields(db, job_id, track_id=track.id, warnings=prepared.warnings)
            # the same bytes may be another track's, of another visibility: reconcile (else
            # `_store` put them where this track's visibility asks)
            file_ids = [f for f in (track.file_id, track.original_file_id) if f]
            if await repository.files_shared(db, file_ids, track.id):
                await queue_placement(db, runtime, track)
            await outbox.commit(runtime, db)
            return track.id
    except IntegrityError as e:
        async with runtime.sessionmaker() as db:
            existing = await repository.find_by_upload(db, owner, prepared.original.file_id)
        if existing is None:
            raise
        raise UploadFailed(f"duplicate upload: track already exists (id: {existing})") from e


async def _publish(
    runtime: Runtime, reporter: JobReporter, track_id: int, defer_publish: DeferPublish
) -> None:
    """Write the track's record, then say `completed` (after removing the temp files, so a
    watcher sees the finished state). A PDS that is down leaves the track pending and a
    task retrying; one that needs the user to sign in again waits for that. The job
    completes when the record is written."""
    await anyio.to_thread.run_sync(remove_tree, upload_dir(runtime, reporter.job_id))
    await reporter.phase_started("atproto", 95.0, "publishing to your PDS")
    try:
        warnings = await publishing.sync_record(runtime, track_id)
    except publishing.NeedsSignIn as e:
        await publishing.wait_for_sign_in(runtime, reporter, track_id, e)
        return
    except publishing.PdsUnavailable as e:
        await reporter.update(message=f"saved; waiting for your PDS to publish it ({e})")
        await defer_publish(runtime, track_id)
        return
    if warnings:
        await reporter.add_warnings(warnings)
    await reporter.update(status="completed", phase="done", progress_pct=100.0, message="done")


async def _fail(runtime: Runtime, job_id: str, error: str, prepared: Prepared | None) -> None:
    """Remove everything the job left (temp files, unreferenced media), then mark it failed,
    so that a watcher who sees `failed` also sees a clean slate."""
    if prepared is not None and prepared.stored_keys:
        async with runtime.writer() as db:
            await queue_delete(db, await _orphaned(db, prepared))
            await outbox.commit(runtime, db)
    await anyio.to_thread.run_sync(remove_tree, upload_dir(runtime, job_id))
    async with runtime.sessionmaker() as db:
        await jobs.fail_unfinished(db, job_id, error)
        await db.commit()
    await JobReporter(runtime, job_id).update()


async def _orphaned(db: Any, prepared: Prepared) -> list[str]:
    audio = [(r.file_id, r.ext) for r in (prepared.original, prepared.playable)]
    images = []
    if prepared.stored_image is not None:
        images.append((prepared.stored_image.image_id, prepared.stored_image.ext))
    candidates = await unreferenced_keys(db, audio, images)
    return [k for k in candidates if k in prepared.stored_keys]
