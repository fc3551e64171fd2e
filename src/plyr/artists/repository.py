"""Artist rows (every user is an artist row keyed by DID)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Artist, Track


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
        Track.artist_did == did, Track.visibility == "public", Track.status == "published"
    )
    return int((await db.execute(query)).scalar_one())


async def set_pds_problem(db: AsyncSession, did: str, problem: dict[str, Any] | None) -> None:
    await db.execute(update(Artist).where(Artist.did == did).values(pds_problem=problem))


async def with_public_tracks(db: AsyncSession, dids: list[str]) -> list[Artist]:
    """The artists among `dids` who have at least one public track here."""
    if not dids:
        return []
    listed = select(Track.artist_did).where(
        Track.visibility == "public", Track.status == "published"
    )
    query = (
        select(Artist).where(Artist.did.in_(dids), Artist.did.in_(listed)).order_by(Artist.handle)
    )
    return list((await db.scalars(query)).all())
