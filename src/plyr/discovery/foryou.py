"""For You: plyr.fm's collaborative filter (a port of grain.social's), then audio
similarity for the cold start and the long tail, then the most liked.

Collaborative filter. Edges are likes and playlist adds. The listener's 500 most recent
edges (not on their own tracks) are the seeds; co-engagers are the others who engaged with
a seed no later than 24 h after the listener did (at most 1000, the largest overlap first).
Each co-engager's other tracks are candidates; a track scores
Σ 1/edges(co-engager) * paths^0.5 * 0.5^(age_h/48) / popularity^0.3, where paths is how
many co-engagers lead to it, age_h the track's age in hours, popularity its edge count.

When the filter has fewer tracks than the feed holds, tracks that sound like what the
listener liked, added or played follow (seed 003's query strategy over their embeddings),
then the most liked. `cold_start` says the filter had nothing. Everywhere: at most 2 tracks
per artist, never the listener's own tracks or those they liked or added, none with a tag
they hide, only tracks anyone may be shown.

Pagination: the cursor is an offset into the ranking, which is recomputed on every call
(as plyr.fm does); it is deterministic, so pages neither repeat nor skip a track while the
engagement behind it does not change (a like in between may shift it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.errors import BadRequest
from plyr.core.runtime import Runtime
from plyr.discovery.recommendations import similar_to
from plyr.discovery.recs import repository
from plyr.discovery.recs.repository import Candidate, Edge
from plyr.discovery.recs.schemas import ForYouPage
from plyr.models import Artist, utcnow
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks

SEEDS = 500
MAX_COENGAGERS = 1000
WINDOW = timedelta(hours=24)
HALF_LIFE_H = 48.0
POPULARITY_EXPONENT = 0.3
PATHS_EXPONENT = 0.5
PER_ARTIST = 2
FEED_SIZE = 200  # the ranking a cursor pages through
TASTE_SEEDS = 20  # liked/added and played tracks whose sound the fill looks for


@dataclass(frozen=True)
class Viewer:
    did: str
    hidden_tags: list[str]
    excluded: set[int]  # their own tracks, and the ones they liked or added


# --- collaborative filter -------------------------------------------------------------------


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def co_engagers(seeds: Sequence[Edge], others: Iterable[Edge]) -> list[str]:
    """Who engaged with a seed no later than 24 h after the listener did, the largest seed
    overlap first (then by DID: deterministic), at most MAX_COENGAGERS."""
    first_at: dict[int, datetime] = {}
    for seed in seeds:
        at = _aware(seed.at)
        first_at[seed.track_id] = min(at, first_at.get(seed.track_id, at))
    shared: dict[str, set[int]] = {}
    for edge in others:
        seed_at = first_at.get(edge.track_id)
        if seed_at is not None and _aware(edge.at) <= seed_at + WINDOW:
            shared.setdefault(edge.did, set()).add(edge.track_id)
    ranked = sorted(shared, key=lambda did: (-len(shared[did]), did))
    return ranked[:MAX_COENGAGERS]


def path_weights(edges: Iterable[Edge], skip: set[int]) -> tuple[dict[int, float], Counter[int]]:
    """Per candidate track: Σ 1/edges(co-engager) over the co-engagers leading to it, and how
    many do (each co-engager once per track, however many edges they have on it)."""
    edges = list(edges)
    total = Counter(e.did for e in edges)
    weight: dict[int, float] = {}
    paths: Counter[int] = Counter()
    walked: set[tuple[str, int]] = set()
    for edge in edges:
        if edge.track_id in skip or (edge.did, edge.track_id) in walked:
            continue
        walked.add((edge.did, edge.track_id))
        weight[edge.track_id] = weight.get(edge.track_id, 0.0) + 1.0 / total[edge.did]
        paths[edge.track_id] += 1
    return weight, paths


def score(weight: float, paths: int, created_at: datetime, popularity: int, now: datetime) -> float:
    age_h = max(0.0, (now - _aware(created_at)).total_seconds() / 3600)
    return (
        weight
        * paths**PATHS_EXPONENT
        * 0.5 ** (age_h / HALF_LIFE_H)
        / max(popularity, 1) ** POPULARITY_EXPONENT
    )


async def collaborative(db: AsyncSession, viewer: Viewer) -> list[Candidate]:
    """The collaborative filter's tracks, best first."""
    seeds = await repository.recent_edges(db, viewer.did, SEEDS)
    if not seeds:
        return []
    seed_ids = {s.track_id for s in seeds}
    others = await repository.edges_on(db, seed_ids, besides=viewer.did)
    dids = co_engagers(seeds, others)
    if not dids:
        return []
    weight, paths = path_weights(
        await repository.edges_of(db, dids), skip=viewer.excluded | seed_ids
    )
    found = await repository.candidates(db, weight.keys(), hidden_tags=viewer.hidden_tags)
    popularity = await repository.edge_counts(db, found.keys())
    now = utcnow()
    scores = {
        t: score(weight[t], paths[t], c.created_at, popularity.get(t, 0), now)
        for t, c in found.items()
    }
    return [found[t] for t in sorted(scores, key=lambda t: (-scores[t], t))]


