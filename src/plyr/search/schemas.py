"""Search result shapes: one per kind, told apart by `type`, singular as in plyr.fm
(`track`); `?type=` and `counts` name kinds in the plural (`tracks`), as plyr.fm does."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class Result(BaseModel):
    relevance: float = Field(
        description="higher is better: 4 exact, 3..4 prefix, 2..3 word start, "
        "1..2 substring, below 1 similar (trigram)"
    )


class TrackResult(Result):
    type: Literal["track"] = "track"
    id: int
    title: str
    artist_handle: str
    artist_display_name: str | None
    image_url: str | None
    thumbnail_url: str | None


class ArtistResult(Result):
    type: Literal["artist"] = "artist"
    did: str
    handle: str
    display_name: str | None
    avatar_url: str | None


class AlbumResult(Result):
    type: Literal["album"] = "album"
    id: int
    slug: str
    title: str
    artist_handle: str
    image_url: str | None


class TagResult(Result):
    type: Literal["tag"] = "tag"
    name: str
    track_count: int


class PlaylistResult(Result):
    type: Literal["playlist"] = "playlist"
    id: int
    name: str
    owner_handle: str
    track_count: int


SearchResult = Annotated[
    TrackResult | ArtistResult | AlbumResult | TagResult | PlaylistResult,
    Field(discriminator="type"),
]


class SearchOut(BaseModel):
    results: list[SearchResult] = Field(description="best first, across types")
    counts: dict[str, int] = Field(description="how many match, per type searched")
