"""Editing and deleting tracks. Both return the storage keys to delete once committed."""

from __future__ import annotations

from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.albums import repository as albums
from plyr.core.runtime import Runtime
from plyr.models import Track
from plyr.tracks import dependents, repository
from plyr.tracks.forms import TrackFields
from plyr.tracks.media import prepare_image, queue_placement, store_image, unreferenced_keys

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
}


async def apply_edit(
    db: AsyncSession,
    runtime: Runtime,
    track: Track,
    fields: TrackFields,
    *,
    image_path: Path | None,
    remove_image: bool,
) -> list[str]:
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
    old_image = (track.image_id, track.image_type)
    if image_path is not None:
        image = await prepare_image(image_path)
        stored = await store_image(runtime, image.data, image.thumbnail, image.ext)
        track.image_id, track.image_type = stored.image_id, stored.ext
    elif remove_image:
        track.image_id, track.image_type = None, None
    await db.flush()
    if old_image[0] and old_image[0] != track.image_id:
        return await unreferenced_keys(db, [], [old_image])  # type: ignore[list-item]
    return []


async def _set_album(db: AsyncSession, track: Track, title: str) -> None:
    if not title:
        track.album_id, track.album_position = None, None
        return
    album = await albums.get_or_create(db, track.artist_did, title)
    if album.id != track.album_id:
        track.album_id = album.id
        track.album_position = await albums.next_position(db, album.id)


async def delete_track(db: AsyncSession, track: Track, *, leaving: str | None = None) -> list[str]:
    """Delete the row and the audio-file rows nothing else uses, and record the rewrites of
    the records that name it (`tracks.dependents`; none for `leaving`, an account being
    deleted); return the storage keys of its files."""
    await dependents.before_delete(db, [track.id], leaving=leaving)
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
    return keys


async def remove_dir(path: Path) -> None:
    from plyr.core.multipart import remove_tree

    await anyio.to_thread.run_sync(remove_tree, path)
