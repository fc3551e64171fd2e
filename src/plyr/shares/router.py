"""Share links: make one, record a visit through one, see my links' listen receipts."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.shares import service
from plyr.shares.schemas import ShareOut, ShareStats
from plyr.tracks import service as tracks
from plyr.tracks.router import PLAY_COOKIE, PLAY_COOKIE_AGE
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


@router.post("/{track_id}/ref/{code}/click", status_code=204)
async def share_click(
    track_id: TrackId, code: Code, request: Request, db: DbSession, user: OptionalUser
) -> Response:
    """Record a visit of a track page opened through a share link."""
    await tracks.get_visible(db, track_id, user.did if user else None)
    response = Response(status_code=204)
    if user is not None:
        visitor = user.did
    else:  # the same anonymous id the play counter uses, so a later play matches the visit
        cookie_id = request.cookies.get(PLAY_COOKIE)
        if not cookie_id:
            cookie_id = secrets.token_urlsafe(16)
            response.set_cookie(
                PLAY_COOKIE,
                cookie_id,
                max_age=PLAY_COOKIE_AGE,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        visitor = service.anonymous_visitor(cookie_id)
    await service.record_click(db, track_id, code, visitor)
    return response
