"""Timed comments: who may comment where, the limits per track and per person, author-only
edits; the author or the track's artist may delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists.schemas import ArtistRef
from plyr.atproto.records import tid_for
from plyr.comments import repository
from plyr.comments.schemas import CommentOut
from plyr.core.errors import BadRequest, Forbidden, NotFound
from plyr.likes.records import rkey_of
from plyr.models import Artist, Comment, Track, utcnow
from plyr.preferences import service as preferences

MAX_PER_TRACK = 20
# one person's share of a track's comments: nobody can fill a track alone (its artist can)
MAX_PER_AUTHOR = 3
POSITION_SLACK_MS = 1000  # a position read just past the end is still "at the end"


def allowed(artist: Artist) -> bool:
    """The artist lets people comment on their tracks (their `allow_comments` preference)."""
    return preferences.read(artist).allow_comments


def to_out(comment: Comment, author: Artist) -> CommentOut:
    edited = comment.updated_at is not None and comment.updated_at > comment.created_at
    return CommentOut(
        id=comment.id,
        text=comment.text,
        timestamp_ms=comment.timestamp_ms,
        created_at=comment.created_at,
        updated_at=comment.updated_at if edited else None,
        author=ArtistRef.of(author),
    )


async def for_track(db: AsyncSession, track: Track) -> list[CommentOut]:
    """By position; none when the artist turned comments off."""
    if not allowed(track.artist):
        return []
    return [to_out(c, a) for c, a in await repository.for_track(db, track.id)]


async def add(
    db: AsyncSession, track: Track, author: Artist, text: str, timestamp_ms: int
) -> CommentOut:
    if not allowed(track.artist):
        raise Forbidden("the artist has turned comments off for their tracks")
    if track.duration is not None:
        last = track.duration * 1000 + POSITION_SLACK_MS
        if timestamp_ms > last:
            raise BadRequest(f"timestamp_ms must be within the track: 0 to {last}")
    if await repository.count_locked(db, track.id) >= MAX_PER_TRACK:
        raise BadRequest(f"this track has reached the maximum of {MAX_PER_TRACK} comments")
    if author.did != track.artist_did:
        mine = await repository.count_by(db, track.id, author.did)
        if mine >= MAX_PER_AUTHOR:
            raise BadRequest(
                f"you have {mine} comments on this track, the most one person may post: "
                "edit or delete one of them instead"
            )
    comment = await repository.add(db, track.id, author.did, text, timestamp_ms, at=utcnow())
    return to_out(comment, author)


async def get_own(db: AsyncSession, comment_id: int, did: str) -> Comment:
    """The comment, when `did` wrote it: 404 when there is none, 403 when it is not theirs."""
    comment = await repository.get(db, comment_id)
    if comment is None:
        raise NotFound("comment not found")
    if comment.did != did:
        raise Forbidden("only its author can change a comment")
    return comment


async def edit(db: AsyncSession, comment: Comment, author: Artist, text: str) -> CommentOut:
    if comment.text != text:
        comment.text = text
        comment.updated_at = utcnow()
        await db.flush()
    return to_out(comment, author)


@dataclass(frozen=True)
class Deletion:
    """A comment someone may delete, and what its deletion leaves to do on the PDS once it
    committed: the author's record to delete (`rkey`), when there is one."""

    comment: Comment
    did: str  # the author's, whose repo holds the record
    rkey: str | None


async def deletion(db: AsyncSession, comment_id: int, did: str) -> Deletion:
    """By its author, or by the artist of the track (moderation): 404 when there is none,
    403 to anyone else. Only the author's own deletion removes the record: plyr writes to
    a repo only for its owner."""
    found = await repository.with_track(db, comment_id)
    if found is None:
        raise NotFound("comment not found")
    comment, track = found
    if did not in (comment.did, track.artist_did):
        raise Forbidden("only its author or the track's artist can delete a comment")
    rkey: str | None = None
    if comment.did == did:  # the artist's moderation leaves the author's record alone
        if comment.atproto_record_uri:
            rkey = rkey_of(comment.atproto_record_uri)
        elif track.atproto_record_uri:
            rkey = tid_for(comment.created_at)  # a write whose answer was lost
    return Deletion(comment=comment, did=comment.did, rkey=rkey)


async def delete(db: AsyncSession, deletion: Deletion) -> None:
    await repository.remove(db, deletion.comment)


async def page_context(db: AsyncSession, track: Track) -> dict[str, Any]:
    """What the track page shows of its comments."""
    return {
        "comments": await for_track(db, track),
        "comments_enabled": allowed(track.artist),
        "comment_limit": MAX_PER_TRACK,
    }
