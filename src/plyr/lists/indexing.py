"""Playlists and albums made by any client: indexing `fm.plyr.list` records (from a repo
sync or the firehose). A playlist is identified by its record's URI; an album record names
the artist's album (by slug) and orders the artist's own tracks in it. The liked list is not
indexed: it mirrors the `fm.plyr.like` records, which are."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.albums import repository as albums
from plyr.atproto.lexicon import LexiconError, Lexicons
from plyr.lists import repository
from plyr.models import Artist

log = logging.getLogger(__name__)


async def index_list_record(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, *, uri: str, cid: str, record: Any
) -> bool:
    """Create or update the playlist or album a record describes; False when skipped."""
    try:
        lexicons.validate(lexicons.nsid("list"), record)
    except LexiconError as e:
        log.info("skipping invalid list record %s: %s", uri, e)
        return False
    subjects = [item["subject"]["uri"] for item in record["items"]]
    if record["listType"] == "playlist":
        return await _playlist(db, artist, uri, cid, record["name"], subjects)
    if record["listType"] == "album":
        return await _album(db, artist, uri, cid, record["name"], subjects)
    return False


async def _playlist(
    db: AsyncSession, artist: Artist, uri: str, cid: str, name: str, subjects: list[str]
) -> bool:
    playlist = await repository.playlist_by_record(db, uri)
    if playlist is not None and playlist.atproto_record_cid == cid:
        return True  # the echo of what this row already says
    if playlist is None:
        playlist = await repository.add_playlist(db, artist.did, name)
    playlist.name, playlist.atproto_record_uri, playlist.atproto_record_cid = name, uri, cid
    track_ids = await repository.tracks_by_record(db, subjects)
    await repository.set_items(db, playlist.id, [t for t in track_ids if t is not None])
    return True


async def _album(
    db: AsyncSession, artist: Artist, uri: str, cid: str, name: str, subjects: list[str]
) -> bool:
    album = await repository.album_by_record(db, uri) or await albums.get_or_create(
        db, artist.did, name
    )
    if album.atproto_record_cid == cid:
        return True
    album.atproto_record_uri, album.atproto_record_cid = uri, cid
    own = await repository.own_tracks_by_record(db, artist.did, subjects)
    await repository.order_album(db, album.id, [t for t in own if t is not None])
    return True


async def remove_list_record(db: AsyncSession, uri: str) -> bool:
    """A deleted playlist record removes the playlist; an album keeps its tracks and loses
    only its record."""
    return await repository.remove_by_record(db, uri)
