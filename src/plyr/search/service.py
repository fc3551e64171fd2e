"""Keyword search: the query normalized, each kind searched, results merged best first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.errors import Invalid
from plyr.core.runtime import Runtime
from plyr.core.text import normalize
from plyr.media.urls import image_urls
from plyr.search import repository
from plyr.search.repository import KINDS, Kind
from plyr.search.schemas import (
    AlbumResult,
    ArtistResult,
    PlaylistResult,
    Result,
    SearchOut,
    TagResult,
    TrackResult,
)

MAX_NORMALIZED = 200  # NFKD can make 100 characters many more (one ligature is 18)


SINGULAR: dict[str, Kind] = {kind.removesuffix("s"): kind for kind in KINDS}


def parse_types(raw: str | None) -> list[Kind]:
    """`tracks,artist` -> those kinds (in the canonical order; either spelling, as a result's
    `type` is singular); none given -> all; an unknown one -> 422."""
    names = [n.strip().lower() for n in (raw or "").split(",") if n.strip()]
    names = [SINGULAR.get(n, n) for n in names]
    unknown = sorted(set(names) - set(KINDS))
    if unknown:
        raise Invalid(f"unknown type {', '.join(unknown)}; use any of {', '.join(KINDS)}")
    return [k for k in KINDS if k in names] if names else list(KINDS)


RESULTS: dict[Kind, type[Result]] = {
    "tracks": TrackResult,
    "artists": ArtistResult,
    "albums": AlbumResult,
    "tags": TagResult,
    "playlists": PlaylistResult,
}


def _result(runtime: Runtime, kind: Kind, row: Row[Any], relevance: float) -> Result:
    fields = {**row._mapping, "relevance": round(relevance, 4)}
    if "image_id" in fields:
        image, thumbnail = image_urls(runtime.storage, row.image_id, row.image_type)
        fields.update(image_url=image, thumbnail_url=thumbnail)
    if "track_count" in fields:
        fields["track_count"] = int(fields["track_count"] or 0)
    return RESULTS[kind].model_validate(fields)  # each keeps the fields it names


async def sections(
    db: AsyncSession, runtime: Runtime, q: str, kinds: Sequence[Kind], limit: int
) -> tuple[dict[Kind, list[Result]], dict[Kind, int]]:
    """Per kind: its best `limit` results and how many match in all. Only listed things:
    public published tracks, public playlists, artists and albums with a public track, tags
    on one; never the viewer's own hidden ones."""
    query = normalize(q)[:MAX_NORMALIZED].strip()
    found: dict[Kind, list[Result]] = {kind: [] for kind in kinds}
    counts: dict[Kind, int] = {kind: 0 for kind in kinds}
    if not query:
        return found, counts
    for kind in kinds:
        rows = await repository.search_kind(db, kind, query, limit)
        counts[kind] = rows.count
        found[kind] = [_result(runtime, kind, row, relevance) for row, relevance in rows.rows]
    return found, counts


async def search(
    db: AsyncSession, runtime: Runtime, q: str, kinds: Sequence[Kind], limit: int
) -> SearchOut:
    """The best `limit` results across kinds (ties: tracks, artists, albums, tags, then
    playlists), and how many of each kind match."""
    found, counts = await sections(db, runtime, q, kinds, limit)
    ranked = sorted(
        (
            (result.relevance, order, result)
            for order, kind in enumerate(kinds)
            for result in found[kind]
        ),
        key=lambda item: (-item[0], item[1]),
    )
    return SearchOut(results=[result for _, _, result in ranked[:limit]], counts=dict(counts))
