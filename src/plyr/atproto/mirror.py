"""Rows mirrored as records in their owner's repo (likes, comments, lists): the shared rules.

A record is written after its row committed, with no transaction open: the change records
the write as an outbox entry in its own transaction (`plyr.core.outbox`), performed right
after the commit and retried until the PDS takes it; when it waits on its owner signing in
again, they are told (`/auth/me`). A user without PDS credentials here (a local developer
session) gets no records at all. A record written for a row that disappeared meanwhile is
deleted again, so there is never a record without its row."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from plyr.atproto import repository
from plyr.atproto.lexicon import Lexicons
from plyr.atproto.pds import PdsClient, RecordRef, XrpcError
from plyr.atproto.sessions import pds_for
from plyr.atproto.writes import SESSION_ENDED, NeedsSignIn, failure
from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime

log = logging.getLogger(__name__)

Keep = Callable[[RecordRef], Awaitable[bool]]


def lexicons(runtime: Runtime) -> Lexicons:
    return Lexicons(runtime.settings.atproto_namespace)


async def pds_of(runtime: Runtime, did: str) -> PdsClient | None:
    """The user's PDS; None for a user with no PDS here (skip the record); `NeedsSignIn`
    when they have one but no live session to write with."""
    pds = await pds_for(runtime, did)
    if pds is not None:
        return pds
    async with runtime.sessionmaker() as db:
        pds_url = await repository.pds_url(db, did)
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


async def put(
    runtime: Runtime, pds: PdsClient, name: str, rkey: str, record: dict[str, Any]
) -> RecordRef:
    """`putRecord` into collection `name` ("like", "list", ...); PDS failures become
    `PdsUnavailable` / `NeedsSignIn`."""
    try:
        return await pds.put_record(lexicons(runtime).nsid(name), rkey, record)
    except (httpx.TransportError, XrpcError) as e:
        raise failure(e) from e


async def put_for_row(
    runtime: Runtime,
    pds: PdsClient,
    did: str,
    name: str,
    rkey: str,
    record: dict[str, Any],
    *,
    keep: Keep,
    delete_kind: Kind,
) -> None:
    """Write the record, then `keep` its ref on the row; if the row is gone by then, delete
    the record again (an outbox entry of `delete_kind`)."""
    ref = await put(runtime, pds, name, rkey, record)
    if not await keep(ref):
        async with runtime.writer() as db:
            await outbox.add(db, delete_kind, {"did": did, "rkey": rkey}, did=did)
            await outbox.commit(runtime, db)


async def delete_now(runtime: Runtime, did: str, name: str, rkey: str) -> None:
    """Remove the record `rkey` of collection `name` from `did`'s repo. Raises
    `PdsUnavailable` / `NeedsSignIn` when it must wait."""
    pds = await pds_of(runtime, did)
    if pds is None:
        return
    try:
        await pds.delete_record(lexicons(runtime).nsid(name), rkey)
    except (httpx.TransportError, XrpcError) as e:
        raise failure(e) from e
