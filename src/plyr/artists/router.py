"""Artist profiles."""

from __future__ import annotations

from fastapi import APIRouter

from plyr.artists import repository
from plyr.artists.schemas import ArtistOut
from plyr.core.deps import DbSession
from plyr.core.errors import NotFound
from plyr.models import Artist

router = APIRouter(prefix="/artists", tags=["artists"])


async def _out(db: DbSession, artist: Artist | None) -> ArtistOut:
    if artist is None:
        raise NotFound("artist not found")
    count = await repository.public_track_count(db, artist.did)
    return ArtistOut(
        did=artist.did,
        handle=artist.handle,
        display_name=artist.display_name,
        avatar_url=artist.avatar_url,
        bio=artist.bio,
        track_count=count,
    )


@router.get("/by-handle/{handle}")
async def get_by_handle(handle: str, db: DbSession) -> ArtistOut:
    """An artist by handle."""
    return await _out(db, await repository.get_by_handle(db, handle))


@router.get("/{did}")
async def get_artist(did: str, db: DbSession) -> ArtistOut:
    """An artist by DID."""
    return await _out(db, await repository.get(db, did))
