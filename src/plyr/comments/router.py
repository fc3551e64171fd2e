"""Timed comments on tracks: read, post, edit (authors), delete (authors and the track's
artist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from plyr.atproto.writes import ensure_scope
from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.auth.ratelimits import CommentLimit
from plyr.comments import records, service
from plyr.comments.schemas import CommentEdit, CommentIn, CommentOut
from plyr.core.deps import DbSession, RuntimeDep
from plyr.models import Comment, Track
from plyr.tracks import service as tracks
from plyr.tracks.dependencies import visible_track_writing
from plyr.tracks.schemas import MAX_ID, TrackId

router = APIRouter(prefix="/tracks", tags=["comments"])
CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/{track_id}/comments")
async def list_comments(track_id: TrackId, db: DbSession, user: OptionalUser) -> list[CommentOut]:
    """A track's comments by position (none when its artist turned comments off)."""
    track = await tracks.get_visible(db, track_id, user.did if user else None)
    return await service.for_track(db, track)


CommentableTrack = Annotated[Track, Depends(visible_track_writing("comment", "create"))]


@router.post("/{track_id}/comments", status_code=201, dependencies=[CommentLimit])
async def post_comment(
    track: CommentableTrack, body: CommentIn, user: CurrentUser, db: DbSession
) -> CommentOut:
    """Comment at a position in a track (at most 20 comments per track)."""
    comment = await service.add(db, track, user.artist, body.text, body.timestamp_ms)
    await db.flush()  # the comment's id, for its record
    await records.queue_sync(db, comment.id, user.did)
    return comment


async def own_comment(
    comment_id: CommentId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> Comment:
    """The caller's own comment (else 403/404), when their session may rewrite its record
    (else 403 scope_upgrade_required)."""
    comment = await service.get_own(db, comment_id, user.did)
    await ensure_scope(runtime, user.did, "comment", "create", "update")
    return comment


async def deletable_comment(
    comment_id: CommentId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
) -> service.Deletion:
    """The caller's own comment, or one on their track (else 403/404); when the deletion
    removes a record (the author's own), their session must allow it (else 403
    scope_upgrade_required)."""
    deletion = await service.deletion(db, comment_id, user.did)
    if deletion.rkey is not None:
        await ensure_scope(runtime, user.did, "comment", "delete")
    return deletion


OwnComment = Annotated[Comment, Depends(own_comment)]
DeletableComment = Annotated[service.Deletion, Depends(deletable_comment)]


@router.patch("/comments/{comment_id}")
async def edit_comment(
    comment: OwnComment, body: CommentEdit, user: CurrentUser, db: DbSession
) -> CommentOut:
    """Edit my comment's text."""
    edited = await service.edit(db, comment, user.artist, body.text)
    await records.queue_sync(db, comment.id, user.did)
    return edited


@router.delete("/comments/{comment_id}", status_code=204)
async def delete_comment(comment: DeletableComment, db: DbSession) -> Response:
    """Delete my comment (its record too), or any comment on my own track."""
    await service.delete(db, comment)
    if comment.rkey is not None:
        await records.queue_delete(db, comment.did, comment.rkey)
    return Response(status_code=204)
