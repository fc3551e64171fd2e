"""Playlist recommendations, seed 003's strategy: the members' audio embeddings become
query vectors by the playlist's size (1 track: its own; 2-5: one each; 6 and more: k-means
centroids, min(3, N // 2) of them), one nearest-neighbour query each with the members
excluded and only tracks anyone may be shown (listed, not gated: `Audience` in the query),
merged by reciprocal rank fusion (k = 60).

Cached 24 h under the playlist's revision: its record CID when public, else `updated_at`,
with a digest of its members, since the record is rewritten after the change commits and a
CID read in between would be the old one. Any change to the playlist is a new key."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime
from plyr.discovery.recs import repository
from plyr.discovery.recs.schemas import PlaylistRecommendations
from plyr.discovery.store import vector_store
from plyr.discovery.vectors import EVERYONE, Neighbour, Vector
from plyr.discovery.vectors import repository as vectors
from plyr.models import Playlist, Track
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks

log = logging.getLogger(__name__)

RRF_K = 60
MAX_CENTROIDS = 3
KMEANS_SEED = 0  # a fixed seed: the same playlist gets the same centroids every time
KMEANS_ITERATIONS = 50
CACHE_TTL_S = 24 * 3600
CACHE_PREFIX = "recs:"


# --- the strategy -------------------------------------------------------------------------


def _unit_rows(vectors: Sequence[Vector]) -> npt.NDArray[np.float32]:
    points = np.stack([np.asarray(v, dtype=np.float32) for v in vectors])
    norms = np.linalg.norm(points, axis=1, keepdims=True)
    return (points / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def kmeans(
    points: npt.NDArray[np.float32],
    k: int,
    *,
    seed: int = KMEANS_SEED,
    iterations: int = KMEANS_ITERATIONS,
) -> npt.NDArray[np.float32]:
    """`k` centroids of `points` (rows): k-means++ seeding from a fixed seed, then Lloyd's
    iterations until nothing moves. An emptied cluster keeps its centroid."""
    rng = np.random.default_rng(seed)
    centroids = points[[int(rng.integers(len(points)))]]
    while len(centroids) < k:
        distances = _squared_distances(points, centroids).min(axis=1)
        total = float(distances.sum())
        if total <= 0:  # every point is a centroid already (duplicates)
            break
        chosen = int(rng.choice(len(points), p=distances / total))
        centroids = np.vstack([centroids, points[chosen]])
    for _ in range(iterations):
        labels = _squared_distances(points, centroids).argmin(axis=1)
        moved = np.stack(
            [
                points[labels == c].mean(axis=0) if np.any(labels == c) else centroids[c]
                for c in range(len(centroids))
            ]
        )
        if np.allclose(moved, centroids):
            break
        centroids = moved
    return centroids.astype(np.float32)


def _squared_distances(
    points: npt.NDArray[np.float32], centroids: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    return np.asarray(((points[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2))


def query_vectors(vectors: Sequence[Vector]) -> list[Vector]:
    """Seed 003's adaptive strategy: the query vectors for tracks with these embeddings."""
    if len(vectors) <= 5:
        return [np.asarray(v, dtype=np.float32) for v in vectors]
    centroids = kmeans(_unit_rows(vectors), min(MAX_CENTROIDS, len(vectors) // 2))
    return list(centroids)


def rrf_merge(ranked: Sequence[Sequence[Neighbour]], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion: Σ 1 / (k + rank) over the lists holding a track (ranks from
    1). Ties go to the best similarity any list gave, then the lower id."""
    scores: dict[int, float] = {}
    best: dict[int, float] = {}
    for answer in ranked:
        for rank, neighbour in enumerate(answer, start=1):
            track_id = neighbour.track_id
            scores[track_id] = scores.get(track_id, 0.0) + 1.0 / (k + rank)
            best[track_id] = max(best.get(track_id, -np.inf), neighbour.similarity)
    return sorted(scores, key=lambda t: (-scores[t], -best[t], t))


async def similar_to(
    db: AsyncSession,
    runtime: Runtime,
    seeds: Sequence[int],
    k: int,
    *,
    exclude_ids: set[int],
) -> list[int] | None:
    """Tracks anyone may be shown that sound like `seeds` (ids in order of importance), by
    seed 003's strategy, best first; None (unavailable) when no seed has been analysed or
    the vector store failed (logged)."""
    stored = {s.standing.track_id: s.embedding for s in await vectors.stored_features(db, seeds)}
    embeddings = [stored[t] for t in dict.fromkeys(seeds) if t in stored]
    if not embeddings:
        return None
    queries = query_vectors(embeddings)
    per_query = k if len(queries) == 1 else max(2 * k, 10)
    try:
        store = await vector_store(runtime)
        ranked = await store.nearest_many(
            db, "embedding", queries, per_query, exclude_ids=exclude_ids, audience=EVERYONE
        )
    except Exception:  # degrade: a failing store must not fail the page around it
        log.exception("discovery: the vector store failed a recommendation query")
        return None
    if len(ranked) == 1:
        return [n.track_id for n in ranked[0]]
    return rrf_merge(ranked)


# --- a playlist's recommendations -----------------------------------------------------------


def cache_key(playlist: Playlist, members: Sequence[int], limit: int) -> str:
    public_cid = None if playlist.is_private else playlist.atproto_record_cid
    revision = public_cid or playlist.updated_at.isoformat()
    digest = hashlib.sha256(",".join(map(str, members)).encode()).hexdigest()[:16]
    return f"{CACHE_PREFIX}{playlist.id}:{revision}:{digest}:{limit}"


async def _cached(runtime: Runtime, key: str) -> list[int] | None:
    try:
        value = await runtime.cache.get(key)
    except Exception:  # the cache is an optimisation: compute afresh when it is down
        log.warning("recommendations cache unavailable", exc_info=True)
        return None
    return [int(t) for t in json.loads(value)] if value is not None else None


async def _remember(runtime: Runtime, key: str, track_ids: list[int]) -> None:
    try:
        await runtime.cache.set(key, json.dumps(track_ids), CACHE_TTL_S)
    except Exception:
        log.warning("recommendations cache unavailable", exc_info=True)


def _recommendable(track: Track) -> bool:
    """Still fine to recommend (a cached answer may predate a change of visibility)."""
    return (
        track.visibility in tracks_repo.LISTED
        and track.status == "published"
        and track.support_gate is None
        and track.takedown_reason is None
        and not (track.sensitive_audio or track.self_sensitive_audio)
    )


async def for_playlist(
    db: AsyncSession, runtime: Runtime, playlist: Playlist, viewer_did: str, limit: int
) -> PlaylistRecommendations:
    members = await repository.playlist_member_ids(db, playlist.id)
    if not members:
        return PlaylistRecommendations(tracks=[], available=False)
    key = cache_key(playlist, members, limit)
    found = await _cached(runtime, key)
    if found is None:
        found = await similar_to(db, runtime, members, limit, exclude_ids=set(members))
        if found is None:  # not analysed yet, or the store failed: ask again next time
            return PlaylistRecommendations(tracks=[], available=False)
        found = found[:limit]
        await _remember(runtime, key, found)
    shown = [t for t in await tracks_repo.in_order(db, found) if _recommendable(t)]
    return PlaylistRecommendations(
        tracks=await tracks.present(db, runtime, shown, viewer_did), available=True
    )
