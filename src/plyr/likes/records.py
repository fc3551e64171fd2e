"""Mirroring likes to the listener's repo: each like is an `fm.plyr.like` record, and the
liked tracks together are their `fm.plyr.list` with `listType: liked` ("Liked Tracks").

Record keys. A like's key is a TID made from the like's `created_at`, written with
`putRecord`, so a retry rewrites the same record instead of adding a second one. The liked
list has ONE fixed key for every user, `LIKED_LIST_RKEY` (the TID of 2024-01-01T00:00:00Z):
derived, not stored, so it survives restarts, re-imports and a re-created account, and any
plyr instance rewrites the same record. Its `createdAt` is kept from the record on the PDS.

Every write happens after the row committed, with no transaction open: the change records
it as an outbox entry (`queue_*`, `plyr.core.outbox`) retried until the PDS takes it; a
session that needs signing in
again is flagged to its owner and resumed when they do. A user without PDS credentials here
(a local developer session) gets no records at all; neither does a like of a track that has
no record (nothing to refer to).

The rules every mirrored row follows are in `plyr.atproto.mirror`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.mirror import (
    lexicons,
    pds_of,
    put,
    put_for_row,
    serialized,
)
from plyr.atproto.pds import RecordRef, XrpcError
from plyr.atproto.records import RecordBuilder, parse_datetime, tid_for
from plyr.atproto.writes import failure
from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.likes import repository
from plyr.models import utcnow

log = logging.getLogger(__name__)

LIKED_LIST_RKEY = tid_for(datetime(2024, 1, 1, tzinfo=UTC))
LIKED_LIST_NAME = "Liked Tracks"
LIKED_LIST_MAX = 500  # the lexicon's maxLength of `items`


def rkey_of(uri: str) -> str:
    """The record key at the end of an `at://did/collection/rkey` URI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


# ---- one like --------------------------------------------------------------------------


async def sync_like(runtime: Runtime, like_id: int) -> None:
    """Write the like's record unless it has one (or cannot have one). Raises
    `PdsUnavailable` / `NeedsSignIn` when it must wait."""
    async with runtime.sessionmaker() as db:
        found = await repository.with_track(db, like_id)
    if found is None:
        return  # unliked meanwhile: the unlike removed what there was
    like, track = found
    subject_uri, subject_cid = track.atproto_record_uri, track.atproto_record_cid
    if like.atproto_record_uri or not subject_uri or not subject_cid:
        return
    pds = await pds_of(runtime, like.did)
    if pds is None:
        return
    record = RecordBuilder(lexicons(runtime)).like(
        subject_uri=subject_uri, subject_cid=subject_cid, created_at=like.created_at
    )

    async def keep(ref: RecordRef) -> bool:
        async with runtime.sessionmaker() as db:
            kept = await repository.set_record(db, like_id, ref.uri, ref.cid)
            await db.commit()
        return kept  # False: unliked meanwhile, and the record goes again

    rkey = tid_for(like.created_at)
    await put_for_row(
        runtime, pds, like.did, "like", rkey, record, keep=keep, delete_kind=Kind.LIKE_DELETE
    )


# ---- the liked list --------------------------------------------------------------------


async def sync_liked_list(runtime: Runtime, did: str) -> bool:
    """Make `did`'s liked list record hold their liked tracks (newest first, at most 500);
    True when it was (re)written. No write when nothing changed, nor for someone who never
    liked anything. Raises `PdsUnavailable` / `NeedsSignIn` when it must wait."""
    async with serialized(f"liked-list:{did}"):  # the last state read is the last written
        async with runtime.sessionmaker() as db:
            items = await repository.liked_records(db, did, LIKED_LIST_MAX)
        pds = await pds_of(runtime, did)
        if pds is None:
            return False
        lex = lexicons(runtime)
        try:
            existing = await pds.get_record(lex.nsid("list"), LIKED_LIST_RKEY)
        except (httpx.TransportError, XrpcError) as e:
            raise failure(e) from e
        value: dict[str, Any] = (existing or {}).get("value") or {}
        if (existing is None and not items) or (existing is not None and _holds(value, items)):
            return False
        created = value.get("createdAt")
        record = RecordBuilder(lex).list(
            name=LIKED_LIST_NAME,
            list_type="liked",
            items=items,
            created_at=parse_datetime(created) if isinstance(created, str) else utcnow(),
            updated_at=utcnow() if existing is not None else None,
        )
        await put(runtime, pds, "list", LIKED_LIST_RKEY, record)
    return True


def _holds(value: dict[str, Any], items: list[tuple[str, str]]) -> bool:
    """The record already says exactly this."""
    if value.get("name") != LIKED_LIST_NAME or value.get("listType") != "liked":
        return False
    try:
        current = [(i["subject"]["uri"], i["subject"]["cid"]) for i in value.get("items", [])]
    except (KeyError, TypeError):
        return False
    return current == items


async def queue_sync(db: AsyncSession, like_id: int, did: str) -> None:
    """In the like's transaction: its record is written once it commits."""
    await outbox.add(db, Kind.LIKE_SYNC, {"like_id": like_id}, did=did)


async def queue_delete(db: AsyncSession, did: str, rkey: str) -> None:
    await outbox.add(db, Kind.LIKE_DELETE, {"did": did, "rkey": rkey}, did=did)


async def queue_liked_list(db: AsyncSession, did: str) -> None:
    await outbox.add(db, Kind.LIKED_LIST_SYNC, {"did": did}, did=did)
