"""Playlists and albums made by any client: indexing `fm.plyr.list` records (from a repo
sync or the firehose). A playlist is identified by its record's URI; an album record names
the artist's album (by slug) and orders the artist's own tracks in it. The liked list is not
indexed: it mirrors the `fm.plyr.like` records, which are.

plyr's own list records come back through the firehose: their echo is skipped by CID, and a
late echo of an older write (a CID the row no longer holds) by its `updatedAt`, which is the
row's `updated_at` when plyr wrote it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
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
    updated = _moment(record.get("updatedAt"))
    if record["listType"] == "playlist":
        return await _playlist(db, artist, uri, cid, record["name"], subjects, updated)
    if record["listType"] == "album":
        return await _album(db, artist, uri, cid, record["name"], subjects, updated)
    return False


def _moment(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seen(row_cid: str | None, row_updated: datetime, cid: str, updated: datetime | None) -> bool:
    """The row already says what the record says (its echo, or an older write's)."""
    return row_cid == cid or (updated is not None and updated <= row_updated)


async def _playlist(
    db: AsyncSession,
    artist: Artist,
    uri: str,
    cid: str,
    name: str,
    subjects: list[str],
    updated: datetime | None,
) -> bool:
    playlist = await repository.playlist_by_record(db, uri)
    if playlist is not None and _seen(
        playlist.atproto_record_cid, playlist.updated_at, cid, updated
    ):
        return True  # the echo of what this row already says
    if playlist is None:
        playlist = await repository.add_playlist(db, artist.did, name)
    playlist.name, playlist.atproto_record_uri, playlist.atproto_record_cid = name, uri, cid
    track_ids = await repository.tracks_by_record(db, subjects)
    await repository.set_items(db, playlist.id, [t for t in track_ids if t is not None])
    return True


async def _album(
    db: AsyncSession,
    artist: Artist,
    uri: str,
    cid: str,
    name: str,
    subjects: list[str],
    updated: datetime | None,
) -> bool:
    album = await repository.album_by_record(db, uri) or await albums.get_or_create(
        db, artist.did, name
    )
    if album.atproto_record_uri == uri and _seen(
        album.atproto_record_cid, album.updated_at, cid, updated
    ):
        return True
    album.atproto_record_uri, album.atproto_record_cid = uri, cid
    own = await repository.own_tracks_by_record(db, artist.did, subjects)
    await repository.order_album(db, album.id, [t for t in own if t is not None])
    return True


async def remove_list_record(db: AsyncSession, uri: str) -> bool:
    """A deleted playlist record removes the playlist; an album keeps its tracks and loses
    only its record."""
    return await repository.remove_by_record(db, uri)
