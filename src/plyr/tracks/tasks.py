"""Background tasks of the tracks domain."""

from __future__ import annotations

import uuid
from datetime import timedelta

from docket import ExponentialRetry, Retry
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository as artists
from plyr.atproto import sync as repo_sync
from plyr.core import outbox
from plyr.core.runtime import Runtime, current_runtime
from plyr.jobs import repository as jobs
from plyr.jobs.service import JobReporter
from plyr.tracks import pipeline, publishing

UPLOAD_RETRY = Retry(attempts=3, delay=timedelta(seconds=1))
# A PDS may be down for hours: keep trying, backing off to every ten minutes.
PUBLISH_RETRY = ExponentialRetry(
    attempts=None, minimum_delay=timedelta(seconds=2), maximum_delay=timedelta(minutes=10)
)


async def process_upload(job_id: str, retry: Retry = UPLOAD_RETRY) -> None:
    """Process an accepted upload; transient failures are retried, the last one fails the job."""
    final = retry.attempts is not None and retry.attempt >= retry.attempts
    await pipeline.process_upload(
        current_runtime(), job_id, final_attempt=final, defer_publish=enqueue_publish
    )


async def publish_track(track_id: int, retry: ExponentialRetry = PUBLISH_RETRY) -> None:
    """Write a pending track's record once its PDS answers; then its upload job completes.
    When the artist must sign in again first, stop: signing in resumes it."""
    runtime = current_runtime()
    try:
        warnings = await publishing.sync_record(runtime, track_id)  # PdsUnavailable: retried
    except publishing.NeedsSignIn as e:
        async with runtime.sessionmaker() as db:
            job_ids = await jobs.unfinished_for_track(db, track_id)
        for job_id in job_ids:
            await publishing.wait_for_sign_in(runtime, JobReporter(runtime, job_id), track_id, e)
        return
    async with runtime.writer() as db:
        job_ids = await jobs.complete_for_track(db, track_id)
        await db.commit()
    for job_id in job_ids:
        reporter = JobReporter(runtime, job_id)
        if warnings:
            await reporter.add_warnings(warnings)
        await reporter.update()


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


async def queue_after_sign_in(db: AsyncSession, did: str) -> None:
    """Once the session is committed: bring in what their repo already holds
    (`sync_repo`), and publish what waited for them (`resume_pds_writes`)."""
    await outbox.enqueue(db, sync_repo.__name__, did, key=f"sync-{did}", did=did)
    resume = f"resume-{did}-{uuid.uuid4().hex[:8]}"
    await outbox.enqueue(db, resume_pds_writes.__name__, did, key=resume, did=did)


async def sync_repo(did: str, retry: Retry = Retry(attempts=3, delay=timedelta(seconds=5))) -> None:
    """Import a signed-in user's existing records (profile, tracks from other clients)."""
    await repo_sync.sync_repo(current_runtime(), did)


async def enqueue_upload(runtime: Runtime, job_id: str) -> None:
    await runtime.docket.add(process_upload, key=f"upload-{job_id}")(job_id)


async def queue_upload(db: AsyncSession, job_id: str) -> None:
    """Once the job is committed (the worker must see it), process the upload."""
    await outbox.enqueue(db, process_upload.__name__, job_id, key=f"upload-{job_id}")


async def enqueue_publish(runtime: Runtime, track_id: int) -> None:
    await runtime.docket.add(publish_track, key=f"publish-{track_id}")(track_id)
