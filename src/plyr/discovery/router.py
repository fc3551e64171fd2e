"""Mood search and similar tracks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.discovery import service
from plyr.discovery.schemas import SemanticOut, SimilarOut

router = APIRouter(tags=["discovery"])


@router.get("/search/semantic")
async def semantic_search(
    db: DbSession,
    runtime: RuntimeDep,
    q: Annotated[str, Query(min_length=3, max_length=200, description="a mood or description")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SemanticOut:
    """Tracks by what they sound like: keyword search fused with the tag bridge (or an
    operator's CLAP model). Only tracks anyone may see, signed in or not."""
    return await service.semantic_search(db, runtime, q, limit)


@router.get("/tracks/{track_id}/similar")
async def similar_tracks(
    track_id: int,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SimilarOut:
    """The tracks nearest in sound, other artists first."""
    return await service.similar_tracks(db, runtime, track_id, user.did if user else None, limit)
