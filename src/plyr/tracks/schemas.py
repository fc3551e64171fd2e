"""Track shapes in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from plyr.artists.schemas import ArtistRef

Visibility = Literal["public", "unlisted", "supporters", "private"]
VISIBILITIES: tuple[str, ...] = ("public", "unlisted", "supporters", "private")
TopPeriod = Literal["all_time", "month", "week", "day"]
MAX_ID = 2_147_483_647
TrackId = Annotated[int, Path(ge=1, le=MAX_ID)]


class AlbumRef(BaseModel):
    id: int
    title: str
    slug: str


class FeatureRef(BaseModel):
    did: str
    handle: str | None = None
    display_name: str | None = None


class TrackOut(BaseModel):
    id: int
    title: str
    artist_did: str
    artist: ArtistRef
    album: AlbumRef | None
    duration: int | None
    file_id: str
    file_type: str
    original_file_type: str | None
    audio_url: str
    image_url: str | None
    thumbnail_url: str | None
    tags: list[str]
    description: str | None
    features: list[FeatureRef]
    play_count: int
    like_count: int
    comment_count: int
    is_liked: bool
    visibility: Visibility
    atproto_record_uri: str | None
    atproto_record_cid: str | None
    created_at: datetime
    loudness_lufs: float | None = Field(None, description="EBU R128 integrated loudness")
    self_labels: list[str] = Field(
        [], description="the creator's content warnings (atproto self-labels: sexual, porn, ...)"
    )
    support_gate: str | None = Field(
        None, description="the record's supportGate type: the audio is for supporters"
    )
    takedown_reason: str | None = Field(
        None,
        description="set when a moderator took the track down: only its artist and admins "
        "see it then, with this reason",
    )
    sensitive_audio: bool = Field(
        False, description="sexual/porn/nudity audio (a label or the creator's self-label)"
    )


class TrackPage(BaseModel):
    tracks: list[TrackOut]
    next_cursor: str | None
    has_more: bool


class UploadAccepted(BaseModel):
    upload_id: str
    status: Literal["pending"] = "pending"


class TagCount(BaseModel):
    name: str
    track_count: int


class PlayIn(BaseModel):
    ref: str | None = Field(None, max_length=16)


class PlayOut(BaseModel):
    play_count: int


class Waveform(BaseModel):
    file_id: str
    duration: float | None
    peaks: list[tuple[float, float]] = Field(description="(min, max) pairs in -1..1")
