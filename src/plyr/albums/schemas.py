"""Album shapes in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plyr.artists.schemas import ArtistOut
from plyr.core.nul import no_nul
from plyr.tracks.schemas import MAX_ID, TrackOut

AlbumId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_TRACKS = 500  # an album record lists at most 500 tracks


Title = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(no_nul)]
Description = Annotated[str, Field(max_length=5000), AfterValidator(no_nul)]


class AlbumIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: Title
    description: Description | None = None


class AlbumPatch(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: Title | None = None
    description: Description | None = Field(None, description='"" removes it')


class AlbumTracksIn(BaseModel):
    track_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=MAX_TRACKS, description="the album's tracks, in order (your own tracks)"
    )


class AlbumOut(BaseModel):
    id: int
    slug: str
    title: str
    description: str | None
    image_url: str | None
    thumbnail_url: str | None
    artist: ArtistOut
    track_count: int = Field(description="tracks of the album you can see")
    atproto_record_uri: str | None
    created_at: datetime


class AlbumDetail(AlbumOut):
    tracks: list[TrackOut] = Field(description="in album order; only tracks you can see")
