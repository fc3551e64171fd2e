"""The outbox: every effect outside the database, recorded with the change that causes it.

A change that must also write or delete a record on a PDS, delete or move stored files, or
tell this process's caches adds an entry (`add`) in its own transaction, so a crash cannot
separate the two. Right after that transaction commits, the unit of work performs the
entries it wrote (`commit`, and the request boundary in `plyr.core.deps`), with no
transaction open; what fails is retried with exponential backoff by the sweep of any
process (`drain`) until it is done. An entry is claimed with a lease first, so two
processes never perform one at once; a process that dies mid-entry leaves it to be
claimed again when the lease ends. Handlers are idempotent: each may run more than once.

Kinds are `Kind`; their handlers are one table (`plyr.effects.HANDLERS`) handed to the
runtime at start. An entry of a kind with no handler raises and stays to be retried: it is
never taken as done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.orm import utcnow
from plyr.core.outbox import repository
from plyr.core.outbox.models import PendingWrite

if TYPE_CHECKING:
    from plyr.core.runtime import Runtime

log = logging.getLogger(__name__)

DRAIN_BATCH = 50
KEEP_DONE = timedelta(days=1)
# how long a claim holds without news: the performer renews it while it works (a 100 MB
# blob upload takes minutes), so an entry whose process died is free again within a minute
LEASE = timedelta(seconds=60)
WRITTEN = "plyr_outbox"  # session.info key: the entries this unit of work added
# test-only: "after_commit:<kind>" kills the process before it performs such an entry
CRASH_ENV = "PLYR_TEST_CRASH_AT"


class Kind(StrEnum):
    """What an entry does; the value is stored, so a rename needs a data migration."""

    STORAGE_DELETE = "storage_delete"  # {keys}
    STORAGE_PLACE = "storage_place"  # {file_ids}: move audio to the store its visibility asks
    AUDIO_CHANGED = "audio_changed"  # {file_ids}: this process stops serving them from caches
    CATALOG_CHANGED = "catalog_changed"  # {}: recount this process's aggregates
    PROFILE_SYNC = "profile_sync"  # {did}
    TRACK_SYNC = "track_sync"  # {track_id}
    TRACK_DELETE = "track_delete"  # {did, rkey}
    LIKE_SYNC = "like_sync"  # {like_id}
    LIKE_DELETE = "like_delete"  # {did, rkey}
    LIKED_LIST_SYNC = "liked_list_sync"  # {did}
    COMMENT_SYNC = "comment_sync"  # {comment_id}
    COMMENT_DELETE = "comment_delete"  # {did, rkey}
    LIST_SYNC = "list_sync"  # {list: "playlist" | "album", id}
    LIST_DELETE = "list_record_delete"  # {did, rkey}
    FIREHOSE_COMMIT = "firehose_commit"  # {paths}: a commit of `did`'s repo to index again
    SESSIONS_REVOKE = "sessions_revoke"  # {sealed}: PDS credentials of deleted sessions
    TASK = "task"  # {task, key, args}: a background task to enqueue (`enqueue`)
    NOTIFY_WEBHOOK = "notify_webhook"  # {item_id}: tell the admins' webhook of a new item
    NOTIFY_DM = "notify_dm"  # {item_id, to}: a Bluesky DM to an admin about a new item


Handler = Callable[["Runtime", PendingWrite], Awaitable[None]]


class UnknownKind(LookupError):
    """An entry whose kind has no handler (a typo, or a kind retired without a migration)."""


def handler_for(handlers: Mapping[str, Handler], kind: str) -> Handler:
    handler = handlers.get(kind)
    if handler is None:
        raise UnknownKind(f"no handler for outbox entries of kind {kind!r}")
    return handler


async def add(
    db: AsyncSession, kind: Kind, payload: dict[str, Any] | None = None, *, did: str | None = None
) -> None:
    """Record an effect in `db`'s transaction; performed once the transaction commits. The
    same effect already waiting (and not being performed now) is not recorded twice."""
    payload = payload or {}
    written: list[PendingWrite] = db.info.setdefault(WRITTEN, [])
    if any(e.kind == kind and e.did == did and e.payload == payload for e in written):
        return
    entry = await repository.reuse_waiting(db, kind, did, payload)
    if entry is None:
        entry = PendingWrite(kind=str(kind), did=did, payload=payload)
        db.add(entry)
    written.append(entry)


async def enqueue(
    db: AsyncSession, task: str, *args: Any, key: str, did: str | None = None
) -> None:
    """Enqueue the background task named `task` once `db`'s transaction commits (so its
    worker sees what the transaction wrote); `key` makes a retry enqueue it once. `did`:
    the user it works for (their entries go with their account)."""
    await add(db, Kind.TASK, {"task": task, "key": key, "args": list(args)}, did=did)


def take_written(db: AsyncSession) -> list[int]:
    """The ids of the entries `db` added (its transaction committed), forgotten by `db`."""
    entries: list[PendingWrite] = db.info.pop(WRITTEN, [])
    return list(dict.fromkeys(entry.id for entry in entries if entry.id is not None))


async def commit(runtime: Runtime, db: AsyncSession) -> None:
    """Commit `db`'s unit of work, then perform the effects it recorded."""
    await db.commit()
    await perform(runtime, take_written(db))


