"""Pending writes: changes to another system (storage, a PDS) recorded to be retried."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import PendingWrite, utcnow

MAX_BACKOFF_S = 3600


async def due(db: AsyncSession, *, did: str | None, due_now: bool) -> list[PendingWrite]:
    query = select(PendingWrite).where(PendingWrite.done.is_(False))
    if did is not None:
        query = query.where(PendingWrite.did == did)
    if not due_now:
        query = query.where(PendingWrite.next_attempt_at <= utcnow())
    return list((await db.scalars(query.order_by(PendingWrite.id))).all())


async def record_attempt(db: AsyncSession, write: PendingWrite, error: str | None) -> None:
    """Done, or failed again: back off exponentially (30 s doubling, up to an hour)."""
    if error is None:
        values: dict[str, object] = {"done": True}
    else:
        attempts = write.attempts + 1
        backoff = min(MAX_BACKOFF_S, 30 * 2**attempts)
        values = {
            "attempts": attempts,
            "last_error": error,
            "next_attempt_at": utcnow() + timedelta(seconds=backoff),
        }
    await db.execute(update(PendingWrite).where(PendingWrite.id == write.id).values(**values))


async def add(db: AsyncSession, kind: str, did: str, payload: dict[str, Any]) -> bool:
    """Record a pending write in `db`'s transaction, unless the same one already waits;
    True when it was added."""
    waiting = await db.scalars(
        select(PendingWrite.payload).where(
            PendingWrite.kind == kind, PendingWrite.did == did, PendingWrite.done.is_(False)
        )
    )
    if payload in list(waiting):
        return False
    db.add(PendingWrite(kind=kind, did=did, payload=payload))
    return True
