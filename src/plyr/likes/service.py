"""Liking tracks: one like per listener and track, whatever the retries; the listener's
liked tracks; a track's likers. (The records that mirror them: `plyr.likes.records`.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.atproto.records import tid_for
from plyr.core.runtime import Runtime
from plyr.likes import repository
from plyr.likes.records import rkey_of
from plyr.likes.schemas import LikerOut
from plyr.models import Like, Track, utcnow
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks
from plyr.tracks.schemas import TrackOut


@dataclass(frozen=True)
class Unliked:
    """What an unlike leaves to do on the PDS once it committed."""

    did: str
    rkey: str | None  # the like's record to delete, if it may have one


async def like(db: AsyncSession, track: Track, did: str) -> tuple[Like, bool]:
    """The listener's like of the track, and whether it is new (a repeat changes nothing)."""
    return await repository.add_once(db, track.id, did, created_at=utcnow())


async def unlike(db: AsyncSession, track: Track, did: str) -> Unliked | None:
    """Remove the like; None when there was none."""
    found = await repository.get(db, track.id, did)
    if found is None:
        return None
    if found.atproto_record_uri:
        rkey: str | None = rkey_of(found.atproto_record_uri)
    elif track.atproto_record_uri:
        # its write may have reached the PDS without the answer reaching us: delete it too
        rkey = tid_for(found.created_at)
    else:
        rkey = None
    await repository.remove(db, found)
    return Unliked(did=did, rkey=rkey)


async def liked_tracks(db: AsyncSession, runtime: Runtime, did: str) -> list[TrackOut]:
    """The tracks `did` likes that they can see, newest like first."""
    liked = await tracks_repo.in_order(db, await repository.liked_track_ids(db, did))
    visible = [t for t in liked if tracks.can_view(t, did)]
    return await tracks.present(db, runtime, visible, did)


async def likers(db: AsyncSession, track_id: int, limit: int, offset: int) -> list[LikerOut]:
    return [
        LikerOut(
            did=artist.did,
            handle=artist.handle,
            display_name=artist.display_name,
            avatar_url=artist.avatar_url,
            liked_at=like.created_at,
        )
        for like, artist in await repository.likers(db, track_id, limit, offset)
    ]
