"""Media files of tracks: storing artwork, and releasing files no row refers to any more."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.audio import ImageError, ProcessedImage, process_image
from plyr.core import outbox
from plyr.core.errors import BadRequest, UnsupportedMedia
from plyr.core.outbox import Kind
from plyr.core.runtime import Runtime
from plyr.core.storage import audio_key, image_key, thumbnail_key
from plyr.models import Track
from plyr.tracks import repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredImage:
    image_id: str
    ext: str


async def prepare_image(path: Path) -> ProcessedImage:
    """Validate and normalize an uploaded image (4xx on bad input)."""
    data = await anyio.Path(path).read_bytes()
    try:
        return await anyio.to_thread.run_sync(process_image, data)
    except ImageError as e:
        message = str(e)
        raise (UnsupportedMedia if "format" in message else BadRequest)(message) from e


IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


def image_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


async def store_image(runtime: Runtime, data: bytes, thumbnail: bytes, ext: str) -> StoredImage:
    """Store artwork and its thumbnail under content-addressed keys (idempotent)."""
    image_id = image_id_of(data)
    await runtime.storage.put_bytes(image_key(image_id, ext), data, IMAGE_TYPES[ext])
    await runtime.storage.put_bytes(thumbnail_key(image_id), thumbnail, "image/webp")
    return StoredImage(image_id, ext)


def image_keys(image_id: str, ext: str) -> list[str]:
    return [image_key(image_id, ext), thumbnail_key(image_id)]


async def unreferenced_keys(
    db: AsyncSession, audio: list[tuple[str, str]], images: list[tuple[str, str]]
) -> list[str]:
    """Storage keys of these files that no track or album refers to any more (two queries
    whatever their number)."""
    audio_used = await repository.files_in_use(db, [file_id for file_id, _ in audio])
    images_used = await repository.images_in_use(db, [image_id for image_id, _ in images])
    keys = [audio_key(file_id, ext) for file_id, ext in audio if file_id not in audio_used]
    for image_id, ext in images:
        if image_id not in images_used:
            keys.extend(image_keys(image_id, ext))
    return keys


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


async def queue_delete(db: AsyncSession, keys: list[str]) -> None:
    """In the caller's transaction: these stored files go once it commits (retried until
    they are gone)."""
    if keys:
        await outbox.add(db, Kind.STORAGE_DELETE, {"keys": keys})
