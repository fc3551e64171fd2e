"""Artists as the API and the pages show them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists import repository
from plyr.artists.schemas import ArtistOut
from plyr.atproto.writes import NeedsSignIn
from plyr.core.errors import NotFound
from plyr.core.runtime import Runtime
from plyr.models import Artist


async def artist_out(db: AsyncSession, artist: Artist) -> ArtistOut:
    """The artist's profile, with how many public tracks they have."""
    return ArtistOut(
        did=artist.did,
        handle=artist.handle,
        display_name=artist.display_name,
        avatar_url=artist.avatar_url,
        bio=artist.bio,
        track_count=await repository.public_track_count(db, artist.did),
    )


async def by_handle(db: AsyncSession, handle: str) -> Artist:
    """An artist by handle (or DID); 404 when there is none here."""
    artist = await (
        repository.get(db, handle)
        if handle.startswith("did:")
        else repository.get_by_handle(db, handle)
    )
    if artist is None:
        raise NotFound("no artist with that handle here")
    return artist


async def flag_problem(runtime: Runtime, did: str, problem: NeedsSignIn) -> None:
    """Tell the user (`/auth/me`) that a write waits on them signing in again."""
    async with runtime.sessionmaker() as db:
        await repository.set_pds_problem(db, did, problem.problem)
        await db.commit()
