"""SQL for track fingerprints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Track, TrackFingerprint


async def replace(
    db: AsyncSession, track_id: int, artist_did: str, items: bytes, duration: float
) -> None:
    """The track's fingerprint, replacing any earlier one (a new row: the index sees it)."""
    await db.execute(delete(TrackFingerprint).where(TrackFingerprint.track_id == track_id))
    db.add(
        TrackFingerprint(track_id=track_id, artist_did=artist_did, items=items, duration=duration)
    )
    await db.flush()


async def since(db: AsyncSession, after: datetime | None) -> Sequence[TrackFingerprint]:
    """Fingerprints stored after `after` (all of them when None), oldest first."""
    query = select(TrackFingerprint).order_by(TrackFingerprint.created_at, TrackFingerprint.id)
    if after is not None:
        query = query.where(TrackFingerprint.created_at > after)
    return (await db.execute(query)).scalars().all()


async def of_tracks(
    db: AsyncSession, track_ids: Sequence[int], *, not_by: str
) -> dict[int, TrackFingerprint]:
    """The fingerprints of those tracks that still exist and are not by `not_by`."""
    if not track_ids:
        return {}
    rows = await db.execute(
        select(TrackFingerprint)
        .join(Track, Track.id == TrackFingerprint.track_id)
        .where(TrackFingerprint.track_id.in_(track_ids), Track.artist_did != not_by)
    )
    return {row.track_id: row for row in rows.scalars()}
