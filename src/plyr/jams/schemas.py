"""Jam shapes in the API: creating a jam, the commands, the jam as participants see it, and
the preview anyone may see."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plyr.artists.schemas import ArtistRef
from plyr.core.nul import no_nul
from plyr.tracks.schemas import MAX_ID, TrackOut

MAX_TRACKS = 1000  # as a listener's own queue
MAX_POSITION_MS = 86_400_000
TrackRef = Annotated[int, Field(ge=1, le=MAX_ID)]
TrackIds = Annotated[list[TrackRef], Field(max_length=MAX_TRACKS)]
Index = Annotated[int, Field(ge=0, le=MAX_TRACKS, description="clamped into the queue")]
Position = Annotated[int, Field(ge=0, le=MAX_POSITION_MS)]
ClientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(no_nul)]
OutputMode = Literal["one_speaker", "everyone"]


class JamIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Name | None = None
    track_ids: TrackIds = Field(default_factory=list)
    current_index: Index = 0
    is_playing: bool = False
    progress_ms: Position = 0


class Play(BaseModel):
    type: Literal["play"]


class Pause(BaseModel):
    type: Literal["pause"]


class Seek(BaseModel):
    type: Literal["seek"]
    position_ms: Position


class UpdateQueue(BaseModel):
    type: Literal["update_queue"]
    track_ids: TrackIds
    current_index: Index = 0


class SetOutput(BaseModel):
    type: Literal["set_output"]
    client_id: ClientId


class SetMode(BaseModel):
    type: Literal["set_mode"]
    mode: OutputMode


Command = Annotated[
    Play | Pause | Seek | UpdateQueue | SetOutput | SetMode, Field(discriminator="type")
]


class JamState(BaseModel):
    track_ids: list[int]
    current_index: int
    current_track_id: int | None
    is_playing: bool
    progress_ms: int = Field(description="the position at server_time_ms")
    server_time_ms: int = Field(description="epoch ms; while playing, add the time since")
    output_client_id: str | None
    output_did: str | None
    output_mode: OutputMode


class JamView(BaseModel):
    id: int
    code: str
    host: ArtistRef
    name: str | None
    state: JamState
    revision: int
    is_active: bool
    participants: list[ArtistRef]
    tracks: list[TrackOut] = Field(description="the tracks of state.track_ids, in order")


class CommandOut(BaseModel):
    state: JamState
    revision: int
    tracks_changed: bool
    tracks: list[TrackOut] | None = Field(description="sent when track_ids changed")


class JamHost(BaseModel):
    handle: str
    display_name: str | None
    avatar_url: str | None


class JamPreview(BaseModel):
    code: str
    name: str | None
    host: JamHost
    participant_count: int
    is_active: bool
