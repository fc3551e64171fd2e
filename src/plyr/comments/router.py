"""Timed comments on tracks: read, post, edit (authors), delete (authors and the track's
artist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from plyr.atproto.writes import ensure_scope
from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.auth.ratelimits import CommentLimit
from plyr.comments import records, service
from plyr.comments.schemas import CommentEdit, CommentIn, CommentOut
from plyr.core.deps import DbSession, RuntimeDep
from plyr.tracks import service as tracks
from plyr.tracks.schemas import MAX_ID, TrackId

router = APIRouter(prefix="/tracks", tags=["comments"])
CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/{track_id}/comments")
async def list_comments(track_id: TrackId, db: DbSession, user: OptionalUser) -> list[CommentOut]:
    """A track's comments by position (none when its artist turned comments off)."""
    track = await tracks.get_visible(db, track_id, user.did if user else None)
    return await service.for_track(db, track)


@router.post("/{track_id}/comments", status_code=201, dependencies=[CommentLimit])
async def post_comment(
    track_id: TrackId, body: CommentIn, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> CommentOut:
    """Comment at a position in a track (at most 20 comments per track)."""
    track = await tracks.get_visible(db, track_id, user.did)
    await ensure_scope(runtime, user.did, "comment", "create")
    comment = await service.add(db, track, user.artist, body.text, body.timestamp_ms)
    await db.flush()  # the comment's id, for its record
    await records.queue_sync(db, comment.id, user.did)
    return comment


@router.patch("/comments/{comment_id}")
async def edit_comment(
    comment_id: CommentId,
    body: CommentEdit,
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
) -> CommentOut:
    """Edit my comment's text."""
    comment = await service.edit(db, comment_id, user.artist, body.text)
    await ensure_scope(runtime, user.did, "comment", "create", "update")
    await records.queue_sync(db, comment.id, user.did)
    return comment


@router.delete("/comments/{comment_id}", status_code=204)
async def delete_comment(
    comment_id: CommentId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Response:
    """Delete my comment (its record too), or any comment on my own track."""
    deleted = await service.delete(db, comment_id, user.did)
    if deleted.rkey is not None:  # a record to delete: the grant must allow it
        await ensure_scope(runtime, user.did, "comment", "delete")
        await records.queue_delete(db, deleted.did, deleted.rkey)
    return Response(status_code=204)
