"""Background tasks of the tracks domain."""

from __future__ import annotations

from datetime import timedelta

from docket import ExponentialRetry, Retry
from sqlalchemy.ext.asyncio import AsyncSession

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


async def enqueue_upload(runtime: Runtime, job_id: str) -> None:
    await runtime.docket.add(process_upload, key=f"upload-{job_id}")(job_id)


async def queue_upload(db: AsyncSession, job_id: str) -> None:
    """Once the job is committed (the worker must see it), process the upload."""
    await outbox.enqueue(db, process_upload.__name__, job_id, key=f"upload-{job_id}")


async def enqueue_publish(runtime: Runtime, track_id: int) -> None:
    await runtime.docket.add(publish_track, key=f"publish-{track_id}")(track_id)
