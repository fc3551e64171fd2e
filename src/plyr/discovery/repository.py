"""Discovery's SQL over the catalogue: analysis bookkeeping, suggested tags, mood search and
similar tracks (the vectors themselves: `plyr.discovery.vectors.repository`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Row, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.text import normalize
from plyr.discovery.bridge import Matrix
from plyr.discovery.vectors.base import TAG_COUNT, Audience, from_bytes
from plyr.discovery.vectors.repository import ids_table, qualifies
from plyr.models import Artist, Job, Tag, Track, TrackFeatures, TrackTag
from plyr.search.repository import engine_for, source

EVERYONE = Audience()


async def listed_tag_probabilities(db: AsyncSession) -> tuple[list[int], Matrix]:
    """Every analysed track anyone may see (listed, not gated), with its 100 tag
    probabilities."""
    query = (
        select(TrackFeatures.track_id, TrackFeatures.tags)
        .join(Track, Track.id == TrackFeatures.track_id)
        .where(qualifies(EVERYONE))
        .order_by(TrackFeatures.track_id)
    )
    rows = (await db.execute(query)).all()
    ids = [track_id for track_id, tags in rows if len(tags) == TAG_COUNT * 4]
    vectors = [from_bytes(tags) for _, tags in rows if len(tags) == TAG_COUNT * 4]
    matrix = np.stack(vectors) if vectors else np.zeros((0, TAG_COUNT), np.float32)
    return ids, matrix


async def user_tags_in_use(db: AsyncSession) -> list[str]:
    """The names of the user tags on at least one track anyone may see."""
    query = (
        select(Tag.name)
        .join(TrackTag, TrackTag.tag_id == Tag.id)
        .join(Track, Track.id == TrackTag.track_id)
        .where(qualifies(EVERYONE))
        .group_by(Tag.name)
        .order_by(Tag.name)
    )
    return list((await db.execute(query)).scalars())


async def tracks_tagged(db: AsyncSession, names: Collection[str]) -> list[tuple[int, str]]:
    """(track id, tag name) of the tracks anyone may see carrying any of `names`."""
    if not names:
        return []
    query = (
        select(Track.id, Tag.name)
        .join(TrackTag, TrackTag.track_id == Track.id)
        .join(Tag, Tag.id == TrackTag.tag_id)
        .where(Tag.name.in_(list(names)), qualifies(EVERYONE))
    )
    return [(track_id, name) for track_id, name in (await db.execute(query)).all()]


MAX_NORMALIZED = 200  # as keyword search: NFKD can make a query many times longer


async def keyword_matches(db: AsyncSession, q: str, limit: int) -> list[int]:
    """The ids of keyword search's exact, prefix and substring track matches, best first.
    Not its fuzzy (typo) matches: they cost as much again (10-170 ms at 100k tracks on
    SQLite), and the web app runs keyword search beside mood search anyway."""
    query = normalize(q)[:MAX_NORMALIZED].strip()
    if not query:
        return []
    found = await engine_for(db).matches(db, source("tracks"), query, limit)
    return [row.id for row, _ in found.rows]


async def result_rows(db: AsyncSession, track_ids: Collection[int]) -> dict[int, Row[Any]]:
    """Search-result columns (keyword search's) of those of `track_ids` anyone may see (the
    ids joined from a VALUES list: see `ids_table`)."""
    if not track_ids:
        return {}
    wanted = ids_table(track_ids)
    columns = source("tracks").query.selected_columns
    query = (
        select(*columns)
        .select_from(wanted)
        .join(Track, Track.id == wanted.c.id)
        .join(Artist, Artist.did == Track.artist_did)
        .where(qualifies(EVERYONE))
    )
    return {row.id: row for row in (await db.execute(query)).all()}


async def embedding_of(db: AsyncSession, track_id: int) -> np.ndarray | None:
    raw = await db.scalar(select(TrackFeatures.embedding).where(TrackFeatures.track_id == track_id))
    return from_bytes(raw) if raw is not None else None


async def artists_of(db: AsyncSession, track_ids: Collection[int]) -> dict[int, str]:
    if not track_ids:
        return {}
    query = select(Track.id, Track.artist_did).where(Track.id.in_(list(track_ids)))
    return {track_id: did for track_id, did in (await db.execute(query)).all()}


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
