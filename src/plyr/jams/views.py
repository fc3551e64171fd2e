"""How a jam is shown: to its participants (the Jam object), and to anyone (the preview)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.artists.schemas import ArtistRef
from plyr.core.runtime import Runtime
from plyr.jams import repository
from plyr.jams.errors import JamNotFound
from plyr.jams.schemas import JamHost, JamPreview, JamState, JamView
from plyr.models import Jam
from plyr.tracks import repository as tracks_repo
from plyr.tracks import service as tracks
from plyr.tracks.schemas import TrackOut


async def tracks_of(
    db: AsyncSession, runtime: Runtime, track_ids: Sequence[int], viewer: str | None
) -> list[TrackOut]:
    """The queue's tracks that still exist, in order (a track deleted since is left out)."""
    rows = await tracks_repo.in_order(db, list(track_ids))
    return await tracks.present(db, runtime, rows, viewer)


def host_ref(artist: Any, did: str) -> ArtistRef:
    if artist is None:  # the host's account is gone while the jam lives on
        return ArtistRef(did=did, handle=did, display_name=None, avatar_url=None)
    return ArtistRef.of(artist)


async def jam_view(db: AsyncSession, runtime: Runtime, jam: Jam, viewer: str | None) -> JamView:
    host = await repository.artist(db, jam.host_did)
    people = await repository.participants(db, jam.id)
    return JamView(
        id=jam.id,
        code=jam.code,
        host=host_ref(host, jam.host_did),
        name=jam.name,
        state=JamState.model_validate(jam.state),
        revision=jam.revision,
        is_active=jam.is_active,
        participants=[ArtistRef.of(p) for p in people],
        tracks=await tracks_of(db, runtime, jam.state["track_ids"], viewer),
    )


async def preview(db: AsyncSession, code: str) -> JamPreview:
    """What a link shows before signing in (an ended jam too: it says so)."""
    jam = await repository.by_code(db, code)
    if jam is None:
        raise JamNotFound()
    host = host_ref(await repository.artist(db, jam.host_did), jam.host_did)
    return JamPreview(
        code=jam.code,
        name=jam.name,
        host=JamHost(
            handle=host.handle, display_name=host.display_name, avatar_url=host.avatar_url
        ),
        participant_count=await repository.participant_count(db, jam.id) if jam.is_active else 0,
        is_active=jam.is_active,
    )
