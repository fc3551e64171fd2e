"""Artwork: validating an uploaded image, storing it with its thumbnail under
content-addressed keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.audio import ImageError, ProcessedImage, process_image
from plyr.core import outbox
from plyr.core.errors import BadRequest, UnsupportedMedia
from plyr.core.runtime import Runtime
from plyr.core.storage import image_key, thumbnail_key

# moderation's task (`plyr.moderation.images.tasks`), named: media sits below moderation
SCORE_IMAGE = "score_image"
IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


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


async def queue_scoring(db: AsyncSession, image: StoredImage | None) -> None:
    """In the transaction that gives a row this artwork: moderation scores it once that
    commits (an image already scored, or decided by a person, is left as it is)."""
    if image is not None:
        key = f"score-image-{image.image_id}"
        await outbox.enqueue(db, SCORE_IMAGE, image.image_id, image.ext, key=key)
