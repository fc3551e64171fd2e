"""Playlist shapes in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plyr.artists.schemas import ArtistOut
from plyr.core.nul import no_nul
from plyr.lists.repository import MAX_ITEMS
from plyr.tracks.schemas import MAX_ID, TrackOut

PlaylistId = Annotated[int, Path(ge=1, le=MAX_ID)]
TrackRef = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(no_nul)]


class PlaylistIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Name
    is_private: bool = False


class PlaylistPatch(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Name | None = None
    is_private: bool | None = None


class PlaylistTrackIn(BaseModel):
    track_id: TrackRef


class PlaylistOrderIn(BaseModel):
    track_ids: list[TrackRef] = Field(
        max_length=MAX_ITEMS,
        description="every track of the playlist as you see it, in the new order",
    )


class PlaylistOut(BaseModel):
    id: int
    name: str
    owner: ArtistOut
    is_private: bool
    track_count: int = Field(description="tracks of the playlist you can see")
    image_url: str | None
    thumbnail_url: str | None
    atproto_record_uri: str | None
    created_at: datetime
    updated_at: datetime


class PlaylistDetail(PlaylistOut):
    tracks: list[TrackOut] = Field(description="in order; only tracks you can see")
