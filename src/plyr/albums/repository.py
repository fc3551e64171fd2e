"""Album SQL: albums by artist and slug, their tracks in order, membership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from plyr.models import Album, AudioFile, Track


async def get(db: AsyncSession, album_id: int) -> Album | None:
    return await db.get(Album, album_id)


async def get_with_artist(db: AsyncSession, album_id: int) -> Album | None:
    query = select(Album).where(Album.id == album_id).options(joinedload(Album.artist))
    return (await db.execute(query.execution_options(populate_existing=True))).scalars().first()


async def by_slug(db: AsyncSession, artist_did: str, slug: str) -> Album | None:
    query = (
        select(Album)
        .where(Album.artist_did == artist_did, Album.slug == slug)
        .options(joinedload(Album.artist))
    )
    return (await db.execute(query)).scalars().first()


async def by_artist(db: AsyncSession, artist_did: str) -> list[Album]:
    """The artist's albums, newest first."""
    query = (
        select(Album)
        .where(Album.artist_did == artist_did)
        .options(joinedload(Album.artist))
        .order_by(Album.created_at.desc(), Album.id.desc())
    )
    return list((await db.execute(query)).scalars())


async def slug_taken(db: AsyncSession, artist_did: str, slug: str, except_id: int) -> bool:
    query = select(Album.id).where(
        Album.artist_did == artist_did, Album.slug == slug, Album.id != except_id
    )
    return (await db.execute(query.limit(1))).first() is not None


def _album_order() -> tuple[UnaryExpression[Any], ...]:
    return (
        func.coalesce(Track.album_position, 2_147_483_647).asc(),
        Track.created_at.asc(),
        Track.id.asc(),
    )


def members(album_id: int) -> ColumnElement[bool]:
    """The album's tracks: only its artist's own, whatever a row says (nothing done to an
    album, its rename, release or deletion, ever reaches another artist's track)."""
    owner = select(Album.artist_did).where(Album.id == album_id).scalar_subquery()
    return and_(Track.album_id == album_id, Track.artist_did == owner)


def _of_its_artist() -> ColumnElement[bool]:
    """Joined with `Album`: the track is the album artist's own."""
    return and_(Track.album_id == Album.id, Track.artist_did == Album.artist_did)


async def track_ids(db: AsyncSession, album_id: int) -> list[int]:
    """Every track of the album, in album order."""
    query = select(Track.id).where(members(album_id)).order_by(*_album_order())
    return list((await db.execute(query)).scalars())


def shown_to(viewer_did: str | None) -> ColumnElement[bool]:
    """A track of an album shown to `viewer_did`: public ones, and all of their own."""
    public = and_(
        Track.status == "published", Track.visibility == "public", Track.takedown_reason.is_(None)
    )
    return or_(public, Track.artist_did == viewer_did) if viewer_did else public


async def visible_track_ids(db: AsyncSession, album_id: int, viewer_did: str | None) -> list[int]:
    query = (
        select(Track.id).where(members(album_id), shown_to(viewer_did)).order_by(*_album_order())
    )
    return list((await db.execute(query)).scalars())


async def visible_counts(
    db: AsyncSession, album_ids: Sequence[int], viewer_did: str | None
) -> dict[int, int]:
    if not album_ids:
        return {}
    query = (
        select(Track.album_id, func.count(Track.id))
        .join(Album, _of_its_artist())
        .where(Track.album_id.in_(album_ids), shown_to(viewer_did))
        .group_by(Track.album_id)
    )
    rows = (await db.execute(query)).all()
    return {int(album_id or 0): int(n) for album_id, n in rows}


async def owned_track_artists(db: AsyncSession, track_ids: Sequence[int]) -> dict[int, str]:
    """The artist of each of these tracks that exists."""
    if not track_ids:
        return {}
    query = select(Track.id, Track.artist_did).where(Track.id.in_(track_ids))
    return {int(t): did for t, did in (await db.execute(query)).all()}


async def set_membership(db: AsyncSession, album_id: int, ordered: Sequence[int]) -> None:
    """The album holds exactly these tracks, in this order; the others leave it."""
    leaving = update(Track).where(Track.album_id == album_id)
    if ordered:
        leaving = leaving.where(Track.id.not_in(ordered))
    await db.execute(leaving.values(album_id=None, album_position=None))
    for position, track_id in enumerate(ordered):
        await db.execute(
            update(Track)
            .where(Track.id == track_id)
            .values(album_id=album_id, album_position=position)
        )


async def release_tracks(db: AsyncSession, album_id: int) -> list[int]:
    """Make the album's tracks album-less; returns their ids."""
    ids = await track_ids(db, album_id)
    if ids:
        await db.execute(
            update(Track)
            .where(Track.album_id == album_id)
            .values(album_id=None, album_position=None)
        )
    return ids


async def audio_files(db: AsyncSession, file_ids: Sequence[str]) -> dict[str, AudioFile]:
    if not file_ids:
        return {}
    query = select(AudioFile).where(AudioFile.file_id.in_(file_ids))
    return {audio.file_id: audio for audio in (await db.execute(query)).scalars()}


async def delete(db: AsyncSession, album: Album) -> None:
    await db.delete(album)
    await db.flush()
