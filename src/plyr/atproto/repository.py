"""What the protocol layer reads and writes: the PDS credentials (sealed) kept on session
rows, and where an account's repo lives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Artist, Session, utcnow


async def store_credentials(db: AsyncSession, session_id: str, sealed: str, **values: Any) -> bool:
    """Write a session's sealed credentials (and `values`); False when the row is gone."""
    query = update(Session).where(Session.id == session_id)
    result = await db.execute(query.values(oauth_data=sealed, **values))
    return bool(getattr(result, "rowcount", 0))


async def sealed_credentials(db: AsyncSession, session_id: str) -> str | None:
    query = select(Session.oauth_data).where(Session.id == session_id)
    return await db.scalar(query)


async def drop_credentials(db: AsyncSession, session_id: str, ended_at: datetime) -> None:
    """The session is over at `ended_at`, and keeps no credentials."""
    query = update(Session).where(Session.id == session_id)
    await db.execute(query.values(oauth_data=None, expires_at=ended_at))


async def newest_credentials(db: AsyncSession, did: str) -> tuple[str, str] | None:
    """(session id, sealed credentials) of the user's newest live session that has any."""
    query = (
        select(Session.id, Session.oauth_data)
        .where(
            Session.did == did,
            Session.oauth_data.is_not(None),
            or_(Session.expires_at.is_(None), Session.expires_at > utcnow()),
        )
        .order_by(Session.created_at.desc())
        .limit(1)
    )
    row = (await db.execute(query)).first()
    if row is None or row.oauth_data is None:
        return None
    return row.id, row.oauth_data


async def pds_url(db: AsyncSession, did: str) -> str | None:
    """The PDS an account's repo was last seen on (its artist row), if known."""
    return await db.scalar(select(Artist.pds_url).where(Artist.did == did))