async def perform(runtime: Runtime, ids: list[int]) -> int:
    """Perform these entries now, in order (those another process holds are left to it);
    returns how many failed (they back off and are retried). One transaction claims them
    and one records how each went, whatever their number."""
    if not ids:
        return 0
    token = uuid.uuid4().hex
    async with runtime.writer() as db:
        entries = await repository.claim(db, ids, token, utcnow() + LEASE)
        _crash_if_asked(entries)
        await db.commit()
    if not entries:
        return 0
    async with _renewing(runtime, token):
        errors = [await _attempt(runtime, entry) for entry in entries]
    async with runtime.writer() as db:
        for entry, error in zip(entries, errors, strict=True):
            await repository.record_attempt(db, entry, error)
        await db.commit()
    return sum(error is not None for error in errors)


async def drain(runtime: Runtime, *, did: str | None = None, due_now: bool = False) -> int:
    """Perform the entries that are due (or all of `did`'s with `due_now`): the sweep every
    process runs. Returns how many failed again."""
    async with runtime.sessionmaker() as db:
        ids = await repository.due_ids(db, did=did, due_now=due_now)
    failed = 0
    for start in range(0, len(ids), DRAIN_BATCH):  # other processes take their share
        failed += await perform(runtime, ids[start : start + DRAIN_BATCH])
    return failed


async def prune(runtime: Runtime, older_than: timedelta = KEEP_DONE) -> None:
    """Forget entries done a while ago (kept a day, to tell what happened)."""
    async with runtime.writer() as db:
        await repository.delete_done(db, utcnow() - older_than)
        await db.commit()


async def _attempt(runtime: Runtime, entry: PendingWrite) -> str | None:
    """Perform the entry; None when it is done, else why it failed."""
    try:
        await handler_for(runtime.effects, entry.kind)(runtime, entry)
    except Exception as e:  # any failure: retried later, never taken as done
        log.warning("outbox entry %s (%s) failed: %s", entry.id, entry.kind, e, exc_info=True)
        return (str(e) or type(e).__name__)[:2000]
    return None


@contextlib.asynccontextmanager
async def _renewing(runtime: Runtime, token: str) -> AsyncIterator[None]:
    """Keep the claim on the entries while their handlers run."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            try:
                async with runtime.writer() as db:
                    await repository.renew(db, token, utcnow() + LEASE)
                    await db.commit()
            except Exception:  # the database is busy: try again, the lease has time left
                log.warning("could not renew the claim %s on outbox entries", token)

    renewer = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


def _crash_if_asked(entries: list[PendingWrite]) -> None:
    """Test-only (tests/test_outbox_crash.py): die as if killed between a change's commit
    and its effects."""
    if any(os.environ.get(CRASH_ENV) == f"after_commit:{e.kind}" for e in entries):
        os.kill(os.getpid(), signal.SIGKILL)
