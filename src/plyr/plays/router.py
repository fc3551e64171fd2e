"""`POST /tracks/{id}/play`: count a play, and give the share link it came through its
listen receipt."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import CacheDep, DbSession
from plyr.core.ratelimit import client_ip
from plyr.shares import service as shares
from plyr.tracks import service
from plyr.tracks.listeners import ANONYMOUS_PREFIX, CurrentListener, PlayLimits
from plyr.tracks.schemas import PlayIn, PlayOut, TrackId

router = APIRouter(prefix="/tracks", tags=["tracks"])


@router.post("/{track_id}/play", dependencies=[PlayLimits])
async def count_play(
    track_id: TrackId,
    request: Request,
    db: DbSession,
    cache: CacheDep,
    user: OptionalUser,
    who: CurrentListener,
    body: PlayIn | None = None,
) -> JSONResponse:
    """Report a play (after min(30 s, half the track) of listening); deduplicated per listener."""
    track = await service.get_visible(db, track_id, user.did if user else None)
    before = track.play_count
    ip = client_ip(request) if who.id.startswith(ANONYMOUS_PREFIX) else None
    count = await service.count_play(db, cache, track, who.id, body.ref if body else None, ip)
    if body and body.ref and count > before:  # counted: a listen receipt for the share link
        await shares.record_play(db, track.id, body.ref, who.id)
    response = JSONResponse(PlayOut(play_count=count).model_dump())
    who.remember(request, response)
    return response
