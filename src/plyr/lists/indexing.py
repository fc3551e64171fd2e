"""Playlists and albums made by any client: indexing `fm.plyr.list` records (from a repo
sync or the firehose). A playlist is identified by its record's URI; an album record names
the artist's album (by slug) and orders the artist's own tracks in it. The liked list is not
indexed: it mirrors the `fm.plyr.like` records, which are.

plyr's own list records come back through the firehose: their echo is skipped by CID, and a
late echo of an older write (a CID the row no longer holds) by its `updatedAt`, which is the
row's `updated_at` when plyr wrote it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.lexicon import Lexicons
from plyr.lists import repository
from plyr.models import Artist
from plyr.tracks import repository as tracks

log = logging.getLogger(__name__)
UNNAMED = "Untitled playlist"  # a playlist record without a name (plyr.fm's lexicon allows it)


async def index_list_record(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, *, uri: str, cid: str, record: Any
) -> bool:
    """Create or update the playlist or album a record describes; False when skipped."""
    if not lexicons.accepts("list", artist.did, uri, record):
        return False
    listed = ListRecord(
        uri=uri,
        cid=cid,
        name=record.get("name") or None,
        subjects=[item["subject"]["uri"] for item in record["items"]],
        updated=_moment(record.get("updatedAt")),
    )
    list_type = record.get("listType") or await _known_type(db, artist.did, uri)
    if list_type == "playlist":
        return await _playlist(db, artist, listed)
    if list_type == "album":
        return await _album(db, artist, listed)
    log.info("skipping list record %s: of no type plyr keeps (%r)", uri, list_type)
    return False


async def _known_type(db: AsyncSession, did: str, uri: str) -> str | None:
    """The type of the list a record already describes: plyr.fm rewrites an album it
    reorders with its items only (its lexicon needs no name or type), keeping what it was."""
    if await repository.album_by_record(db, uri, did) is not None:
        return "album"
    if await repository.playlist_by_record(db, uri, did) is not None:
        return "playlist"
    return None


@dataclass(frozen=True)
class ListRecord:
    uri: str
    cid: str
    name: str | None  # None: the record keeps the name it had
    subjects: list[str]  # the items' record URIs, in order
    updated: datetime | None

    def seen_by(self, row_cid: str | None, row_updated: datetime) -> bool:
        """The row already says what the record says (its echo, or an older write's)."""
        return row_cid == self.cid or (self.updated is not None and self.updated <= row_updated)


def _moment(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _playlist(db: AsyncSession, artist: Artist, listed: ListRecord) -> bool:
    playlist = await repository.playlist_by_record(db, listed.uri, artist.did)
    if playlist is not None and listed.seen_by(playlist.atproto_record_cid, playlist.updated_at):
        return True  # the echo of what this row already says
    if playlist is None:
        playlist = await repository.add_playlist(db, artist.did, listed.name or UNNAMED)
    playlist.name = listed.name or playlist.name
    playlist.atproto_record_uri, playlist.atproto_record_cid = listed.uri, listed.cid
    track_ids = await repository.tracks_by_record(db, listed.subjects)
    await repository.set_items(db, playlist.id, [t for t in track_ids if t is not None])
    return True


async def _album(db: AsyncSession, artist: Artist, listed: ListRecord) -> bool:
    album = await repository.album_by_record(db, listed.uri, artist.did)
    if album is None and listed.name is None:
        log.info("skipping album record %s: no name, and no album of that record", listed.uri)
        return False
    if album is None:
        album = await tracks.get_or_create_album(db, artist.did, listed.name or UNNAMED)
    if album.atproto_record_uri == listed.uri and listed.seen_by(
        album.atproto_record_cid, album.updated_at
    ):
        return True
    album.atproto_record_uri, album.atproto_record_cid = listed.uri, listed.cid
    own = await repository.own_tracks_by_record(db, artist.did, listed.subjects)
    await repository.order_album(db, album, [t for t in own if t is not None])
    return True


async def remove_list_record(db: AsyncSession, did: str, uri: str) -> bool:
    """A deleted playlist record removes `did`'s playlist; an album keeps its tracks and
    loses only its record."""
    return await repository.remove_by_record(db, did, uri)
