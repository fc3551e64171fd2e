"""Like shapes in the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class LikeOut(BaseModel):
    liked: bool


class LikerOut(BaseModel):
    did: str
    handle: str
    display_name: str | None
    avatar_url: str | None
    liked_at: datetime
