"""Comment shapes in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from plyr.artists.schemas import ArtistRef

MAX_TEXT = 1000
MAX_POSITION_MS = 2_147_483_647


def _fits_record(text: str) -> str:
    # the record's `text` is limited in UTF-8 bytes (the AT Protocol's string length)
    if len(text.encode()) > MAX_TEXT:
        raise ValueError(f"text is at most {MAX_TEXT} bytes of UTF-8")
    return text


CommentText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
    AfterValidator(_fits_record),
]


class CommentIn(BaseModel):
    text: CommentText
    timestamp_ms: int = Field(ge=0, le=MAX_POSITION_MS, description="position in the track")


class CommentEdit(BaseModel):
    text: CommentText


class CommentOut(BaseModel):
    id: int
    text: str
    timestamp_ms: int
    created_at: datetime
    updated_at: datetime | None = Field(description="when last edited; null if never")
    author: ArtistRef
