"""Playlist recommendations and For You (spec: discovery.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from plyr.auth.dependencies import CurrentUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.discovery import foryou, recommendations
from plyr.discovery.recs.schemas import ForYouPage, PlaylistRecommendations
from plyr.lists import service as lists
from plyr.lists.schemas import PlaylistId
from plyr.models import Playlist

router = APIRouter(tags=["discovery"])


async def owned_playlist(playlist_id: PlaylistId, user: CurrentUser, db: DbSession) -> Playlist:
    """The caller's own playlist: 404 when it is someone's private one, 403 when it is
    someone's public one (as the lists' owner checks). Reading needs no PDS scope."""
    return await lists.get_owned(db, playlist_id, user.did)


OwnedPlaylist = Annotated[Playlist, Depends(owned_playlist)]


@router.get("/lists/playlists/{playlist_id}/recommendations")
async def playlist_recommendations(
    playlist: OwnedPlaylist,
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> PlaylistRecommendations:
    """Tracks that sound like the playlist's, to add to it (its owner only). `available`
    is false, and `tracks` empty, until one of its tracks has been analysed."""
    return await recommendations.for_playlist(db, runtime, playlist, user.did, limit)


@router.get("/for-you")
async def for_you(
    user: CurrentUser,
    db: DbSession,
    runtime: RuntimeDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 30,
) -> ForYouPage:
    """Tracks for you: what listeners who like what you like went on to like, then tracks
    that sound like what you liked or played (`cold_start` when only those), then the most
    liked. `cursor` is the `next_cursor` of the page before."""
    return await foryou.for_you(db, runtime, user.artist, cursor=cursor, limit=limit)
