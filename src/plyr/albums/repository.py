"""Album rows."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.text import slugify
from plyr.models import Album, Track


async def get(db: AsyncSession, album_id: int) -> Album | None:
    return await db.get(Album, album_id)


async def get_or_create(db: AsyncSession, artist_did: str, title: str) -> Album:
    """The artist's album with this title's slug, created when missing (idempotent)."""
    slug = slugify(title) or "untitled"
    query = select(Album).where(Album.artist_did == artist_did, Album.slug == slug)
    album = (await db.execute(query)).scalars().first()
    if album is not None:
        return album
    album = Album(artist_did=artist_did, slug=slug, title=title.strip())
    try:
        async with db.begin_nested():
            db.add(album)
    except IntegrityError:  # created concurrently: take that one
        return (await db.execute(query)).scalars().one()
    return album


async def next_position(db: AsyncSession, album_id: int) -> int:
    query = select(func.coalesce(func.max(Track.album_position), -1)).where(
        Track.album_id == album_id
    )
    return int((await db.execute(query)).scalar_one() or 0) + 1
