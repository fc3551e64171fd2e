"""Like SQL. `tracks.like_count` is kept in step with the rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.outbox import Kind
from plyr.models import Artist, Like, PendingWrite, Track


async def track_by_record(db: AsyncSession, record_uri: str) -> int | None:
    """The track a record URI names (plyr's own or one indexed from a repo)."""
    query = select(Track.id).where(Track.atproto_record_uri == record_uri)
    return (await db.scalars(query)).first()


async def get(db: AsyncSession, track_id: int, did: str) -> Like | None:
    query = select(Like).where(Like.track_id == track_id, Like.did == did)
    return (await db.scalars(query)).first()


async def get_by_id(db: AsyncSession, like_id: int) -> Like | None:
    return await db.get(Like, like_id, populate_existing=True)


async def add(db: AsyncSession, track_id: int, did: str, *, created_at: datetime) -> Like:
    like = Like(track_id=track_id, did=did, created_at=created_at)
    db.add(like)
    await db.flush()
    await _count(db, track_id, +1)
    return like


async def add_once(
    db: AsyncSession, track_id: int, did: str, *, created_at: datetime
) -> tuple[Like, bool]:
    """The like of `did` on the track, and whether this call made it (a concurrent like of
    the same listener loses the race on the unique key and gets the winner's row)."""
    existing = await get(db, track_id, did)
    if existing is not None:
        return existing, False
    try:
        async with db.begin_nested():
            like = await add(db, track_id, did, created_at=created_at)
    except IntegrityError:
        found = await get(db, track_id, did)
        if found is None:
            raise
        return found, False
    return like, True


async def remove(db: AsyncSession, like: Like) -> None:
    await db.delete(like)
    await db.flush()
    await _count(db, like.track_id, -1)


async def remove_by_record(db: AsyncSession, did: str, record_uri: str) -> bool:
    query = select(Like).where(Like.atproto_record_uri == record_uri, Like.did == did)
    like = (await db.scalars(query)).first()
    if like is None:
        return False
    await remove(db, like)
    return True


async def liked_track_ids(db: AsyncSession, did: str) -> list[int]:
    """The tracks `did` likes, newest like first."""
    query = (
        select(Like.track_id)
        .where(Like.did == did)
        .order_by(Like.created_at.desc(), Like.id.desc())
    )
    return list((await db.scalars(query)).all())


async def likers(
    db: AsyncSession, track_id: int, limit: int, offset: int
) -> list[tuple[Like, Artist]]:
    """Who likes the track, newest like first: a page of them."""
    query = (
        select(Like, Artist)
        .join(Artist, Artist.did == Like.did)
        .where(Like.track_id == track_id)
        .order_by(Like.created_at.desc(), Like.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(like, artist) for like, artist in (await db.execute(query)).all()]


async def liked_records(db: AsyncSession, did: str, limit: int) -> list[tuple[str, str]]:
    """(uri, cid) of the records of the tracks `did` likes, newest like first: what their
    liked list holds (tracks without a record cannot be referred to)."""
    query = (
        select(Track.atproto_record_uri, Track.atproto_record_cid)
        .join(Like, Like.track_id == Track.id)
        .where(
            Like.did == did,
            Track.visibility == "public",
            Track.atproto_record_uri.is_not(None),
            Track.atproto_record_cid.is_not(None),
        )
        .order_by(Like.created_at.desc(), Like.id.desc())
        .limit(limit)
    )
    return [(str(uri), str(cid)) for uri, cid in (await db.execute(query)).all()]


async def with_track(db: AsyncSession, like_id: int) -> tuple[Like, Track] | None:
    query = select(Like, Track).join(Track, Track.id == Like.track_id).where(Like.id == like_id)
    row = (await db.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def set_record(db: AsyncSession, like_id: int, uri: str, cid: str) -> bool:
    """Remember the like's record; False when the like is gone meanwhile."""
    result = await db.execute(
        update(Like)
        .where(Like.id == like_id)
        .values(atproto_record_uri=uri, atproto_record_cid=cid)
    )
    return bool(getattr(result, "rowcount", 0))


async def delete_waiting(db: AsyncSession, did: str, rkey: str) -> bool:
    """The like record `rkey` of `did` was unliked here and its deletion waits on the PDS."""
    query = select(PendingWrite.payload).where(
        PendingWrite.kind == Kind.LIKE_DELETE, PendingWrite.did == did, PendingWrite.done.is_(False)
    )
    return any(payload.get("rkey") == rkey for payload in (await db.scalars(query)).all())


async def _count(db: AsyncSession, track_id: int, delta: int) -> None:
    await db.execute(
        update(Track).where(Track.id == track_id).values(like_count=Track.like_count + delta)
    )
