"""Mirroring likes to the listener's repo: each like is an `fm.plyr.like` record, and the
liked tracks together are their `fm.plyr.list` with `listType: liked` ("Liked Tracks").

Record keys. A like's key is a TID made from the like's `created_at`, written with
`putRecord`, so a retry rewrites the same record instead of adding a second one. The liked
list has ONE fixed key for every user, `LIKED_LIST_RKEY` (the TID of 2024-01-01T00:00:00Z):
derived, not stored, so it survives restarts, re-imports and a re-created account, and any
plyr instance rewrites the same record. Its `createdAt` is kept from the record on the PDS.

Every write happens after the row committed, with no transaction open. A PDS that cannot
take it now leaves a `PendingWrite` ("like_sync" {like_id}, "like_delete" {did, rkey},
"liked_list_sync" {did}) that `plyr.housekeeping` retries; a session that needs signing in
again is flagged to its owner and resumed when they do. A user without PDS credentials here
(a local developer session) gets no records at all; neither does a like of a track that has
no record (nothing to refer to).

The helpers at the bottom (`pds_of`, `serialized`, `delete_now`, `defer`, ...) are shared
with `plyr.comments.records`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import PdsClient, XrpcError
from plyr.atproto.records import RecordBuilder, parse_datetime, tid_for
from plyr.atproto.sessions import pds_for
from plyr.atproto.writes import (
    SESSION_ENDED,
    NeedsSignIn,
    PdsUnavailable,
    failure,
    flag_problem,
)
from plyr.core.runtime import Runtime
from plyr.likes import repository
from plyr.models import Artist, PendingWrite, utcnow

log = logging.getLogger(__name__)

LIKED_LIST_RKEY = tid_for(datetime(2024, 1, 1, tzinfo=UTC))
LIKED_LIST_NAME = "Liked Tracks"
LIKED_LIST_MAX = 500  # the lexicon's maxLength of `items`


def lexicons(runtime: Runtime) -> Lexicons:
    return Lexicons(runtime.settings.atproto_namespace)


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
    lex = lexicons(runtime)
    rkey = tid_for(like.created_at)
    record = RecordBuilder(lex).like(
        subject_uri=subject_uri, subject_cid=subject_cid, created_at=like.created_at
    )
    try:
        ref = await pds.put_record(lex.nsid("like"), rkey, record)
    except (httpx.TransportError, XrpcError) as e:
        raise failure(e) from e
    async with runtime.sessionmaker() as db:
        kept = await repository.set_record(db, like_id, ref.uri, ref.cid)
        await db.commit()
    if not kept:  # unliked while the record was being written: no orphan record
        await delete_or_defer(runtime, "like_delete", like.did, "like", rkey)


async def sync_like_or_defer(runtime: Runtime, like_id: int, did: str) -> None:
    await run_or_defer(
        runtime, did, "like_sync", {"like_id": like_id}, lambda: sync_like(runtime, like_id)
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
        collection = lex.nsid("list")
        try:
            existing = await pds.get_record(collection, LIKED_LIST_RKEY)
            value: dict[str, Any] = (existing or {}).get("value") or {}
            if existing is None and not items:
                return False
            if existing is not None and _holds(value, items):
                return False
            created = value.get("createdAt")
            record = RecordBuilder(lex).list(
                name=LIKED_LIST_NAME,
                list_type="liked",
                items=items,
                created_at=parse_datetime(created) if isinstance(created, str) else utcnow(),
                updated_at=utcnow() if existing is not None else None,
            )
            await pds.put_record(collection, LIKED_LIST_RKEY, record)
        except (httpx.TransportError, XrpcError) as e:
            raise failure(e) from e
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


async def sync_liked_list_or_defer(runtime: Runtime, did: str) -> None:
    await run_or_defer(
        runtime,
        did,
        "liked_list_sync",
        {"did": did},
        lambda: sync_liked_list(runtime, did),
    )


# ---- shared with comments ---------------------------------------------------------------


async def pds_of(runtime: Runtime, did: str) -> PdsClient | None:
    """The user's PDS; None for a user with no PDS here (skip the record); `NeedsSignIn`
    when they have one but no live session to write with."""
    pds = await pds_for(runtime, did)
    if pds is not None:
        return pds
    async with runtime.sessionmaker() as db:
        pds_url = await db.scalar(select(Artist.pds_url).where(Artist.did == did))
    if pds_url:
        raise NeedsSignIn("session_expired", SESSION_ENDED)
    return None


_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


@contextlib.asynccontextmanager
async def serialized(name: str) -> AsyncIterator[None]:
    """One at a time per `name` in this process: rewrites of one record land in order."""
    lock = _locks.get(name)
    if lock is None:
        lock = _locks[name] = asyncio.Lock()
    async with lock:
        yield


async def delete_now(runtime: Runtime, did: str, name: str, rkey: str) -> None:
    """Remove the record `rkey` of collection `name` ("like", "comment") from `did`'s repo.
    Raises `PdsUnavailable` / `NeedsSignIn` when it must wait."""
    pds = await pds_of(runtime, did)
    if pds is None:
        return
    try:
        await pds.delete_record(lexicons(runtime).nsid(name), rkey)
    except (httpx.TransportError, XrpcError) as e:
        raise failure(e) from e


async def delete_or_defer(runtime: Runtime, kind: str, did: str, name: str, rkey: str) -> None:
    await run_or_defer(
        runtime,
        did,
        kind,
        {"did": did, "rkey": rkey},
        lambda: delete_now(runtime, did, name, rkey),
    )


async def run_or_defer(
    runtime: Runtime,
    did: str,
    kind: str,
    payload: dict[str, Any],
    write: Callable[[], Awaitable[object]],
) -> None:
    """Do the PDS write now; when it must wait, record it as a pending write and, if it
    waits on its owner signing in again, tell them."""
    try:
        await write()
    except NeedsSignIn as e:
        await flag_problem(runtime, did, e)
        await defer(runtime, kind, did, payload)
    except PdsUnavailable as e:
        log.info("deferring %s for %s: %s", kind, did, e)
        await defer(runtime, kind, did, payload)


async def defer(runtime: Runtime, kind: str, did: str, payload: dict[str, Any]) -> None:
    """Record a pending write, unless the same one already waits."""
    async with runtime.writer() as db:
        waiting = await db.scalars(
            select(PendingWrite.payload).where(
                PendingWrite.kind == kind, PendingWrite.did == did, PendingWrite.done.is_(False)
            )
        )
        if payload in list(waiting):
            return
        db.add(PendingWrite(kind=kind, did=did, payload=payload))
        await db.commit()
