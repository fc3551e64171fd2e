"""Keyword search over tracks, artists, albums, tags and playlists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.search import service
from plyr.search.schemas import SearchOut

router = APIRouter(prefix="/search", tags=["search"])


@router.get("/")
async def search(
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    q: Annotated[str, Query(min_length=2, max_length=100, description="the words to find")],
    kinds: Annotated[
        str | None,
        Query(
            alias="type",
            max_length=200,
            description="comma list of tracks, artists, albums, tags, playlists, plural or "
            "singular (default all)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchOut:
    """Search by keyword: exact, then prefix, substring and similar matches, best first."""
    del user  # signed in or not, search shows only what is listed for everyone
    return await service.search(db, runtime, q, service.parse_types(kinds), limit)
