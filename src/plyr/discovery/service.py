"""Mood search (`semantic_search`) and similar tracks (`similar_tracks`).

Mood search fuses, by reciprocal rank fusion (k = 60), the rankings that have something to
say about the query: keyword search's track matches (`repository.keyword_matches`), the
tag bridge over the audio (`plyr.discovery.bridge`), the instance's own user tags nearest the
query, and an
operator's CLAP model when one is configured (`mode: "clap"`). Per process it keeps the
catalogue's standardised tag matrix and the user tags in use, reloaded every
`CATALOGUE_SECONDS` (and dropped by `forget_catalogue` when analysis changes it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime
from plyr.discovery import repository
from plyr.discovery.bridge import (
    RRF_K,
    NameEmbeddings,
    TagCatalogue,
    TagWeights,
    musicnn_tag_embeddings,
    musicnn_vocabulary,
    reciprocal_rank_fusion,
    tag_weights,
)
from plyr.discovery.models import clap, encode_texts
from plyr.discovery.schemas import Mode, SemanticOut, SemanticResult, SimilarOut
from plyr.discovery.store import vector_store
from plyr.discovery.vectors import EVERYONE, Audience
from plyr.media.urls import image_urls
from plyr.tracks import repository as tracks_repository
from plyr.tracks import service as tracks_service

log = logging.getLogger(__name__)

CATALOGUE_KEY = "discovery.tag_catalogue"
NAMES_KEY = "discovery.user_tag_embeddings"
CATALOGUE_SECONDS = 60.0
MIN_DEPTH = 30  # candidates per ranking: fusion needs more than the page it returns
SIMILAR_CANDIDATES = 3  # x limit: room to put other artists first


@dataclass(frozen=True)
class _Catalogue:
    tags: TagCatalogue
    user_tags: list[str]
    loaded_at: float


def forget_catalogue(runtime: Runtime) -> None:
    """Reload the tag catalogue on the next search (after analysis wrote new rows)."""
    runtime.process_state.pop(CATALOGUE_KEY, None)


async def _load_catalogue(db: AsyncSession) -> _Catalogue:
    ids, probabilities = await repository.listed_tag_probabilities(db)
    tags = await asyncio.to_thread(TagCatalogue.of, ids, probabilities)
    return _Catalogue(tags, await repository.user_tags_in_use(db), time.monotonic())


async def _reload_catalogue(runtime: Runtime) -> None:
    try:
        async with runtime.sessionmaker() as db:
            runtime.process_state[CATALOGUE_KEY] = await _load_catalogue(db)
    except Exception:  # the stale catalogue keeps serving; the next search tries again
        log.exception("discovery: reloading the tag catalogue failed")


async def _catalogue(db: AsyncSession, runtime: Runtime) -> _Catalogue:
    """This process's catalogue. The first search loads it (one load however many ask at
    once); later ones are answered from it while a stale one reloads in the background
    (~0.6 s at 100k tracks: not something a search should wait for)."""
    state = runtime.process_state
    cached: _Catalogue | None = state.get(CATALOGUE_KEY)
    if cached is None:
        async with state.setdefault(f"{CATALOGUE_KEY}.loading", asyncio.Lock()):
            cached = state.get(CATALOGUE_KEY)
            if cached is None:
                cached = state[CATALOGUE_KEY] = await _load_catalogue(db)
        return cached
    reloading = f"{CATALOGUE_KEY}.reloading"
    if time.monotonic() - cached.loaded_at > CATALOGUE_SECONDS and reloading not in state:
        task = asyncio.create_task(_reload_catalogue(runtime))
        state[reloading] = task  # held until done: a task nobody references may vanish
        task.add_done_callback(lambda _: state.pop(reloading, None))
    return cached


def _clap_model(runtime: Runtime) -> clap.ClapModel | None:
    model = clap.configured_clap(runtime.settings)
    return model if model is not None and model.available() else None


@dataclass(frozen=True)
class _Bridged:
    musicnn: TagWeights  # the query's weights over musicnn's tags
    user: TagWeights  # and over the user tags in use
    ranked: list[int]  # the catalogue's best tracks by the musicnn weights


def _bridge(q: str, catalogue: _Catalogue, names: NameEmbeddings, depth: int) -> _Bridged:
    """The tag bridge's side of a query: all CPU (~10 ms of MiniLM, ~3-10 ms of scoring at
    100k tracks), so it runs in a thread while keyword search asks the database."""
    query = encode_texts([q])[0]
    musicnn = tag_weights(query, musicnn_vocabulary(), musicnn_tag_embeddings())
    user = tag_weights(query, catalogue.user_tags, names.matrix(catalogue.user_tags))
    ranked = [track_id for track_id, _ in catalogue.tags.ranked(musicnn, depth)]
    return _Bridged(musicnn, user, ranked)


def _names(runtime: Runtime) -> NameEmbeddings:
    names: NameEmbeddings | None = runtime.process_state.get(NAMES_KEY)
    if names is None:
        names = runtime.process_state.setdefault(NAMES_KEY, NameEmbeddings())
    return names


async def _user_tag_ranking(
    db: AsyncSession, weights: TagWeights, depth: int
) -> tuple[list[int], dict[int, list[str]]]:
    """Tracks carrying the user tags that carried the query, by the weight of what they
    carry; and which of those tags each carries."""
    matched = weights.matched()
    if not matched:
        return [], {}
    weight_of = dict(zip(weights.names, weights.weights, strict=True))
    scores: dict[int, float] = {}
    carried: dict[int, list[str]] = {}
    for track_id, name in await repository.tracks_tagged(db, matched):
        scores[track_id] = scores.get(track_id, 0.0) + float(weight_of[name])
        carried.setdefault(track_id, []).append(name)
    ranked = sorted(scores, key=lambda track_id: (-scores[track_id], track_id))[:depth]
    return ranked, carried


async def _clap_ranking(
    db: AsyncSession, runtime: Runtime, model: clap.ClapModel, q: str, depth: int
) -> list[int]:
    query = (await asyncio.to_thread(model.embed_text, [q]))[0]
    store = await vector_store(runtime)
    neighbours = await store.nearest(db, "clap", query, depth, audience=EVERYONE)
    return [n.track_id for n in neighbours]


async def semantic_search(db: AsyncSession, runtime: Runtime, q: str, limit: int) -> SemanticOut:
    """Tracks for a mood or description, best first, each with the tags that matched."""
    model = _clap_model(runtime)
    mode: Mode = "clap" if model is not None else "bridge"
    catalogue = await _catalogue(db, runtime)
    if not len(catalogue.tags):
        return SemanticOut(results=[], query=q, available=False, mode=mode)
    depth = max(MIN_DEPTH, 3 * limit)
    bridge, keyword = await asyncio.gather(
        asyncio.to_thread(_bridge, q, catalogue, _names(runtime), depth),
        repository.keyword_matches(db, q, depth),
    )
    tagged, carried = await _user_tag_ranking(db, bridge.user, depth)
    rankings = [keyword, bridge.ranked, tagged]
    if model is not None:
        rankings.append(await _clap_ranking(db, runtime, model, q, depth))
    rankings = [ranking for ranking in rankings if ranking]
    fused = reciprocal_rank_fusion(rankings)[:depth]
    rows = await repository.result_rows(db, [track_id for track_id, _ in fused])
    best_possible = len(rankings) / (RRF_K + 1)
    bridged_ids, audio_tags = set(bridge.ranked), bridge.musicnn.matched()
    results = [
        _result(
            runtime,
            rows[track_id],
            score / best_possible,
            (audio_tags if track_id in bridged_ids else []) + carried.get(track_id, []),
        )
        for track_id, score in fused
        if track_id in rows
    ]
    return SemanticOut(results=results[:limit], query=q, available=True, mode=mode)


def _result(runtime: Runtime, row: Row[Any], similarity: float, tags: list[str]) -> SemanticResult:
    image, _ = image_urls(runtime.storage, row.image_id, row.image_type)
    return SemanticResult(
        id=row.id,
        title=row.title,
        artist_handle=row.artist_handle,
        artist_display_name=row.artist_display_name,
        image_url=image,
        similarity=round(similarity, 4),
        matched_tags=list(dict.fromkeys(tags)),
    )


async def similar_tracks(
    db: AsyncSession, runtime: Runtime, track_id: int, viewer_did: str | None, limit: int
) -> SimilarOut:
    """The tracks that sound nearest to one (404 when the viewer cannot see it), other
    artists' first, then its own artist's."""
    track = await tracks_service.get_visible(db, track_id, viewer_did)
    embedding = await repository.embedding_of(db, track_id)
    if embedding is None:
        return SimilarOut(tracks=[], available=False)
    store = await vector_store(runtime)
    neighbours = await store.nearest(
        db,
        "embedding",
        embedding,
        SIMILAR_CANDIDATES * limit,
        exclude_ids=[track_id],
        audience=Audience(viewer_did),
    )
    ids = [n.track_id for n in neighbours]
    artists = await repository.artists_of(db, ids)
    others = [i for i in ids if artists.get(i) not in (None, track.artist_did)]
    same = [i for i in ids if artists.get(i) == track.artist_did]
    tracks = await tracks_repository.in_order(db, (others + same)[:limit])
    return SimilarOut(
        tracks=await tracks_service.present(db, runtime, tracks, viewer_did), available=True
    )
