"""Mood search and similar tracks: response shapes (plyr.fm's, plus `matched_tags` and
`mode`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from plyr.tracks.schemas import TrackOut

Mode = Literal["bridge", "clap"]


class SemanticResult(BaseModel):
    type: Literal["track"] = "track"
    id: int
    title: str
    artist_handle: str
    artist_display_name: str | None
    image_url: str | None
    similarity: float = Field(
        description="the fused score relative to the best possible (1.0: first in every "
        "ranking that was fused)"
    )
    matched_tags: list[str] = Field(
        description="the tag names that carried the query to this track (musicnn tags, and "
        "user tags it carries); empty for a keyword-only match"
    )


class SemanticOut(BaseModel):
    results: list[SemanticResult]
    query: str
    available: bool = Field(description="false while no track has been analysed")
    mode: Mode = Field(
        description="bridge: through musicnn's tag vocabulary; clap: an operator's CLAP model"
    )


class SimilarOut(BaseModel):
    tracks: list[TrackOut] = Field(description="nearest by audio first, other artists first")
    available: bool = Field(description="false when the track has not been analysed")
