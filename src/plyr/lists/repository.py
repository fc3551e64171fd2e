"""Playlist SQL, and the album and track lookups list records need."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Album, Playlist, PlaylistItem, Track


async def playlist_by_record(db: AsyncSession, uri: str) -> Playlist | None:
    return (await db.scalars(select(Playlist).where(Playlist.atproto_record_uri == uri))).first()


async def album_by_record(db: AsyncSession, uri: str) -> Album | None:
    return (await db.scalars(select(Album).where(Album.atproto_record_uri == uri))).first()


async def add_playlist(db: AsyncSession, owner_did: str, name: str) -> Playlist:
    playlist = Playlist(owner_did=owner_did, name=name)
    db.add(playlist)
    await db.flush()
    return playlist


async def tracks_by_record(db: AsyncSession, uris: Sequence[str]) -> list[int | None]:
    """The track of each record URI, in order (None for a track unknown here)."""
    query = select(Track.atproto_record_uri, Track.id).where(Track.atproto_record_uri.in_(uris))
    found = {uri: track_id for uri, track_id in (await db.execute(query)).all()}
    return [found.get(uri) for uri in uris]


async def own_tracks_by_record(
    db: AsyncSession, artist_did: str, uris: Sequence[str]
) -> list[int | None]:
    query = select(Track.atproto_record_uri, Track.id).where(
        Track.atproto_record_uri.in_(uris), Track.artist_did == artist_did
    )
    found = {uri: track_id for uri, track_id in (await db.execute(query)).all()}
    return [found.get(uri) for uri in uris]


async def set_items(db: AsyncSession, playlist_id: int, track_ids: Sequence[int]) -> None:
    """The playlist holds exactly these tracks, in this order (repeats dropped)."""
    await db.execute(delete(PlaylistItem).where(PlaylistItem.playlist_id == playlist_id))
    unique = list(dict.fromkeys(track_ids))
    db.add_all(
        PlaylistItem(playlist_id=playlist_id, track_id=track_id, position=position)
        for position, track_id in enumerate(unique)
    )
    await db.flush()


async def order_album(db: AsyncSession, album_id: int, track_ids: Sequence[int]) -> None:
    for position, track_id in enumerate(dict.fromkeys(track_ids)):
        await db.execute(
            update(Track)
            .where(Track.id == track_id)
            .values(album_id=album_id, album_position=position)
        )


async def remove_by_record(db: AsyncSession, uri: str) -> bool:
    playlist = await playlist_by_record(db, uri)
    if playlist is not None:
        await db.delete(playlist)
        await db.flush()
        return True
    result = await db.execute(
        update(Album)
        .where(Album.atproto_record_uri == uri)
        .values(atproto_record_uri=None, atproto_record_cid=None)
    )
    return bool(getattr(result, "rowcount", 0))
