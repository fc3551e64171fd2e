"""Recommendation and For You SQL: a listener's engagement (likes and playlist adds), who
else engaged with the same tracks, which tracks may be recommended, and the most liked."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Like, PlayEvent, Playlist, PlaylistItem, Tag, Track, TrackTag
from plyr.tracks.repository import listed

ID_BATCH = 500  # ids in one IN (...)


@dataclass(frozen=True)
class Edge:
    """One engagement: `did` liked the track, or added it to one of their playlists, `at`."""

    did: str
    track_id: int
    at: datetime


def _edges() -> Any:
    """Every edge (likes, then playlist adds) as one subquery (did, track_id, at)."""
    likes = select(
        Like.did.label("did"), Like.track_id.label("track_id"), Like.created_at.label("at")
    )
    adds = select(
        Playlist.owner_did.label("did"),
        PlaylistItem.track_id.label("track_id"),
        PlaylistItem.added_at.label("at"),
    ).join(Playlist, Playlist.id == PlaylistItem.playlist_id)
    return union_all(likes, adds).subquery("edges")


def _as_edges(rows: Sequence[Any]) -> list[Edge]:
    return [Edge(str(did), int(track_id), at) for did, track_id, at in rows]


async def recent_edges(db: AsyncSession, did: str, limit: int) -> list[Edge]:
    """The listener's `limit` most recent edges, newest first, not counting their own tracks."""
    edges = _edges()
    query = (
        select(edges.c.did, edges.c.track_id, edges.c.at)
        .join(Track, Track.id == edges.c.track_id)
        .where(edges.c.did == did, Track.artist_did != did)
        .order_by(edges.c.at.desc(), edges.c.track_id.desc())
        .limit(limit)
    )
    return _as_edges((await db.execute(query)).all())


async def engaged_track_ids(db: AsyncSession, did: str) -> set[int]:
    """Every track the listener liked or added to a playlist."""
    edges = _edges()
    query = select(edges.c.track_id).where(edges.c.did == did).distinct()
    return {int(t) for t in (await db.execute(query)).scalars()}


async def edges_on(db: AsyncSession, track_ids: Collection[int], besides: str) -> list[Edge]:
    """Everyone else's edges on these tracks."""
    edges = _edges()
    query = select(edges.c.did, edges.c.track_id, edges.c.at).where(edges.c.did != besides)
    return await _batched(db, query, edges.c.track_id, track_ids)


async def edges_of(db: AsyncSession, dids: Collection[str]) -> list[Edge]:
    """Every edge of these listeners."""
    edges = _edges()
    query = select(edges.c.did, edges.c.track_id, edges.c.at)
    return await _batched(db, query, edges.c.did, dids)


async def _batched(
    db: AsyncSession, query: Select[Any], column: Any, values: Collection[Any]
) -> list[Edge]:
    found: list[Edge] = []
    ordered = sorted(values)
    for start in range(0, len(ordered), ID_BATCH):
        batch = ordered[start : start + ID_BATCH]
        found += _as_edges((await db.execute(query.where(column.in_(batch)))).all())
    return found


async def edge_counts(db: AsyncSession, track_ids: Collection[int]) -> dict[int, int]:
    """How many edges (likes and playlist adds, by anyone) each of these tracks has."""
    edges = _edges()
    counts: dict[int, int] = {}
    ordered = sorted(track_ids)
    for start in range(0, len(ordered), ID_BATCH):
        query = (
            select(edges.c.track_id, func.count())
            .where(edges.c.track_id.in_(ordered[start : start + ID_BATCH]))
            .group_by(edges.c.track_id)
        )
        counts.update({int(t): int(n) for t, n in (await db.execute(query)).all()})
    return counts


def recommendable() -> list[Any]:
    """A track discovery may recommend to anyone: listed (public, published), not for
    supporters only."""
    return [*listed(), Track.support_gate.is_(None)]


def _tagged_with_any(names: Sequence[str]) -> Any:
    return exists().where(
        TrackTag.track_id == Track.id, TrackTag.tag_id == Tag.id, Tag.name.in_(names)
    )


@dataclass(frozen=True)
class Candidate:
    track_id: int
    artist_did: str
    created_at: datetime


async def candidates(
    db: AsyncSession, track_ids: Collection[int], *, hidden_tags: Sequence[str] = ()
) -> dict[int, Candidate]:
    """Those of `track_ids` that may be recommended and carry none of `hidden_tags`."""
    query = select(Track.id, Track.artist_did, Track.created_at).where(*recommendable())
    if hidden_tags:
        query = query.where(~_tagged_with_any(hidden_tags))
    found: dict[int, Candidate] = {}
    ordered = sorted(track_ids)
    for start in range(0, len(ordered), ID_BATCH):
        batch = query.where(Track.id.in_(ordered[start : start + ID_BATCH]))
        for track_id, artist_did, created_at in (await db.execute(batch)).all():
            found[int(track_id)] = Candidate(int(track_id), str(artist_did), created_at)
    return found


async def track_ids_of_artist(db: AsyncSession, did: str) -> set[int]:
    query = select(Track.id).where(Track.artist_did == did)
    return {int(t) for t in (await db.execute(query)).scalars()}


async def recently_played(db: AsyncSession, listener: str, limit: int) -> list[int]:
    """The tracks the listener played most recently (each once), newest first."""
    last = (
        select(PlayEvent.track_id, PlayEvent.created_at)
        .where(PlayEvent.listener == listener)
        .order_by(PlayEvent.created_at.desc(), PlayEvent.id.desc())
        .limit(limit * 10)  # repeats of one track count once
    )
    seen: dict[int, None] = {}
    for track_id, _ in (await db.execute(last)).all():
        seen.setdefault(int(track_id), None)
    return list(seen)[:limit]


async def most_liked(db: AsyncSession, limit: int, *, hidden_tags: Sequence[str] = ()) -> list[int]:
    """The most liked recommendable tracks (plays, then the newest, break ties)."""
    query = select(Track.id).where(*recommendable())
    if hidden_tags:
        query = query.where(~_tagged_with_any(hidden_tags))
    query = query.order_by(Track.like_count.desc(), Track.play_count.desc(), Track.id.desc())
    return [int(t) for t in (await db.execute(query.limit(limit))).scalars()]


async def playlist_member_ids(db: AsyncSession, playlist_id: int) -> list[int]:
    """Every track of the playlist, in order, whoever may see it."""
    query = (
        select(PlaylistItem.track_id)
        .where(PlaylistItem.playlist_id == playlist_id)
        .order_by(PlaylistItem.position, PlaylistItem.id)
    )
    return [int(t) for t in (await db.execute(query)).scalars()]
