"""Share link shapes in the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ShareOut(BaseModel):
    code: str
    url: str = Field(description="the track page with `?ref=code`")


class ShareStats(BaseModel):
    code: str
    track_id: int
    track_title: str
    url: str
    created_at: datetime
    visitors: int = Field(description="distinct visitors who opened the link")
    listeners: int = Field(description="distinct visitors whose play through it counted")
    anonymous: int = Field(description="distinct visitors who were not signed in")
