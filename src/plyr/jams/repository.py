"""Jam SQL: the jam rows (locked for a change), and who is in which jam."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Artist, Jam, JamParticipant, utcnow


async def by_code(db: AsyncSession, code: str, *, lock: bool = False) -> Jam | None:
    """The jam; with `lock`, its row locked until the transaction ends (`FOR UPDATE` on
    PostgreSQL; SQLite's writer transaction already holds the database's one write lock)."""
    query = select(Jam).where(Jam.code == code)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await db.scalars(query)).first()


async def code_taken(db: AsyncSession, code: str) -> bool:
    return (await db.scalar(select(func.count()).where(Jam.code == code))) != 0


async def add_jam(
    db: AsyncSession, code: str, host_did: str, name: str | None, state: dict[str, Any]
) -> Jam:
    jam = Jam(code=code, host_did=host_did, name=name, state=state, revision=1, clients=[])
    db.add(jam)
    await db.flush()
    return jam


async def active_jam_of(db: AsyncSession, did: str) -> Jam | None:
    """The jam `did` is in now, if any."""
    query = (
        select(Jam)
        .join(JamParticipant, JamParticipant.jam_id == Jam.id)
        .where(JamParticipant.did == did, JamParticipant.left_at.is_(None), Jam.is_active)
    )
    return (await db.scalars(query)).first()


async def is_participant(db: AsyncSession, jam_id: int, did: str) -> bool:
    query = select(func.count()).where(
        JamParticipant.jam_id == jam_id,
        JamParticipant.did == did,
        JamParticipant.left_at.is_(None),
    )
    return (await db.scalar(query)) != 0


async def participants(db: AsyncSession, jam_id: int) -> list[Artist]:
    """Who is in the jam now, in the order they joined."""
    query = (
        select(Artist)
        .join(JamParticipant, JamParticipant.did == Artist.did)
        .where(JamParticipant.jam_id == jam_id, JamParticipant.left_at.is_(None))
        .order_by(JamParticipant.joined_at, JamParticipant.id)
    )
    return list(await db.scalars(query))


async def participant_count(db: AsyncSession, jam_id: int) -> int:
    query = select(func.count()).where(
        JamParticipant.jam_id == jam_id, JamParticipant.left_at.is_(None)
    )
    return int(await db.scalar(query) or 0)


async def add_participant(db: AsyncSession, jam_id: int, did: str) -> None:
    """Raises IntegrityError when `did` is in another jam (the partial unique index)."""
    db.add(JamParticipant(jam_id=jam_id, did=did))
    await db.flush()


async def mark_left(db: AsyncSession, jam_id: int, did: str | None = None) -> None:
    """`did` (None: everyone still there) left the jam now."""
    query = update(JamParticipant).where(
        JamParticipant.jam_id == jam_id, JamParticipant.left_at.is_(None)
    )
    if did is not None:
        query = query.where(JamParticipant.did == did)
    await db.execute(query.values(left_at=utcnow()))


async def artist(db: AsyncSession, did: str) -> Artist | None:
    return await db.get(Artist, did)


async def idle_codes(db: AsyncSession, unattended_before: datetime, before: datetime) -> list[str]:
    """Live jams unchanged since `unattended_before` with no client connected, or unchanged
    since `before` (earlier) whatever their clients (a process that died said no goodbye)."""
    query = select(Jam.code, Jam.clients, Jam.updated_at).where(
        Jam.is_active, Jam.updated_at < unattended_before
    )
    rows = (await db.execute(query)).all()
    return [code for code, clients, updated in rows if not clients or updated < before]
