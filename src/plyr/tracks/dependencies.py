"""Dependencies for routes that act on someone's track: the track must be one the caller
may see, and their session must allow the record the action writes to their own repo."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from plyr.atproto.writes import ensure_scope
from plyr.auth.dependencies import CurrentUser
from plyr.core.deps import DbSession, RuntimeDep
from plyr.models import Track
from plyr.tracks import service
from plyr.tracks.schemas import TrackId


def visible_track_writing(collection: str, *actions: str) -> Callable[..., Awaitable[Track]]:
    """A dependency: a track the caller may see (else 404), when their session may do
    `actions` on their `collection` records (else 403 scope_upgrade_required)."""

    async def dependency(
        track_id: TrackId, user: CurrentUser, db: DbSession, runtime: RuntimeDep
    ) -> Track:
        track = await service.get_visible(db, track_id, user.did)
        await ensure_scope(runtime, user.did, collection, *actions)
        return track

    return dependency
