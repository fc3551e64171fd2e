"""Job rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Artist, Job, utcnow


async def get(db: AsyncSession, job_id: str) -> Job | None:
    return await db.get(Job, job_id, populate_existing=True)


def add(db: AsyncSession, job: Job) -> None:
    db.add(job)


async def set_fields(db: AsyncSession, job_id: str, **values: Any) -> None:
    values.setdefault("updated_at", utcnow())
    await db.execute(update(Job).where(Job.id == job_id).values(**values))


async def unfinished(db: AsyncSession, job_type: str) -> list[Job]:
    query = select(Job).where(Job.type == job_type, Job.status.in_(("pending", "processing")))
    return list((await db.execute(query)).scalars())


async def unfinished_of(db: AsyncSession, did: str, job_type: str) -> list[str]:
    """The ids of the account's pending or running jobs of a type. The account's row is
    locked until the transaction ends (PostgreSQL; SQLite writers are serialized already),
    so two concurrent requests cannot both see none."""
    await db.execute(select(Artist.did).where(Artist.did == did).with_for_update())
    query = select(Job.id).where(
        Job.owner_did == did, Job.type == job_type, Job.status.in_(("pending", "processing"))
    )
    return list((await db.scalars(query)).all())


async def stale(db: AsyncSession, before: datetime) -> list[Job]:
    """Unfinished jobs a worker claimed but has not reported on since `before`. Not queued
    ones (never claimed), nor those whose track is stored and only waits for its record (on
    a PDS that is down, or on its artist signing in again)."""
    query = select(Job).where(
        Job.status.in_(("pending", "processing")),
        Job.heartbeat_at < before,
        Job.track_id.is_(None),
    )
    return list((await db.execute(query)).scalars())


async def unfinished_for_track(db: AsyncSession, track_id: int) -> list[str]:
    query = select(Job.id).where(Job.track_id == track_id, Job.status == "processing")
    return list((await db.scalars(query)).all())


INTERRUPTED = "processing was interrupted; please upload again"


async def fail_unfinished(db: AsyncSession, job_id: str, error: str = INTERRUPTED) -> None:
    """Fail the job unless it already finished (a late duplicate run must not undo success)."""
    await db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("pending", "processing")))
        .values(status="failed", error=error, message="failed", updated_at=utcnow())
    )


async def complete_for_track(db: AsyncSession, track_id: int) -> list[str]:
    """Complete the unfinished jobs that were waiting on this track; returns their ids."""
    query = select(Job.id).where(Job.track_id == track_id, Job.status == "processing")
    job_ids = list((await db.execute(query)).scalars())
    if job_ids:
        await db.execute(
            update(Job)
            .where(Job.id.in_(job_ids))
            .values(
                status="completed",
                phase="done",
                progress_pct=100.0,
                message="done",
                updated_at=utcnow(),
            )
        )
    return job_ids
