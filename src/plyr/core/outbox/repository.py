"""The outbox's queries (`plyr.core.outbox`): entries, their leases and their attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.orm import utcnow
from plyr.core.outbox.models import PendingWrite

MAX_BACKOFF_S = 3600


def _unclaimed() -> ColumnElement[bool]:
    return or_(PendingWrite.claimed_until.is_(None), PendingWrite.claimed_until < utcnow())


async def reuse_waiting(
    db: AsyncSession, kind: str, did: str | None, payload: dict[str, Any]
) -> PendingWrite | None:
    """The same entry, waiting and held by no process, made due now in `db`'s transaction
    (which then holds it: a process claiming it meanwhile waits and sees this change)."""
    waiting = await db.scalars(
        select(PendingWrite).where(
            PendingWrite.kind == kind,
            PendingWrite.did.is_(None) if did is None else PendingWrite.did == did,
            PendingWrite.done.is_(False),
            _unclaimed(),
        )
    )
    for entry in waiting:
        if entry.payload == payload:
            touched = await db.execute(
                update(PendingWrite)
                .where(PendingWrite.id == entry.id, PendingWrite.done.is_(False), _unclaimed())
                .values(next_attempt_at=utcnow())
            )
            return entry if getattr(touched, "rowcount", 0) else None
    return None


async def due_ids(db: AsyncSession, *, did: str | None, due_now: bool) -> list[int]:
    query = select(PendingWrite.id).where(PendingWrite.done.is_(False), _unclaimed())
    if did is not None:
        query = query.where(PendingWrite.did == did)
    if not due_now:
        query = query.where(PendingWrite.next_attempt_at <= utcnow())
    return list((await db.scalars(query.order_by(PendingWrite.id))).all())


async def claim(
    db: AsyncSession, ids: list[int], token: str, until: datetime
) -> list[PendingWrite]:
    """Hold those of the entries that are neither done nor held by another process, as
    `token`, until `until`; returns them in id order."""
    await db.execute(
        update(PendingWrite)
        .where(PendingWrite.id.in_(ids), PendingWrite.done.is_(False), _unclaimed())
        .values(claimed_by=token, claimed_until=until)
    )
    held = select(PendingWrite).where(PendingWrite.claimed_by == token)
    return list((await db.scalars(held.order_by(PendingWrite.id))).all())


async def renew(db: AsyncSession, token: str, until: datetime) -> None:
    await db.execute(
        update(PendingWrite).where(PendingWrite.claimed_by == token).values(claimed_until=until)
    )


async def record_attempt(db: AsyncSession, entry: PendingWrite, error: str | None) -> None:
    """Done, or failed again: released, backing off exponentially (30 s doubling, up to an
    hour)."""
    values: dict[str, object] = {"claimed_by": None, "claimed_until": None}
    if error is None:
        values["done"] = True
    else:
        attempts = entry.attempts + 1
        values.update(
            attempts=attempts,
            last_error=error,
            next_attempt_at=utcnow() + timedelta(seconds=min(MAX_BACKOFF_S, 30 * 2**attempts)),
        )
    await db.execute(update(PendingWrite).where(PendingWrite.id == entry.id).values(**values))


async def delete_done(db: AsyncSession, before: datetime) -> None:
    await db.execute(
        delete(PendingWrite).where(PendingWrite.done.is_(True), PendingWrite.created_at < before)
    )
