"""Suggested tags for a track (spec: discovery.md, API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.discovery import tags
from plyr.tracks import service as tracks
from plyr.tracks.schemas import TrackId

router = APIRouter(prefix="/tracks", tags=["discovery"])


class RecommendedTag(BaseModel):
    name: str
    score: float


class RecommendedTags(BaseModel):
    track_id: int
    tags: list[RecommendedTag]
    available: bool  # false: the track's audio has not been analysed (yet)


@router.get("/{track_id}/recommended-tags")
async def recommended_tags(
    track_id: TrackId,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> RecommendedTags:
    """Tags the track's audio suggests (musicnn's, mapped to this instance's tags, and those
    of the tagged tracks that sound most like it), without the tags it already has."""
    track = await tracks.get_visible(db, track_id, user.did if user else None)
    found = await tags.suggestions(runtime, db, track, limit)
    return RecommendedTags(
        track_id=track.id,
        tags=[RecommendedTag(name=s.name, score=s.score) for s in found or []],
        available=found is not None,
    )
