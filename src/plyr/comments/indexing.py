"""Comments made by any client: indexing `fm.plyr.comment` records (from a repo sync or the
firehose). A record speaks only for its author (the repo it is in); its URI identifies the
comment. plyr's own comment records come back through the firehose before their URI is
saved: such an echo is recognized by its key, the TID of the comment's `created_at`."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.records import parse_datetime, tid_for
from plyr.comments import repository
from plyr.comments.service import MAX_PER_AUTHOR, MAX_PER_TRACK, allowed
from plyr.likes.repository import track_by_record
from plyr.models import Artist, Comment, Track

log = logging.getLogger(__name__)


async def index_comment_record(
    db: AsyncSession, lexicons: Lexicons, artist: Artist, *, uri: str, cid: str, record: Any
) -> Comment | None:
    """Create or update the comment; None when skipped (invalid, unknown track, comments
    off, or over the limits a comment made here would meet)."""
    if not lexicons.accepts("comment", artist.did, uri, record):
        return None
    rkey = uri.rstrip("/").rsplit("/", 1)[-1]
    comment = await repository.by_record(db, artist.did, uri)
    if comment is None:
        track_id = await track_by_record(db, record["subject"]["uri"])
        if track_id is None or await repository.delete_waiting(db, artist.did, rkey):
            return None
        comment = await _echo(db, track_id, artist.did, rkey) or await _new(
            db, track_id, artist, record
        )
        if comment is None:
            return None
    elif comment.atproto_record_cid != cid:  # edited by another client
        comment.text, comment.timestamp_ms = record["text"], record["timestampMs"]
    comment.atproto_record_uri, comment.atproto_record_cid = uri, cid
    return comment


async def _echo(db: AsyncSession, track_id: int, did: str, rkey: str) -> Comment | None:
    """The comment made here whose record this is (its URI not saved yet)."""
    mine = await repository.without_record(db, track_id, did)
    return next((c for c in mine if tid_for(c.created_at) == rkey), None)


async def _new(
    db: AsyncSession, track_id: int, author: Artist, record: dict[str, Any]
) -> Comment | None:
    track = await db.get(Track, track_id)
    owner = await db.get(Artist, track.artist_did) if track is not None else None
    if track is None or owner is None or not allowed(owner):
        return None
    if await repository.count_locked(db, track_id) >= MAX_PER_TRACK or (
        author.did != track.artist_did
        and await repository.count_by(db, track_id, author.did) >= MAX_PER_AUTHOR
    ):
        log.info("skipping a comment record of %s: the track's comments are full", author.did)
        return None
    return await repository.add(
        db,
        track_id,
        author.did,
        record["text"],
        record["timestampMs"],
        at=parse_datetime(record["createdAt"]),
    )


async def remove_comment_record(db: AsyncSession, did: str, uri: str) -> bool:
    """Forget the comment of `did` whose record was deleted."""
    comment = await repository.by_record(db, did, uri)
    if comment is None:
        return False
    await repository.remove(db, comment)
    return True
