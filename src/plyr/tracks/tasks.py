"""Background tasks of the tracks domain."""

from __future__ import annotations

from datetime import timedelta

from docket import Retry

from plyr.core.runtime import Runtime, current_runtime
from plyr.tracks import pipeline

UPLOAD_RETRY = Retry(attempts=3, delay=timedelta(seconds=1))


async def process_upload(job_id: str, retry: Retry = UPLOAD_RETRY) -> None:
    """Process an accepted upload; transient failures are retried, the last one fails the job."""
    final = retry.attempts is not None and retry.attempt >= retry.attempts
    await pipeline.process_upload(current_runtime(), job_id, final_attempt=final)


async def enqueue_upload(runtime: Runtime, job_id: str) -> None:
    await runtime.docket.add(process_upload, key=f"upload-{job_id}")(job_id)
