"""Preferences: how plyr looks and behaves for one account."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Theme = Literal["dark", "light", "system"]
DownloadPolicy = Literal["open", "closed"]
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


def _clean_tags(tags: list[str]) -> list[str]:
    cleaned = [t.strip().lower() for t in tags if t.strip()]
    return list(dict.fromkeys(cleaned))


class PreferencesOut(BaseModel):
    theme: Theme = "dark"
    accent_color: str = "#6a9fff"
    auto_advance: bool = True
    allow_comments: bool = True
    hidden_tags: list[str] = Field(default_factory=lambda: ["ai", "ai-slop", "suno"])
    enable_teal_scrobbling: bool = False
    download_policy: DownloadPolicy = "open"
    normalize_volume: bool = True
    # artwork marked sensitive is blurred (click to reveal) unless this is on
    show_sensitive_artwork: bool = False
    # audio labelled sexual, porn or nudity is left out of everything unless this is on
    show_sensitive_audio: bool = False
    terms_accepted_at: datetime | None = None


class PreferencesIn(BaseModel):
    """Only the fields sent change (POST merges)."""

    theme: Theme | None = None
    accent_color: str | None = Field(None, pattern=HEX_COLOUR)
    auto_advance: bool | None = None
    allow_comments: bool | None = None
    hidden_tags: list[str] | None = Field(None, max_length=50)
    enable_teal_scrobbling: bool | None = None
    download_policy: DownloadPolicy | None = None
    normalize_volume: bool | None = None
    show_sensitive_artwork: bool | None = None
    show_sensitive_audio: bool | None = None

    @field_validator("hidden_tags")
    @classmethod
    def _tags(cls, tags: list[str] | None) -> list[str] | None:
        if tags is None:
            return None
        if any(len(t) > 50 for t in tags):
            raise ValueError("a tag is at most 50 characters")
        return _clean_tags(tags)
