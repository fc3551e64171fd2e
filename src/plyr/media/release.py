"""Releasing stored files no row refers to any more: found in the caller's transaction,
deleted once it commits (an outbox entry, retried until they are gone)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core import outbox
from plyr.core.outbox import Kind
from plyr.core.storage import audio_key
from plyr.media import repository
from plyr.media.images import image_keys


async def unreferenced_keys(
    db: AsyncSession, audio: list[tuple[str, str]], images: list[tuple[str, str]]
) -> list[str]:
    """Storage keys of these files that no track, album or playlist refers to any more (two
    queries whatever their number)."""
    audio_used = await repository.files_in_use(db, [file_id for file_id, _ in audio])
    images_used = await repository.images_in_use(db, [image_id for image_id, _ in images])
    keys = [audio_key(file_id, ext) for file_id, ext in audio if file_id not in audio_used]
    for image_id, ext in images:
        if image_id not in images_used:
            keys.extend(image_keys(image_id, ext))
    return keys


async def queue_delete(db: AsyncSession, keys: list[str]) -> None:
    """In the caller's transaction: these stored files go once it commits (retried until
    they are gone)."""
    if keys:
        await outbox.add(db, Kind.STORAGE_DELETE, {"keys": keys})


async def release_image(db: AsyncSession, image_id: str | None, ext: str | None) -> None:
    """In the caller's transaction, after the row that showed this artwork let go of it
    (flushed): its files go once it commits, unless another row shows it."""
    if image_id and ext:
        await queue_delete(db, await unreferenced_keys(db, [], [(image_id, ext)]))
