"""Where a track's audio is stored: in the public store while anyone with the link may play
it, in the private one otherwise (when the storage separates them)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.models import Track
from plyr.tracks import repository


def private_audio(visibility: str) -> bool:
    """Audio of tracks not everyone with the link may play stays out of the public store."""
    return visibility not in repository.PLAYABLE_BY_LINK


async def queue_placement(db: AsyncSession, runtime: Runtime, track: Track) -> None:
    """In the caller's transaction: the track's audio must move to the store its visibility
    asks for: an outbox entry, performed after the commit and retried, so a crash loses
    nothing."""
    if runtime.storage.separates_private:
        file_ids = [f for f in (track.file_id, track.original_file_id) if f]
        await outbox.add(db, Kind.STORAGE_PLACE, {"file_ids": file_ids}, did=track.artist_did)


async def place_audio(runtime: Runtime, file_ids: list[str]) -> None:
    """Move each file where its tracks' visibility says now: public while any track playing
    it is public or unlisted, private otherwise (deleted files are skipped)."""
    async with runtime.sessionmaker() as db:
        linkable = await repository.files_playable_by_link(db, file_ids)
        files = [await repository.get_audio_file(db, file_id) for file_id in file_ids]
    for audio in files:
        if audio is not None and not audio.is_remote:
            await runtime.storage.place(audio.key, private=audio.file_id not in linkable)
