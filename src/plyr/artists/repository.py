"""Artist rows (every user is an artist row keyed by DID)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Artist, PlayEvent, Track


async def get(db: AsyncSession, did: str) -> Artist | None:
    return await db.get(Artist, did)


async def get_by_handle(db: AsyncSession, handle: str) -> Artist | None:
    """The artist whose handle this is. A handle verified anew is taken off every other row
    (`auth.repository.upsert_identity`), so two rows share one only from before that rule:
    then the most recently updated wins, the same one every time."""
    query = (
        select(Artist)
        .where(func.lower(Artist.handle) == handle.lower())
        .order_by(Artist.updated_at.desc(), Artist.did)
        .limit(1)
    )
    return (await db.execute(query)).scalars().first()


async def public_track_count(db: AsyncSession, did: str) -> int:
    query = select(func.count(Track.id)).where(
        Track.artist_did == did,
        Track.visibility == "public",
        Track.status == "published",
        Track.takedown_reason.is_(None),
    )
    return int((await db.execute(query)).scalar_one())


async def set_pds_problem(db: AsyncSession, did: str, problem: dict[str, Any] | None) -> None:
    await db.execute(update(Artist).where(Artist.did == did).values(pds_problem=problem))


async def with_public_tracks(db: AsyncSession, dids: list[str]) -> list[Artist]:
    """The artists among `dids` who have at least one public track here."""
    if not dids:
        return []
    listed = select(Track.artist_did).where(
        Track.visibility == "public", Track.status == "published", Track.takedown_reason.is_(None)
    )
    query = (
        select(Artist).where(Artist.did.in_(dids), Artist.did.in_(listed)).order_by(Artist.handle)
    )
    return list((await db.scalars(query)).all())


async def published_track_stats(
    db: AsyncSession, did: str
) -> Sequence[Row[int, str, str, int, int, int]]:
    """(id, title, visibility, plays, likes, comments) of the artist's published tracks,
    most played first."""
    query = (
        select(
            Track.id,
            Track.title,
            Track.visibility,
            Track.play_count,
            Track.like_count,
            Track.comment_count,
        )
        .where(Track.artist_did == did, Track.status == "published")
        .order_by(Track.play_count.desc(), Track.id.desc())
    )
    return (await db.execute(query)).all()


async def plays_per_day(db: AsyncSession, did: str, since: datetime) -> dict[str, int]:
    """Plays of the artist's tracks from `since` on, by day ("YYYY-MM-DD": the engines
    return a date or a string)."""
    day = func.date(PlayEvent.created_at)
    query = (
        select(day, func.count())
        .join(Track, Track.id == PlayEvent.track_id)
        .where(Track.artist_did == did, PlayEvent.created_at >= since)
        .group_by(day)
    )
    return {str(d): n for d, n in (await db.execute(query)).all()}
