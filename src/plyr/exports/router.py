"""`/exports/`: my tracks as one zip, built in the background (watch the job)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel

from plyr.auth.dependencies import CurrentUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.exports import service
from plyr.exports.tasks import queue_export

router = APIRouter(prefix="/exports", tags=["exports"])


class ExportAccepted(BaseModel):
    job_id: str
    status: str = "pending"


@router.post("/", status_code=202)
async def start_export(user: CurrentUser, db: DbSession) -> ExportAccepted:
    """Export all my tracks (originals preferred) as a zip; progress at /jobs/{job_id}."""
    job = await service.start(db, user.did)
    await queue_export(db, job.id, user.did)
    return ExportAccepted(job_id=job.id)


@router.get(
    "/{job_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {}}},
        307: {"description": "S3: a presigned URL of the private bucket"},
        409: {"description": "not ready"},
    },
)
async def download_export(
    job_id: str, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Response:
    """Download a finished export (its owner only)."""
    _, key = await service.download_key(db, job_id, user.did)
    filename = f"plyr-{user.artist.handle}-tracks.zip"
    presigned = await runtime.storage.presigned_url(key, filename=filename)
    if presigned:
        return RedirectResponse(presigned, status_code=307, headers={"Cache-Control": "no-store"})
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(
        runtime.storage.read_chunks(key), media_type="application/zip", headers=headers
    )
