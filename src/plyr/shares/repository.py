"""Share link and share event SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import ShareEvent, ShareLink, Track
from plyr.tracks.listeners import ANONYMOUS_PREFIX


async def get(db: AsyncSession, code: str) -> ShareLink | None:
    return await db.get(ShareLink, code)


async def of_creator(db: AsyncSession, track_id: int, creator_did: str) -> ShareLink | None:
    query = (
        select(ShareLink)
        .where(ShareLink.track_id == track_id, ShareLink.creator_did == creator_did)
        .order_by(ShareLink.created_at)
        .limit(1)
    )
    return (await db.scalars(query)).first()


async def add(db: AsyncSession, code: str, track_id: int, creator_did: str) -> ShareLink | None:
    """The new link; None when the code is taken."""
    link = ShareLink(code=code, track_id=track_id, creator_did=creator_did)
    try:
        async with db.begin_nested():
            db.add(link)
            await db.flush()
    except IntegrityError:
        return None
    return link


async def add_event(db: AsyncSession, code: str, kind: str, visitor: str) -> bool:
    """Record a visit or play through a link, once per visitor and kind; True when new."""
    query = select(ShareEvent.id).where(
        ShareEvent.code == code, ShareEvent.kind == kind, ShareEvent.visitor == visitor
    )
    if (await db.execute(query.limit(1))).first() is not None:
        return False
    db.add(ShareEvent(code=code, kind=kind, visitor=visitor))
    await db.flush()
    return True


async def stats(
    db: AsyncSession, creator_did: str
) -> list[tuple[str, int, str, datetime, int, int, int]]:
    """Per link of the creator that someone else used: (code, track id, track title,
    created_at, visitors, listeners, anonymous), newest link first."""
    visitor = ShareEvent.visitor
    visitors = func.count(distinct(case((ShareEvent.kind == "click", visitor))))
    listeners = func.count(distinct(case((ShareEvent.kind == "play", visitor))))
    anonymous = func.count(distinct(case((visitor.startswith(ANONYMOUS_PREFIX), visitor))))
    query = (
        select(
            ShareLink.code,
            ShareLink.track_id,
            Track.title,
            ShareLink.created_at,
            visitors,
            listeners,
            anonymous,
        )
        .join(Track, Track.id == ShareLink.track_id)
        .join(
            ShareEvent,
            and_(ShareEvent.code == ShareLink.code, ShareEvent.visitor != ShareLink.creator_did),
        )
        .where(ShareLink.creator_did == creator_did)
        .group_by(ShareLink.code, ShareLink.track_id, Track.title, ShareLink.created_at)
        .order_by(ShareLink.created_at.desc(), ShareLink.code)
    )
    return [
        (code, int(track_id), title, at, int(v), int(listened), int(anon))
        for code, track_id, title, at, v, listened, anon in (await db.execute(query)).all()
    ]
