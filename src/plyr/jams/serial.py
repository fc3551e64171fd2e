"""One change at a time per jam, and the ordered log it is published to.

A change takes, in order: this process's lock of the jam (so that its appends to the log
follow its revisions), then the database's (`SELECT ... FOR UPDATE` on PostgreSQL, which
also orders changes made through other processes; on SQLite the writer transaction's write
lock). Two changes therefore never start from the same revision. The log is appended after
the commit, with the new revision."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime
from plyr.jams import repository
from plyr.jams.errors import JamEnded, JamNotFound, NotParticipant
from plyr.jams.fanout import LogConflict, jam_log
from plyr.models import Jam

log = logging.getLogger(__name__)

LOCKS = "jams.locks"


def now_ms() -> int:
    return int(time.time() * 1000)


def _lock(runtime: Runtime, code: str) -> asyncio.Lock:
    locks: weakref.WeakValueDictionary[str, asyncio.Lock] = runtime.process_state.setdefault(
        LOCKS, weakref.WeakValueDictionary()
    )
    lock = locks.get(code)
    if lock is None:
        lock = locks[code] = asyncio.Lock()
    return lock


@asynccontextmanager
async def serialized(runtime: Runtime, db: AsyncSession, code: str) -> AsyncIterator[None]:
    """Hold this process's lock of the jam. A transaction the session already has open (a
    dependency's read) is committed first: on SQLite it holds the write lock, which the
    task holding the jam's lock may be waiting for."""
    if db.in_transaction():
        await db.commit()
    async with _lock(runtime, code):
        yield


async def locked_jam(db: AsyncSession, code: str) -> Jam:
    """The live jam, its row locked for this transaction (404 / 410)."""
    jam = await repository.by_code(db, code, lock=True)
    if jam is None:
        raise JamNotFound()
    if not jam.is_active:
        raise JamEnded()
    return jam


async def live_jam(db: AsyncSession, code: str) -> Jam:
    """The live jam, read without a lock (404 / 410)."""
    jam = await repository.by_code(db, code)
    if jam is None:
        raise JamNotFound()
    if not jam.is_active:
        raise JamEnded()
    return jam


async def require_participant(db: AsyncSession, jam: Jam, did: str) -> None:
    if not await repository.is_participant(db, jam.id, did):
        raise NotParticipant()


def bump(jam: Jam, state: dict[str, Any] | None = None) -> int:
    """Record a change (the new state, if any): the revision rises by exactly 1."""
    if state is not None:
        jam.state = state
    jam.revision += 1
    return jam.revision


async def publish(runtime: Runtime, jam_id: int, revision: int, data: dict[str, Any]) -> None:
    """Append a committed change to the jam's log. A conflict means a change with a newer
    revision (through another process) was appended first: its full state supersedes it."""
    try:
        await jam_log(runtime).append(jam_id, revision, {**data, "revision": revision})
    except LogConflict:
        log.info("jam %s: revision %s superseded in the log", jam_id, revision)
