"""Job status, as JSON and as a server-sent event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from plyr.auth.dependencies import CurrentUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import NotFound
from plyr.jobs import repository, service
from plyr.jobs.schemas import JobOut

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}")
async def get_job(job_id: str, user: CurrentUser, db: DbSession) -> JobOut:
    """A job's status (its owner only)."""
    job = await repository.get(db, job_id)
    if job is None or job.owner_did != user.did:
        raise NotFound("job not found")
    return JobOut.of(job)


@router.get(
    "/tracks/uploads/{upload_id}/progress",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def upload_progress(
    upload_id: str, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> StreamingResponse:
    """Server-sent events: the upload's Job each time it changes, until it finishes (its
    owner only; a few streams per account at a time, each for at most 30 minutes)."""
    job = await repository.get(db, upload_id)
    if job is None or job.owner_did != user.did:
        raise NotFound("upload not found")
    streams = runtime.limiter.event_streams
    slot = streams.take(user.did)

    async def events() -> AsyncIterator[str]:
        try:
            async for job in service.watch(runtime, upload_id, streams.lifetime_s):
                yield f"event: job\ndata: {job.model_dump_json()}\n\n"
        finally:
            streams.release(user.did, slot)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
