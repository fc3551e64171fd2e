"""Comment SQL. `tracks.comment_count` is kept in step with the rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Artist, Comment, PendingWrite, Track


async def for_track(db: AsyncSession, track_id: int) -> list[tuple[Comment, Artist]]:
    """The track's comments with their authors, by position, then age (not those a
    moderator took down)."""
    query = (
        select(Comment, Artist)
        .join(Artist, Artist.did == Comment.did)
        .where(Comment.track_id == track_id, Comment.takedown_reason.is_(None))
        .order_by(Comment.timestamp_ms, Comment.created_at, Comment.id)
    )
    return [(comment, artist) for comment, artist in (await db.execute(query)).all()]


async def count_locked(db: AsyncSession, track_id: int) -> int:
    """How many comments the track has, with the track row locked until the transaction
    ends (PostgreSQL; SQLite writers are serialized already), so two comments cannot both
    take the last place."""
    await db.execute(select(Track.id).where(Track.id == track_id).with_for_update())
    query = select(func.count(Comment.id)).where(Comment.track_id == track_id)
    return int((await db.execute(query)).scalar_one())


async def count_by(db: AsyncSession, track_id: int, did: str) -> int:
    """How many of the track's comments this person wrote."""
    query = select(func.count(Comment.id)).where(Comment.track_id == track_id, Comment.did == did)
    return int((await db.execute(query)).scalar_one())


async def add(
    db: AsyncSession, track_id: int, did: str, text: str, timestamp_ms: int, *, at: datetime
) -> Comment:
    comment = Comment(
        track_id=track_id,
        did=did,
        text=text,
        timestamp_ms=timestamp_ms,
        created_at=at,
        updated_at=at,
    )
    db.add(comment)
    await db.flush()
    await _count(db, track_id, +1)
    return comment


async def get(db: AsyncSession, comment_id: int) -> Comment | None:
    return await db.get(Comment, comment_id, populate_existing=True)


async def remove(db: AsyncSession, comment: Comment) -> None:
    await db.delete(comment)
    await db.flush()
    await _count(db, comment.track_id, -1)


async def with_track(db: AsyncSession, comment_id: int) -> tuple[Comment, Track] | None:
    query = (
        select(Comment, Track)
        .join(Track, Track.id == Comment.track_id)
        .where(Comment.id == comment_id)
    )
    row = (await db.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def set_record(db: AsyncSession, comment_id: int, uri: str, cid: str) -> bool:
    """Remember the comment's record; False when the comment is gone meanwhile. Its
    `updated_at` stays as it is (writing the record is not an edit)."""
    result = await db.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(atproto_record_uri=uri, atproto_record_cid=cid, updated_at=Comment.updated_at)
    )
    return bool(getattr(result, "rowcount", 0))


async def _count(db: AsyncSession, track_id: int, delta: int) -> None:
    await db.execute(
        update(Track).where(Track.id == track_id).values(comment_count=Track.comment_count + delta)
    )


async def by_record(db: AsyncSession, did: str, record_uri: str) -> Comment | None:
    query = select(Comment).where(Comment.atproto_record_uri == record_uri, Comment.did == did)
    return (await db.scalars(query)).first()


async def without_record(db: AsyncSession, track_id: int, did: str) -> list[Comment]:
    """`did`'s comments on the track whose record is not known yet (being written)."""
    query = select(Comment).where(
        Comment.track_id == track_id, Comment.did == did, Comment.atproto_record_uri.is_(None)
    )
    return list((await db.scalars(query)).all())


async def delete_waiting(db: AsyncSession, did: str, rkey: str) -> bool:
    """The comment record `rkey` of `did` was deleted here and its deletion waits on the PDS."""
    query = select(PendingWrite.payload).where(
        PendingWrite.kind == "comment_delete",
        PendingWrite.did == did,
        PendingWrite.done.is_(False),
    )
    return any(payload.get("rkey") == rkey for payload in (await db.scalars(query)).all())
