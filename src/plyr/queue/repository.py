"""Queue state SQL: one row per listener; every change bumps the revision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import QueueState, utcnow


async def get(db: AsyncSession, did: str) -> QueueState | None:
    return (await db.scalars(select(QueueState).where(QueueState.did == did))).first()


async def replace(
    db: AsyncSession, did: str, state: dict[str, Any], expected: int | None
) -> int | None:
    """Store `state` if the stored revision is `expected` (None: whatever it is); returns the
    new revision, or None when someone else changed it first."""
    query = update(QueueState).where(QueueState.did == did)
    if expected is not None:
        query = query.where(QueueState.revision == expected)
    result = await db.execute(
        query.values(state=state, revision=QueueState.revision + 1, updated_at=utcnow()).returning(
            QueueState.revision
        )
    )
    revision = result.scalar_one_or_none()
    if revision is not None:
        return int(revision)
    if expected not in (None, 0):
        return None
    try:
        async with db.begin_nested():
            db.add(QueueState(did=did, state=state, revision=1))
    except IntegrityError:  # created meanwhile by another device
        return None
    return 1
