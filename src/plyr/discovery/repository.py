"""Discovery's SQL over the catalogue (vectors: `plyr.discovery.vectors.repository`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Job, Tag, Track, TrackFeatures, TrackTag


async def tags_of(db: AsyncSession, track_ids: Sequence[int]) -> dict[int, set[str]]:
    """Each track's tag names (tracks without tags are absent)."""
    if not track_ids:
        return {}
    query = (
        select(TrackTag.track_id, Tag.name)
        .join(Tag, Tag.id == TrackTag.tag_id)
        .where(TrackTag.track_id.in_(list(track_ids)))
    )
    found: dict[int, set[str]] = defaultdict(set)
    for track_id, name in (await db.execute(query)).all():
        found[track_id].add(name)
    return found


async def upload_asked_auto_tag(db: AsyncSession, track_id: int) -> bool:
    """Whether the upload that made the track asked for `auto_tag` (its job keeps the form)."""
    query = select(Job.params).where(Job.track_id == track_id, Job.type == "upload")
    return any(
        bool((params or {}).get("fields", {}).get("auto_tag"))
        for params in (await db.execute(query)).scalars()
    )


async def needing_analysis(db: AsyncSession, version: str, limit: int | None) -> list[int]:
    """Published tracks stored here without an analysis by `version`, oldest first."""
    query = (
        select(Track.id)
        .outerjoin(TrackFeatures, TrackFeatures.track_id == Track.id)
        .where(
            Track.status == "published",
            Track.origin == "upload",
            or_(TrackFeatures.track_id.is_(None), TrackFeatures.model_version != version),
        )
        .order_by(Track.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list((await db.execute(query)).scalars().all())
