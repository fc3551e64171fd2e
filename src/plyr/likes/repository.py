"""Like SQL. `tracks.like_count` is kept in step with the rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Like, Track


async def track_by_record(db: AsyncSession, record_uri: str) -> int | None:
    """The track a record URI names (plyr's own or one indexed from a repo)."""
    query = select(Track.id).where(Track.atproto_record_uri == record_uri)
    return (await db.scalars(query)).first()


async def get(db: AsyncSession, track_id: int, did: str) -> Like | None:
    query = select(Like).where(Like.track_id == track_id, Like.did == did)
    return (await db.scalars(query)).first()


async def add(db: AsyncSession, track_id: int, did: str, *, created_at: datetime) -> Like:
    like = Like(track_id=track_id, did=did, created_at=created_at)
    db.add(like)
    await db.flush()
    await _count(db, track_id, +1)
    return like


async def remove_by_record(db: AsyncSession, record_uri: str) -> bool:
    like = (await db.scalars(select(Like).where(Like.atproto_record_uri == record_uri))).first()
    if like is None:
        return False
    await db.delete(like)
    await db.flush()
    await _count(db, like.track_id, -1)
    return True


async def _count(db: AsyncSession, track_id: int, delta: int) -> None:
    await db.execute(
        update(Track).where(Track.id == track_id).values(like_count=Track.like_count + delta)
    )
