"""Reports: any signed-in listener may flag a track, artist, album, playlist, tag or
comment for review (at most 10 an hour)."""

from __future__ import annotations

from fastapi import APIRouter

from plyr.auth.dependencies import CurrentUser
from plyr.auth.ratelimits import ReportLimit
from plyr.core import outbox
from plyr.core.deps import RuntimeDep, WriterDbSession
from plyr.moderation import reports
from plyr.moderation.schemas import ReportIn, ReportOut

router = APIRouter(prefix="/moderation", tags=["moderation"])


@router.post("/reports", status_code=201, dependencies=[ReportLimit])
async def report(
    body: ReportIn, user: CurrentUser, db: WriterDbSession, runtime: RuntimeDep
) -> ReportOut:
    """Report something for review; 404 when it does not exist (or you may not see it)."""
    item = await reports.file_report(db, user.did, body)
    await outbox.commit(runtime, db)  # the admins are told once it is in the queue
    return ReportOut(id=item.id)
