"""The export task: build the zip, then complete (or fail) its job."""

from __future__ import annotations

import logging
from datetime import timedelta

from docket import Retry
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.runtime import current_runtime
from plyr.exports import service
from plyr.jobs.service import JobReporter

log = logging.getLogger(__name__)


async def export_tracks(
    job_id: str, did: str, retry: Retry = Retry(attempts=2, delay=timedelta(seconds=5))
) -> None:
    """Zip a listener's tracks into storage; the job says when it can be downloaded."""
    runtime = current_runtime()
    reporter = JobReporter(runtime, job_id)
    try:
        await service.build(runtime, job_id, did)
    except Exception as e:
        log.exception("export %s failed", job_id)
        if retry.attempt < (retry.attempts or 1):
            raise
        await reporter.update(status="failed", error=f"the export failed: {e}", message="failed")
        return
    await reporter.update(status="completed", phase="done", progress_pct=100.0, message="ready")


async def queue_export(db: AsyncSession, job_id: str, did: str) -> None:
    """Once the job is committed (the worker must see it), build the export."""
    await outbox.enqueue(db, export_tracks.__name__, job_id, did, key=f"export-{job_id}", did=did)
