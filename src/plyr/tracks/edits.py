"""Editing and deleting tracks. Each records, in the caller's transaction, what must follow
once it commits (`plyr.core.outbox`): the track's record, its stale files, the caches."""

from __future__ import annotations

from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.media.artwork import replace_artwork
from plyr.media.release import queue_delete, unreferenced_keys
from plyr.models import Track
from plyr.tracks import dependents, publishing, repository
from plyr.tracks.forms import TrackFields
from plyr.tracks.placement import queue_placement

EDIT_FIELDS = {
    "title",
    "description",
    "tags",
    "album",
    "visibility",
    "features",
    "self_labels",
    "remove_image",
    "image",
    "auto_tag",
}


async def apply_edit(
    db: AsyncSession,
    runtime: Runtime,
    track: Track,
    fields: TrackFields,
    *,
    image_path: Path | None,
    remove_image: bool,
) -> None:
    if fields.visibility is not None and fields.visibility != track.visibility:
        track.visibility = fields.visibility
        await queue_placement(db, runtime, track)
    for name in ("title", "description"):
        value = getattr(fields, name)
        if value is not None:
            setattr(track, name, value or None if name == "description" else value)
    if fields.tags is not None:
        track.tags = await repository.tags_by_name(db, fields.tags)
    if fields.self_labels is not None:
        track.self_labels = fields.self_labels or None
    if fields.album is not None:
        await _set_album(db, track, fields.album)
    if image_path is not None or remove_image:
        await replace_artwork(db, runtime, track, image_path)
    await db.flush()
    await audio_changed(db, track)
    await publishing.queue_sync(db, track.id, track.artist_did)
    if fields.auto_tag:  # discovery adds the tags it suggests (analysing the audio first)
        await publishing.queue_analysis(db, track.id, auto_tag=True)


async def audio_changed(db: AsyncSession, track: Track) -> None:
    """Once committed, this process stops serving the track's audio from its caches."""
    file_ids = [f for f in (track.file_id, track.original_file_id) if f]
    await outbox.add(db, Kind.AUDIO_CHANGED, {"file_ids": file_ids})


async def _set_album(db: AsyncSession, track: Track, title: str) -> None:
    if not title:
        track.album_id, track.album_position = None, None
        return
    album = await repository.get_or_create_album(db, track.artist_did, title)
    if album.id != track.album_id:
        track.album_id = album.id
        track.album_position = await repository.next_album_position(db, album.id)


async def delete_track(db: AsyncSession, track: Track, *, leaving: str | None = None) -> None:
    """Delete the row and the audio-file rows nothing else uses. Once committed, its record
    goes, then its files, and the records that name it are rewritten (`tracks.dependents`);
    nothing of `leaving`'s, an account being deleted (it chose what becomes of its records)."""
    await dependents.before_delete(db, [track.id], leaving=leaving)
    rkey = publishing.own_record_key(track)
    if rkey is not None and track.artist_did != leaving:
        await publishing.queue_delete(db, track.artist_did, rkey)
    await audio_changed(db, track)
    audio = [(track.file_id, track.file_type)]
    if track.original_file_id and track.original_file_type:
        audio.append((track.original_file_id, track.original_file_type))
    images = [(track.image_id, track.image_type)] if track.image_id and track.image_type else []
    await db.delete(track)
    await db.flush()
    keys = await unreferenced_keys(db, audio, images)
    for file_id, _ in audio:
        if not await repository.file_in_use(db, file_id):
            await repository.delete_audio_file(db, file_id)
    await queue_delete(db, keys)
    await outbox.add(db, Kind.CATALOG_CHANGED)


async def remove_dir(path: Path) -> None:
    from plyr.core.multipart import remove_tree

    await anyio.to_thread.run_sync(remove_tree, path)
