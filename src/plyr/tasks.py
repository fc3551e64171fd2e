"""Every background task, registered with the docket (each domain's from its `tasks.py`,
and here those that span domains); and what a worker does when it starts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from docket import Docket, Perpetual

from plyr.artists import repository as artists
from plyr.core import outbox
from plyr.core.runtime import Runtime, current_runtime
from plyr.discovery.tasks import analyze_track
from plyr.exports.tasks import export_tracks
from plyr.housekeeping import sweep, sweep_storage
from plyr.ingest.tasks import sync_repo
from plyr.jobs import repository as jobs
from plyr.moderation.fingerprint.tasks import scan_track
from plyr.moderation.images.tasks import score_image
from plyr.moderation.labeler.self_labels import sync_self_labels
from plyr.tracks import publishing
from plyr.tracks.tasks import enqueue_publish, enqueue_upload, process_upload, publish_track
from plyr.tracks.uploads import upload_dir

log = logging.getLogger(__name__)


async def housekeeping(
    perpetual: Perpetual = Perpetual(every=timedelta(minutes=1), automatic=True),
) -> None:
    """Retry outbox entries, fail abandoned jobs, remove orphaned temp files."""
    await sweep(current_runtime())


async def storage_housekeeping(
    perpetual: Perpetual = Perpetual(every=timedelta(hours=1), automatic=True),
) -> None:
    """Remove orphaned media and expired exports (each a listing of the whole store)."""
    await sweep_storage(current_runtime())


async def resume_pds_writes(did: str) -> None:
    """After the user signs in again: what waited on them (pending tracks, their outbox
    entries) goes through now."""
    runtime = current_runtime()
    async with runtime.sessionmaker() as db:
        await artists.set_pds_problem(db, did, None)
        await db.commit()
    for track_id in await publishing.pending_track_ids(runtime, did):
        await enqueue_publish(runtime, track_id)
    await outbox.drain(runtime, did=did, due_now=True)


TASKS: list[Callable[..., Awaitable[None]]] = [
    process_upload,
    publish_track,
    resume_pds_writes,
    sync_repo,
    export_tracks,
    housekeeping,
    storage_housekeeping,
    analyze_track,
    sync_self_labels,
    score_image,
    scan_track,
]


def register_tasks(docket: Docket) -> None:
    for task in TASKS:
        docket.register(task)


async def on_worker_start(runtime: Runtime) -> None:
    """With the in-process queue, a restart lost the queue: pick unfinished uploads back up."""
    if runtime.settings.redis_url:
        return  # Redis keeps the queue and redelivers the tasks of a worker that died
    async with runtime.writer() as db:
        for job in await jobs.unfinished(db, "upload"):
            if job.track_id is not None:  # recorded; only its PDS record is missing
                await enqueue_publish(runtime, job.track_id)
            elif upload_dir(runtime, job.id).exists():
                log.info("resuming upload %s", job.id)
                await enqueue_upload(runtime, job.id)
            else:
                await jobs.fail_unfinished(db, job.id)
        await db.commit()
