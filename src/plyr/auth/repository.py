"""Session rows, and the artist row a sign-in creates or updates (its identity: DID and
verified handle)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Artist, Session


async def get_with_artist(db: AsyncSession, session_id: str) -> tuple[Session, Artist] | None:
    row = (
        await db.execute(
            select(Session, Artist)
            .join(Artist, Artist.did == Session.did)
            .where(Session.id == session_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


def add(db: AsyncSession, session: Session) -> None:
    db.add(session)


async def touch(db: AsyncSession, session_id: str, when: datetime) -> None:
    await db.execute(update(Session).where(Session.id == session_id).values(last_used_at=when))


async def delete_by_id(db: AsyncSession, session_id: str) -> list[str | None]:
    """Delete a session; returns its sealed PDS credentials as they were when it went (the
    latest rotation, not what the request read when it authenticated)."""
    return await _delete_returning_credentials(db, Session.id == session_id)


async def delete_group(db: AsyncSession, group_id: str) -> list[str | None]:
    return await _delete_returning_credentials(db, Session.group_id == group_id)


async def _delete_returning_credentials(db: AsyncSession, *where: Any) -> list[str | None]:
    query = delete(Session).where(*where).returning(Session.oauth_data)
    return list((await db.scalars(query)).all())


async def group_accounts(db: AsyncSession, group_id: str) -> list[Artist]:
    members = select(Session.did).where(Session.group_id == group_id)
    query = select(Artist).where(Artist.did.in_(members)).order_by(Artist.handle)
    return list((await db.execute(query)).scalars())


async def group_member(db: AsyncSession, group_id: str, did: str) -> Session | None:
    query = (
        select(Session)
        .where(Session.group_id == group_id, Session.did == did, Session.kind == "browser")
        .order_by(Session.created_at.desc())
    )
    return (await db.execute(query)).scalars().first()


async def artist(db: AsyncSession, did: str) -> Artist | None:
    return await db.get(Artist, did)


async def rekey(db: AsyncSession, session_id: str, new_id: str, prefix: str) -> None:
    await db.execute(
        update(Session).where(Session.id == session_id).values(id=new_id, prefix=prefix)
    )


async def developer_sessions(
    db: AsyncSession, did: str, *, prefix: str | None = None
) -> list[Session]:
    query = select(Session).where(Session.did == did, Session.kind == "developer")
    if prefix is not None:
        query = query.where(Session.prefix == prefix)
    return list((await db.scalars(query.order_by(Session.created_at.desc()))).all())


async def delete_sessions(db: AsyncSession, session_ids: list[str]) -> list[str | None]:
    return await _delete_returning_credentials(db, Session.id.in_(session_ids))


async def delete_sessions_of(db: AsyncSession, did: str) -> list[str | None]:
    """Delete every session of an account; returns their sealed PDS credentials."""
    return await _delete_returning_credentials(db, Session.did == did)


async def upsert_identity(
    db: AsyncSession, *, did: str, handle: str, display_name: str | None = None
) -> Artist:
    """Create or update the artist row of `did`. `handle` must be verified both ways (DID
    document and handle resolution agree), or be the DID itself: whoever held the handle
    before has moved on and loses it, so `/u/<handle>` cannot name two accounts."""
    if handle != did:
        await db.execute(
            update(Artist)
            .where(func.lower(Artist.handle) == handle.lower(), Artist.did != did)
            .values(handle=Artist.did)
        )
    artist = await db.get(Artist, did)
    if artist is None:
        artist = Artist(did=did, handle=handle, display_name=display_name or handle)
        db.add(artist)
    else:
        artist.handle = handle
        if display_name:
            artist.display_name = display_name
    await db.flush()
    return artist
