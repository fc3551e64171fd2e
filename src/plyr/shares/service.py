"""Share links with listen receipts: a `?ref=` code per person and track; visits and counted
plays through it are attributed to it, once per visitor, never the creator's own.

One link per (creator, track): sharing a track again returns the same code, so the
creator's receipts for a track add up in one place (and the table does not grow with
every click on "share")."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.cache import Cache
from plyr.core.errors import Conflict, NotFound
from plyr.core.runtime import Runtime
from plyr.models import Track
from plyr.shares import repository
from plyr.shares.schemas import ShareOut, ShareStats

CODE_BYTES = 6  # 48 bits, 8 URL-safe characters
ANONYMOUS_VISIT_S = 24 * 3600


def share_url(runtime: Runtime, track_id: int, code: str) -> str:
    return f"{runtime.settings.public_url}/track/{track_id}?ref={code}"


async def share(db: AsyncSession, runtime: Runtime, track: Track, did: str) -> ShareOut:
    """The creator's link for the track (made on first use)."""
    if track.visibility == "private":
        raise Conflict("a private track cannot be shared: make it public or unlisted first")
    link = await repository.of_creator(db, track.id, did)
    while link is None:  # a taken code (one in 2^48) just draws another
        link = await repository.add(db, secrets.token_urlsafe(CODE_BYTES), track.id, did)
    return ShareOut(code=link.code, url=share_url(runtime, track.id, link.code))


async def record_click(
    db: AsyncSession,
    track_id: int,
    code: str,
    visitor: str,
    cache: Cache | None = None,
    ip: str | None = None,
) -> bool:
    """A visit of the track page through the link; 404 for a code unknown or of another
    track. True when recorded (not the creator, not a repeat). With `ip` (an anonymous
    visitor) one visit per address and day: dropping the cookie adds no visitors."""
    link = await repository.get(db, code)
    if link is None or link.track_id != track_id:
        raise NotFound("unknown share link")
    if visitor == link.creator_did:
        return False
    seen_key = f"share:{code}:ip:{ip}"
    if cache is not None and ip is not None and not await cache.add(seen_key, ANONYMOUS_VISIT_S):
        return False
    return await repository.add_event(db, code, "click", visitor)


async def record_play(db: AsyncSession, track_id: int, code: str, listener: str) -> bool:
    """A counted play that started on a page opened through the link (a bad code is
    ignored: the play counts anyway)."""
    link = await repository.get(db, code)
    if link is None or link.track_id != track_id or listener == link.creator_did:
        return False
    return await repository.add_event(db, code, "play", listener)


async def my_shares(db: AsyncSession, runtime: Runtime, did: str) -> list[ShareStats]:
    """My links that someone else used, newest first."""
    return [
        ShareStats(
            code=code,
            track_id=track_id,
            track_title=title,
            url=share_url(runtime, track_id, code),
            created_at=created_at,
            visitors=visitors,
            listeners=listeners,
            anonymous=anonymous,
        )
        for code, track_id, title, created_at, visitors, listeners, anonymous in (
            await repository.stats(db, did)
        )
    ]
