"""Artist profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from plyr.artists import analytics, following, repository, service
from plyr.artists.schemas import ArtistOut, ProfileIn
from plyr.atproto.writes import ensure_scope
from plyr.auth.dependencies import CurrentUser
from plyr.core import outbox
from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.errors import NotFound
from plyr.core.outbox import Kind
from plyr.models import Artist

router = APIRouter(prefix="/artists", tags=["artists"])


async def _out(db: DbSession, artist: Artist | None) -> ArtistOut:
    if artist is None:
        raise NotFound("artist not found")
    return await service.artist_out(db, artist)


@router.get("/me/analytics")
async def my_analytics(user: CurrentUser, db: DbSession) -> analytics.Analytics:
    """Plays and likes per track, totals, plays per day over 30 days."""
    return await analytics.analytics(db, user.did)


@router.get("/me/following")
async def artists_i_know(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> list[ArtistOut]:
    """Artists on plyr I follow on Bluesky (from the follow records in my repo)."""
    return [await _out(db, a) for a in await following.artists_you_know(db, runtime, user.did)]


@router.get("/me")
async def my_profile(user: CurrentUser, db: DbSession) -> ArtistOut:
    """My artist profile."""
    return await _out(db, await repository.get(db, user.did))


async def editable_profile(user: CurrentUser, db: DbSession, runtime: RuntimeDep) -> Artist:
    """The caller's own profile (404 when there is none), when their session may rewrite
    its record (else 403 scope_upgrade_required)."""
    artist = await repository.get(db, user.did)
    if artist is None:
        raise NotFound("artist not found")
    await ensure_scope(runtime, user.did, "actor.profile", "create", "update")
    return artist


EditableProfile = Annotated[Artist, Depends(editable_profile)]


@router.put("/me")
async def update_my_profile(
    body: ProfileIn, artist: EditableProfile, user: CurrentUser, db: DbSession
) -> ArtistOut:
    """Update my profile; the bio is mirrored to my repo as fm.plyr.actor.profile."""
    if body.display_name is not None:
        artist.display_name = body.display_name
    if body.bio is not None:
        artist.bio = body.bio or None
    await outbox.add(db, Kind.PROFILE_SYNC, {"did": user.did}, did=user.did)
    return await _out(db, artist)


@router.get("/by-handle/{handle}")
async def get_by_handle(handle: str, db: DbSession) -> ArtistOut:
    """An artist by handle."""
    return await _out(db, await repository.get_by_handle(db, handle))


@router.get("/{did}")
async def get_artist(did: str, db: DbSession) -> ArtistOut:
    """An artist by DID."""
    return await _out(db, await repository.get(db, did))
