"""Playlist SQL, and the album and track lookups list records need."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from plyr.models import Album, Playlist, PlaylistItem, Track, utcnow

MAX_ITEMS = 500  # an fm.plyr.list holds at most 500 items


async def playlist_by_record(db: AsyncSession, uri: str, owner_did: str) -> Playlist | None:
    query = select(Playlist).where(
        Playlist.atproto_record_uri == uri, Playlist.owner_did == owner_did
    )
    return (await db.scalars(query)).first()


async def album_by_record(db: AsyncSession, uri: str, artist_did: str) -> Album | None:
    query = select(Album).where(Album.atproto_record_uri == uri, Album.artist_did == artist_did)
    return (await db.scalars(query)).first()


async def add_playlist(
    db: AsyncSession, owner_did: str, name: str, *, is_private: bool = False
) -> Playlist:
    playlist = Playlist(owner_did=owner_did, name=name, is_private=is_private)
    db.add(playlist)
    await db.flush()
    return playlist


async def get_playlist(db: AsyncSession, playlist_id: int) -> Playlist | None:
    query = (
        select(Playlist)
        .where(Playlist.id == playlist_id)
        .options(joinedload(Playlist.owner))
        .execution_options(populate_existing=True)
    )
    return (await db.execute(query)).scalars().first()


async def playlists_of(db: AsyncSession, owner_did: str, *, with_private: bool) -> list[Playlist]:
    """The owner's playlists, most recently changed first."""
    query = select(Playlist).where(Playlist.owner_did == owner_did)
    if not with_private:  # what others see: neither private nor taken down
        query = query.where(Playlist.is_private.is_(False), Playlist.takedown_reason.is_(None))
    query = query.options(joinedload(Playlist.owner)).order_by(
        Playlist.updated_at.desc(), Playlist.id.desc()
    )
    return list((await db.execute(query)).scalars())


def shown_in_playlist(viewer_did: str | None, owner_did: str) -> ColumnElement[bool]:
    """A playlist's track shown to `viewer_did`: public ones to anyone, their own tracks to
    them, and to the playlist's owner the unlisted tracks they added by link."""
    published = and_(Track.status == "published", Track.takedown_reason.is_(None))
    shown: list[ColumnElement[bool]] = [and_(published, Track.visibility == "public")]
    if viewer_did:
        shown.append(Track.artist_did == viewer_did)
        if viewer_did == owner_did:
            shown.append(and_(published, Track.visibility.in_(("unlisted", "supporters"))))
    return or_(*shown)


async def item_track_ids(
    db: AsyncSession, playlist_id: int, *, shown: ColumnElement[bool] | None = None
) -> list[int]:
    """The playlist's tracks in order (only those `shown`, when given)."""
    query = (
        select(PlaylistItem.track_id)
        .join(Track, Track.id == PlaylistItem.track_id)
        .where(PlaylistItem.playlist_id == playlist_id)
        .order_by(PlaylistItem.position, PlaylistItem.id)
    )
    if shown is not None:
        query = query.where(shown)
    return list((await db.execute(query)).scalars())


async def shown_counts(
    db: AsyncSession, playlist_ids: Sequence[int], viewer_did: str | None, owner_did: str
) -> dict[int, int]:
    """How many tracks of each of these playlists (all of one owner) the viewer sees."""
    if not playlist_ids:
        return {}
    query = (
        select(PlaylistItem.playlist_id, func.count(PlaylistItem.id))
        .join(Track, Track.id == PlaylistItem.track_id)
        .where(PlaylistItem.playlist_id.in_(playlist_ids), shown_in_playlist(viewer_did, owner_did))
        .group_by(PlaylistItem.playlist_id)
    )
    return {int(p): int(n) for p, n in (await db.execute(query)).all()}


async def has_item(db: AsyncSession, playlist_id: int, track_id: int) -> bool:
    query = select(PlaylistItem.id).where(
        PlaylistItem.playlist_id == playlist_id, PlaylistItem.track_id == track_id
    )
    return (await db.execute(query.limit(1))).first() is not None


async def item_count(db: AsyncSession, playlist_id: int) -> int:
    query = select(func.count(PlaylistItem.id)).where(PlaylistItem.playlist_id == playlist_id)
    return int((await db.execute(query)).scalar_one())


async def append_item(db: AsyncSession, playlist_id: int, track_id: int) -> None:
    last = select(func.coalesce(func.max(PlaylistItem.position), -1)).where(
        PlaylistItem.playlist_id == playlist_id
    )
    position = int((await db.execute(last)).scalar_one()) + 1
    db.add(PlaylistItem(playlist_id=playlist_id, track_id=track_id, position=position))
    await db.flush()


