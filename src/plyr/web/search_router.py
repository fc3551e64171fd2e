"""The search page: everything that matches a query, in sections per kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from plyr.auth.dependencies import OptionalUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.html.templating import render
from plyr.search import service as search
from plyr.search.repository import KINDS
from plyr.search.schemas import TrackResult
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks

router = APIRouter(include_in_schema=False)
PER_KIND = 20
MAX_QUERY = 100


@router.api_route("/search", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def search_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    user: OptionalUser,
    q: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """Search results: tracks (playable rows), artists, albums, tags and playlists."""
    query = q.strip()[:MAX_QUERY]
    found, counts = (
        await search.sections(db, runtime, query, KINDS, PER_KIND)
        if len(query) >= 2
        else ({kind: [] for kind in KINDS}, {kind: 0 for kind in KINDS})
    )
    ids = [r.id for r in found["tracks"] if isinstance(r, TrackResult)]
    viewer = user.did if user else None
    track_rows = await tracks.present(db, runtime, await tracks_repo.in_order(db, ids), viewer)
    return render(
        request,
        "pages/search.html",
        user,
        title=f"search: {query}" if query else "search",
        q=query,
        found=found,
        counts=counts,
        total=sum(counts.values()),
        tracks=track_rows,
    )
