"""Session rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
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


async def delete_by_id(db: AsyncSession, session_id: str) -> None:
    await db.execute(delete(Session).where(Session.id == session_id))


async def delete_group(db: AsyncSession, group_id: str) -> None:
    await db.execute(delete(Session).where(Session.group_id == group_id))


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


async def group_credentials(db: AsyncSession, group_id: str) -> list[str | None]:
    """The sealed PDS credentials of every session in a browser's group."""
    query = select(Session.oauth_data).where(Session.group_id == group_id)
    return list((await db.scalars(query)).all())


async def developer_sessions(
    db: AsyncSession, did: str, *, prefix: str | None = None
) -> list[Session]:
    query = select(Session).where(Session.did == did, Session.kind == "developer")
    if prefix is not None:
        query = query.where(Session.prefix == prefix)
    return list((await db.scalars(query.order_by(Session.created_at.desc()))).all())


async def delete_sessions(db: AsyncSession, session_ids: list[str]) -> None:
    await db.execute(delete(Session).where(Session.id.in_(session_ids)))


async def credentials_of(db: AsyncSession, did: str) -> list[str]:
    """The sealed PDS credentials of every session of an account."""
    query = select(Session.oauth_data).where(Session.did == did, Session.oauth_data.is_not(None))
    return [sealed for sealed in (await db.scalars(query)).all() if sealed]