async def remove_item(db: AsyncSession, playlist_id: int, track_id: int) -> bool:
    result = await db.execute(
        delete(PlaylistItem).where(
            PlaylistItem.playlist_id == playlist_id, PlaylistItem.track_id == track_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def reorder_items(db: AsyncSession, playlist_id: int, ordered: Sequence[int]) -> None:
    """Give the playlist's items these positions (items keep when they were added)."""
    for position, track_id in enumerate(ordered):
        await db.execute(
            update(PlaylistItem)
            .where(PlaylistItem.playlist_id == playlist_id, PlaylistItem.track_id == track_id)
            .values(position=position)
        )


async def touch(db: AsyncSession, playlist: Playlist) -> None:
    """The playlist changed (its items are another table): `updated_at` says when."""
    playlist.updated_at = utcnow()
    await db.flush()


async def delete_playlist(db: AsyncSession, playlist: Playlist) -> None:
    await db.delete(playlist)
    await db.flush()


# ---- what list records are made of -------------------------------------------------------


def _has_record() -> list[ColumnElement[bool]]:
    return [
        Track.atproto_record_uri.is_not(None),
        Track.atproto_record_cid.is_not(None),
        Track.status == "published",
        Track.visibility == "public",  # a list record is public: so is all it names
    ]


async def playlist_record_refs(db: AsyncSession, playlist_id: int) -> list[tuple[str, str]]:
    """(uri, cid) of the playlist's tracks that have records, in order."""
    query = (
        select(Track.atproto_record_uri, Track.atproto_record_cid)
        .join(PlaylistItem, PlaylistItem.track_id == Track.id)
        .where(PlaylistItem.playlist_id == playlist_id, *_has_record())
        .order_by(PlaylistItem.position, PlaylistItem.id)
    )
    return [(str(u), str(c)) for u, c in (await db.execute(query)).all()]


async def album_record_refs(db: AsyncSession, album_id: int) -> list[tuple[str, str]]:
    """(uri, cid) of the album's tracks that have records, in album order."""
    query = (
        select(Track.atproto_record_uri, Track.atproto_record_cid)
        .join(Album, and_(Album.id == Track.album_id, Album.artist_did == Track.artist_did))
        .where(Track.album_id == album_id, *_has_record())
        .order_by(func.coalesce(Track.album_position, 2_147_483_647), Track.created_at, Track.id)
    )
    return [(str(u), str(c)) for u, c in (await db.execute(query)).all()]


def _model(kind: str) -> type[Playlist] | type[Album]:
    return Playlist if kind == "playlist" else Album


async def list_row(db: AsyncSession, kind: str, row_id: int) -> Playlist | Album | None:
    model = _model(kind)
    return await db.get(model, row_id, populate_existing=True)


async def claim_record_uri(db: AsyncSession, kind: str, row_id: int, uri: str) -> None:
    """Note the record's URI before writing it, so its echo from the firehose finds the row."""
    model = _model(kind)
    await db.execute(
        update(model)
        .where(model.id == row_id, model.atproto_record_uri.is_(None))
        .values(atproto_record_uri=uri)
    )


async def store_record_ref(db: AsyncSession, kind: str, row_id: int, uri: str, cid: str) -> bool:
    """Record what the PDS answered; False when the row is gone, private, or now has
    another record (the written record is then an orphan to remove)."""
    model = _model(kind)
    conditions: list[Any] = [model.id == row_id, model.atproto_record_uri == uri]
    if model is Playlist:
        conditions.append(Playlist.is_private.is_(False))
    result = await db.execute(update(model).where(*conditions).values(atproto_record_cid=cid))
    return bool(getattr(result, "rowcount", 0))


async def forget_record(db: AsyncSession, kind: str, row_id: int) -> None:
    model = _model(kind)
    await db.execute(
        update(model)
        .where(model.id == row_id)
        .values(atproto_record_uri=None, atproto_record_cid=None)
    )


# ---- indexing records made by any client -------------------------------------------------


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
    unique = list(dict.fromkeys(track_ids))[:MAX_ITEMS]
    db.add_all(
        PlaylistItem(playlist_id=playlist_id, track_id=track_id, position=position)
        for position, track_id in enumerate(unique)
    )
    await db.flush()


async def order_album(db: AsyncSession, album: Album, track_ids: Sequence[int]) -> None:
    """Put these tracks in the album, in order: only the album artist's own."""
    for position, track_id in enumerate(dict.fromkeys(track_ids)):
        await db.execute(
            update(Track)
            .where(Track.id == track_id, Track.artist_did == album.artist_did)
            .values(album_id=album.id, album_position=position)
        )


async def remove_by_record(db: AsyncSession, did: str, uri: str) -> bool:
    playlist = await playlist_by_record(db, uri, did)
    if playlist is not None:
        await db.delete(playlist)
        await db.flush()
        return True
    result = await db.execute(
        update(Album)
        .where(Album.atproto_record_uri == uri, Album.artist_did == did)
        .values(atproto_record_uri=None, atproto_record_cid=None)
    )
    return bool(getattr(result, "rowcount", 0))
