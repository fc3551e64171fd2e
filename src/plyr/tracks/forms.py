"""Validation of the track form fields (upload and edit), with messages users can act on."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from plyr.core.errors import BadRequest, Invalid, readable_validation_error
from plyr.core.text import normalize_tag
from plyr.tracks.schemas import Visibility

MAX_TAGS = 10
MAX_TAG_CHARS = 50
MAX_FEATURES = 10
MAX_SELF_LABELS = 10  # the selfLabels lexicon's limits
MAX_LABEL_BYTES = 128


class TrackFields(BaseModel):
    """Every field optional: an upload requires `title`, an edit changes what is sent."""

    title: str | None = Field(None, min_length=1, max_length=256)
    description: str | None = Field(None, max_length=5000)
    tags: list[str] | None = None
    album: str | None = Field(None, max_length=256)
    album_id: int | None = Field(None, ge=1, le=2_147_483_647)
    features: list[str] | None = None
    visibility: Visibility | None = None
    audio_on_pds: bool | None = Field(None, description="store the audio in my repo too")
    self_labels: list[str] | None = Field(
        None, description='content warnings, atproto self-label values: ["sexual"]'
    )
    auto_tag: bool | None = Field(
        None, description="add the tags discovery suggests (at most 5), once the audio is analysed"
    )

    @field_validator("title", "album", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return v.strip() if isinstance(v, str) else v

    @field_validator("self_labels", mode="before")
    @classmethod
    def _label_list(cls, v: Any) -> Any:
        """A JSON list, or (as a form may send it) comma-separated values."""
        if isinstance(v, str) and not v.lstrip().startswith("["):
            return [x for x in v.split(",") if x.strip()]
        return cls._json_list(v)

    @field_validator("tags", "features", mode="before")
    @classmethod
    def _json_list(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        if not v.strip():
            return []
        try:
            parsed = json.loads(v)
        except json.JSONDecodeError as e:
            raise ValueError('must be a JSON list of strings, e.g. ["ambient", "live"]') from e
        return parsed

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        tags = list(dict.fromkeys(t for t in (normalize_tag(x) for x in v) if t))
        if len(tags) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tags are allowed (got {len(tags)})")
        too_long = [t for t in tags if len(t) > MAX_TAG_CHARS]
        if too_long:
            raise ValueError(f"tags are at most {MAX_TAG_CHARS} characters: {too_long[0]!r}")
        return tags

    @field_validator("features")
    @classmethod
    def _features(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(v) > MAX_FEATURES:
            raise ValueError(f"at most {MAX_FEATURES} featured artists are allowed")
        return [x.strip().lstrip("@") for x in v if x.strip()] if v is not None else None

    @field_validator("self_labels")
    @classmethod
    def _self_labels(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        labels = list(dict.fromkeys(x.strip() for x in v if x.strip()))
        if len(labels) > MAX_SELF_LABELS:
            raise ValueError(f"at most {MAX_SELF_LABELS} self-labels are allowed")
        if any(len(x.encode()) > MAX_LABEL_BYTES for x in labels):
            raise ValueError(f"a self-label is at most {MAX_LABEL_BYTES} bytes")
        return labels


def parse_fields(raw: dict[str, str], *, allowed: set[str]) -> TrackFields:
    unknown = set(raw) - allowed
    if unknown:
        raise BadRequest(f"unknown form field(s): {', '.join(sorted(unknown))}")
    values = {k: v for k, v in raw.items() if k in TrackFields.model_fields}
    if values.get("album_id") == "":
        values.pop("album_id")
    try:
        fields = TrackFields.model_validate(values)
    except ValidationError as e:
        raise Invalid(_readable(e)) from e
    if fields.album and fields.album_id is not None:
        raise BadRequest("send either 'album' (a title) or 'album_id', not both")
    return fields


def _readable(error: ValidationError) -> str:
    return readable_validation_error(error.errors())
