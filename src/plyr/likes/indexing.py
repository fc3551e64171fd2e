"""Likes made by any client: indexing `fm.plyr.like` records (from a repo sync or the
firehose). A like counts once per listener and track; its record's URI identifies it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.records import parse_datetime
from plyr.likes import repository
from plyr.models import Artist, Like

log = logging.getLogger(__name__)


async def index_like_record(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, *, uri: str, cid: str, record: Any
) -> Like | None:
    """Record the like; None when the record is invalid or its track is unknown here."""
    if not lexicons.accepts("like", artist.did, uri, record):
        return None
    track_id = await repository.track_by_record(db, record["subject"]["uri"])
    if track_id is None:
        return None
    if await repository.delete_waiting(db, artist.did, uri.rstrip("/").rsplit("/", 1)[-1]):
        return None  # unliked here; the PDS has not taken the deletion yet
    like = await repository.get(db, track_id, artist.did)
    if like is None:
        like = await repository.add(
            db, track_id, artist.did, created_at=parse_datetime(record["createdAt"])
        )
    like.atproto_record_uri, like.atproto_record_cid = uri, cid
    return like


async def remove_like_record(db: AsyncSession, did: str, uri: str) -> bool:
    """Forget the like of `did` whose record was deleted."""
    return await repository.remove_by_record(db, did, uri)
