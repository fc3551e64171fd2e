"""`/queue/`: the listener's queue, the same on every device (ETag = revision)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from plyr.auth.dependencies import CurrentUser
from plyr.core.deps import DbSession
from plyr.queue import service
from plyr.queue.schemas import QueueOut, QueuePut

router = APIRouter(prefix="/queue", tags=["queue"])


def _etag(response: Response, revision: int) -> None:
    response.headers["ETag"] = f'"{revision}"'
    response.headers["Cache-Control"] = "no-store"


@router.get("/")
async def get_queue(user: CurrentUser, db: DbSession, response: Response) -> QueueOut:
    """My queue and its revision (ETag)."""
    queue = await service.read(db, user.did)
    _etag(response, queue.revision)
    return queue


@router.put("/", responses={409: {"description": "the queue changed since If-Match"}})
async def put_queue(
    body: QueuePut,
    user: CurrentUser,
    db: DbSession,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=64)] = None,
) -> QueueOut:
    """Replace my queue; with If-Match, only if nobody changed it since."""
    queue = await service.replace(db, user.did, body.state, service.parse_if_match(if_match))
    _etag(response, queue.revision)
    return queue
