"""Which stored files rows refer to: audio played or kept by tracks, artwork shown by tracks,
albums and playlists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Album, Playlist, SensitiveImage, Track


async def files_in_use(db: AsyncSession, file_ids: Sequence[str]) -> set[str]:
    """Those of `file_ids` a track plays or keeps as its original: one query."""
    if not file_ids:
        return set()
    played = select(Track.file_id).where(Track.file_id.in_(file_ids))
    kept = select(Track.original_file_id).where(Track.original_file_id.in_(file_ids))
    return {row for row in (await db.scalars(played.union(kept))).all() if row}


async def images_in_use(db: AsyncSession, image_ids: Sequence[str]) -> set[str]:
    """Those of `image_ids` a track, album or playlist shows: one query."""
    if not image_ids:
        return set()
    track, album, playlist = (
        select(m.image_id).where(m.image_id.in_(image_ids)) for m in (Track, Album, Playlist)
    )
    return {row for row in (await db.scalars(track.union(album, playlist))).all() if row}


async def sensitive_image_ids(db: AsyncSession) -> set[str]:
    """Every image marked sensitive (by the classifier or a person)."""
    query = select(SensitiveImage.image_id).where(SensitiveImage.sensitive.is_(True))
    return set((await db.scalars(query)).all())
