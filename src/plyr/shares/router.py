"""Share links: make one, record a visit through one, see my links' listen receipts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.core.deps import CacheDep, DbSession, RuntimeDep
from plyr.core.ratelimit import client_ip
from plyr.shares import service
from plyr.shares.schemas import ShareOut, ShareStats
from plyr.tracks import service as tracks
from plyr.tracks.listeners import ANONYMOUS_PREFIX, CurrentListener, ShareClickLimits
from plyr.tracks.schemas import TrackId

router = APIRouter(prefix="/tracks", tags=["shares"])
Code = Annotated[str, Path(min_length=1, max_length=16)]


@router.get("/me/shares")
async def my_shares(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> list[ShareStats]:
    """My share links that others used: distinct visitors, listeners, anonymous visitors."""
    return await service.my_shares(db, runtime, user.did)


@router.post("/{track_id}/share")
async def share_track(
    track_id: TrackId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> ShareOut:
    """My `?ref=` link to a track (the same one each time)."""
    track = await tracks.get_visible(db, track_id, user.did)
    return await service.share(db, runtime, track, user.did)


@router.post("/{track_id}/ref/{code}/click", status_code=204, dependencies=[ShareClickLimits])
async def share_click(
    track_id: TrackId,
    code: Code,
    request: Request,
    db: DbSession,
    cache: CacheDep,
    user: OptionalUser,
    who: CurrentListener,
) -> Response:
    """Record a visit of a track page opened through a share link."""
    await tracks.get_visible(db, track_id, user.did if user else None)
    response = Response(status_code=204)
    who.remember(request, response)
    ip = client_ip(request) if who.id.startswith(ANONYMOUS_PREFIX) else None
    await service.record_click(db, track_id, code, who.id, cache, ip)
    return response
