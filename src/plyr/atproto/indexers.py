"""Which `fm.plyr.*` collections plyr indexes from repos (sync and firehose), and how: in
this order, so a like or a list finds the tracks a sync has just indexed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.indexable import UnindexableRecord, validate_indexable
from plyr.atproto.lexicon import Lexicons
from plyr.likes.indexing import index_like_record, remove_like_record
from plyr.lists.indexing import index_list_record, remove_list_record
from plyr.models import Artist
from plyr.tracks.indexing import index_track_record, remove_track_record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexedRecord:
    uri: str
    cid: str
    value: dict[str, Any]


Index = Callable[[AsyncSession, Lexicons, Artist, IndexedRecord, str], Awaitable[object]]
Remove = Callable[[AsyncSession, str, str], Awaitable[bool]]  # (db, repo DID, uri)


@dataclass(frozen=True)
class Indexer:
    name: str  # the lexicon's name in plyr's namespace: "track"
    index: Index
    remove: Remove


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
    Indexer("track", _fitting("track", _track), remove_track_record),
    Indexer("like", _fitting("like", _like), remove_like_record),
    Indexer("list", _fitting("list", _list), remove_list_record),
)


def by_collection(lexicons: Lexicons) -> dict[str, Indexer]:
    return {lexicons.nsid(indexer.name): indexer for indexer in INDEXERS}
