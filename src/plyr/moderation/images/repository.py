"""The sensitive-image rows, and which tracks, albums and playlists show an image."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Album, Playlist, SensitiveImage, Track


async def get(db: AsyncSession, image_id: str) -> SensitiveImage | None:
    return await db.get(SensitiveImage, image_id)


def add(db: AsyncSession, row: SensitiveImage) -> None:
    db.add(row)


async def sensitive(db: AsyncSession) -> list[SensitiveImage]:
    """Every image marked sensitive, oldest first."""
    query = (
        select(SensitiveImage)
        .where(SensitiveImage.sensitive.is_(True))
        .order_by(SensitiveImage.created_at, SensitiveImage.image_id)
    )
    return list((await db.scalars(query)).all())


async def shown_by(db: AsyncSession, image_id: str) -> dict[str, list[int]]:
    """The ids of the tracks, albums and playlists that show the image."""
    found: dict[str, list[int]] = {}
    for name, model in (("track", Track), ("album", Album), ("playlist", Playlist)):
        query = select(model.id).where(model.image_id == image_id).order_by(model.id)
        found[name] = list((await db.scalars(query)).all())
    return found
