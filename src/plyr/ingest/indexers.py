"""Which `fm.plyr.*` collections plyr indexes from repos (sync and firehose), and how: in
this order, so a like, a list or a comment finds the tracks a sync has just indexed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.indexable import UnindexableRecord, validate_indexable
from plyr.atproto.lexicon import Lexicons
from plyr.comments.indexing import index_comment_record, remove_comment_record
from plyr.core.runtime import Runtime
from plyr.likes.indexing import index_like_record, remove_like_record
from plyr.lists.indexing import index_list_record, remove_list_record
from plyr.media.images import StoredImage
from plyr.models import Artist
from plyr.tracks import repository as tracks
from plyr.tracks.indexing import fetch_artwork, index_track_record, remove_track_record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexedRecord:
    uri: str
    cid: str
    value: dict[str, Any]
    artwork: StoredImage | None = None  # a track's imageUrl, fetched before the transaction


Index = Callable[[AsyncSession, Lexicons, Artist, IndexedRecord, str], Awaitable[object]]
Remove = Callable[[AsyncSession, str, str], Awaitable[bool]]  # (db, repo DID, uri)
# what a record needs from the network, fetched before the database transaction
Prepare = Callable[[Runtime, IndexedRecord], Awaitable[IndexedRecord]]


async def _as_is(runtime: Runtime, record: IndexedRecord) -> IndexedRecord:
    return record


async def _with_artwork(runtime: Runtime, record: IndexedRecord) -> IndexedRecord:
    """The track record with its artwork fetched, unless the row already holds this
    version of the record (or it is this instance's own, whose artwork is here)."""
    url = record.value.get("imageUrl")
    if not isinstance(url, str) or url.startswith(f"{runtime.settings.public_url}/"):
        return record
    did = record.uri.removeprefix("at://").split("/", 1)[0]
    async with runtime.sessionmaker() as db:
        track = await tracks.by_record(db, did, record.uri)
    if track is not None and track.atproto_record_cid == record.cid and track.image_id:
        return record
    return replace(record, artwork=await fetch_artwork(runtime, record.value))


@dataclass(frozen=True)
class Indexer:
    name: str  # the lexicon's name in plyr's namespace: "track"
    index: Index
    remove: Remove
    prepare: Prepare = _as_is


async def _track(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, record: IndexedRecord, public_url: str
) -> object:
    return await index_track_record(
        db,
        lexicons,
        artist,
        uri=record.uri,
        cid=record.cid,
        record=record.value,
        public_url=public_url,
        artwork=record.artwork,
    )


async def _like(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, record: IndexedRecord, _: str
) -> object:
    return await index_like_record(
        db, lexicons, artist, uri=record.uri, cid=record.cid, record=record.value
    )


async def _list(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, record: IndexedRecord, _: str
) -> object:
    return await index_list_record(
        db, lexicons, artist, uri=record.uri, cid=record.cid, record=record.value
    )


async def _comment(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, record: IndexedRecord, _: str
) -> object:
    return await index_comment_record(
        db, lexicons, artist, uri=record.uri, cid=record.cid, record=record.value
    )


def _fitting(name: str, index: Index) -> Index:
    """`index`, for records that fit plyr's columns; others are skipped (None)."""

    async def checked(
        db: AsyncSession, lexicons: Lexicons, artist: Artist, record: IndexedRecord, url: str
    ) -> object:
        try:
            validate_indexable(name, record.uri, record.cid, record.value)
        except UnindexableRecord as e:
            log.info("skipping %s record %r: %s", name, str(record.uri)[:600], e)
            return None
        return await index(db, lexicons, artist, record, url)

    return checked


INDEXERS = (
    Indexer("track", _fitting("track", _track), remove_track_record, _with_artwork),
    Indexer("like", _fitting("like", _like), remove_like_record),
    Indexer("list", _fitting("list", _list), remove_list_record),
    Indexer("comment", _fitting("comment", _comment), remove_comment_record),
)


def by_collection(lexicons: Lexicons) -> dict[str, Indexer]:
    return {lexicons.nsid(indexer.name): indexer for indexer in INDEXERS}
