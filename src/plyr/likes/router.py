"""Likes: like and unlike a track, my liked tracks, a track's likers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.likes import records, service
from plyr.likes.schemas import LikeOut, LikerOut
from plyr.models import Track
from plyr.tracks import service as tracks
from plyr.tracks.dependencies import visible_track_writing
from plyr.tracks.schemas import TrackId, TrackOut

router = APIRouter(prefix="/tracks", tags=["likes"])


@router.get("/liked")
async def my_liked_tracks(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> list[TrackOut]:
    """My liked tracks, newest like first."""
    return await service.liked_tracks(db, runtime, user.did)


LikableTrack = Annotated[Track, Depends(visible_track_writing("like", "create"))]
UnlikableTrack = Annotated[Track, Depends(visible_track_writing("like", "delete"))]


@router.post("/{track_id}/like")
async def like_track(track: LikableTrack, user: CurrentUser, db: DbSession) -> LikeOut:
    """Like a track (again: nothing changes); mirrored as an `fm.plyr.like` record."""
    like, created = await service.like(db, track, user.did)
    await db.flush()  # the like's id, for its record
    if created or (like.atproto_record_uri is None and track.atproto_record_uri):
        await records.queue_sync(db, like.id, user.did)
    if created:
        await records.queue_liked_list(db, user.did)
    return LikeOut(liked=True)


@router.delete("/{track_id}/like")
async def unlike_track(track: UnlikableTrack, user: CurrentUser, db: DbSession) -> LikeOut:
    """Unlike a track (when not liked: nothing changes); its record is deleted."""
    gone = await service.unlike(db, track, user.did)
    if gone is not None:
        if gone.rkey is not None:
            await records.queue_delete(db, gone.did, gone.rkey)
        await records.queue_liked_list(db, user.did)
    return LikeOut(liked=False)


@router.get("/{track_id}/likes")
async def track_likers(
    track_id: TrackId,
    request: Request,
    response: Response,
    db: DbSession,
    user: OptionalUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[LikerOut]:
    """Who liked a track, newest first, a page at a time (`Link: <…>; rel="next"` when
    there are more)."""
    await tracks.get_visible(db, track_id, user.did if user else None)
    page = await service.likers(db, track_id, limit + 1, offset)
    if len(page) > limit:
        following = request.url.include_query_params(limit=limit, offset=offset + limit)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return page[:limit]