# --- the fill: audio similarity, then the most liked ---------------------------------------


async def sounds_like_taste(
    db: AsyncSession, runtime: Runtime, viewer: Viewer, besides: set[int]
) -> list[Candidate]:
    """Tracks that sound like the listener's recent likes, adds and plays, best first."""
    liked = [e.track_id for e in await repository.recent_edges(db, viewer.did, TASTE_SEEDS)]
    played = await repository.recently_played(db, viewer.did, TASTE_SEEDS)
    taste = list(dict.fromkeys(liked + played))
    if not taste:
        return []
    excluded = viewer.excluded | besides | set(taste)
    found = await similar_to(db, runtime, taste, FEED_SIZE, exclude_ids=excluded)
    return await _in_order(db, viewer, found or [])


async def most_liked(db: AsyncSession, viewer: Viewer) -> list[Candidate]:
    ids = await repository.most_liked(
        db, FEED_SIZE + len(viewer.excluded), hidden_tags=viewer.hidden_tags
    )
    return await _in_order(db, viewer, ids)


async def _in_order(db: AsyncSession, viewer: Viewer, ids: Sequence[int]) -> list[Candidate]:
    """Those of `ids` that may be recommended to the viewer, in order."""
    found = await repository.candidates(db, ids, hidden_tags=viewer.hidden_tags)
    return [found[t] for t in ids if t in found and t not in viewer.excluded]


# --- the feed ---------------------------------------------------------------------------------


def diversified(sources: Iterable[Sequence[Candidate]], size: int) -> list[int]:
    """The sources one after the other, each track once, at most PER_ARTIST per artist."""
    chosen: dict[int, None] = {}
    per_artist: Counter[str] = Counter()
    for source in sources:
        for candidate in source:
            if len(chosen) >= size:
                return list(chosen)
            if candidate.track_id in chosen or per_artist[candidate.artist_did] >= PER_ARTIST:
                continue
            chosen[candidate.track_id] = None
            per_artist[candidate.artist_did] += 1
    return list(chosen)


async def ranking(db: AsyncSession, runtime: Runtime, viewer: Viewer) -> tuple[list[int], bool]:
    """The feed (FEED_SIZE tracks at most) and whether it is a cold start."""
    cf = await collaborative(db, viewer)
    feed = diversified([cf], FEED_SIZE)
    if len(feed) < FEED_SIZE:
        audio = await sounds_like_taste(db, runtime, viewer, besides=set(feed))
        feed = diversified([cf, audio], FEED_SIZE)
        if len(feed) < FEED_SIZE:
            feed = diversified([cf, audio, await most_liked(db, viewer)], FEED_SIZE)
    return feed, not cf


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > FEED_SIZE:
        raise BadRequest("invalid cursor")
    return int(cursor)


async def viewer_of(db: AsyncSession, runtime: Runtime, artist: Artist) -> Viewer:
    excluded = await repository.engaged_track_ids(db, artist.did)
    excluded |= await repository.track_ids_of_artist(db, artist.did)
    return Viewer(artist.did, tracks.hidden_tags(runtime, artist), excluded)


async def for_you(
    db: AsyncSession, runtime: Runtime, artist: Artist, *, cursor: str | None, limit: int
) -> ForYouPage:
    offset = _offset(cursor)
    viewer = await viewer_of(db, runtime, artist)
    feed, cold_start = await ranking(db, runtime, viewer)
    page = feed[offset : offset + limit]
    has_more = offset + limit < len(feed)
    rows = await tracks_repo.in_order(db, page)
    return ForYouPage(
        tracks=await tracks.present(db, runtime, rows, artist.did),
        next_cursor=str(offset + limit) if has_more else None,
        has_more=has_more,
        cold_start=cold_start,
    )
