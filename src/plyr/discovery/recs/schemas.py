"""What playlist recommendations and For You answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from plyr.tracks.schemas import TrackOut


class PlaylistRecommendations(BaseModel):
    tracks: list[TrackOut]
    available: bool = Field(
        description="false when no track of the playlist has been analysed yet, or the "
        "vector store failed: hide the section"
    )


class ForYouPage(BaseModel):
    tracks: list[TrackOut]
    next_cursor: str | None
    has_more: bool
    cold_start: bool = Field(
        description="true when no one shares the listener's taste yet: the tracks come "
        "from audio similarity to what they liked or played, then the most liked"
    )
