"""The background task that scores stored artwork (queued by name by `plyr.media.images`
when a track, album or playlist gets an image)."""

from __future__ import annotations

import logging

import anyio

from plyr.core import outbox
from plyr.core.runtime import Runtime, current_runtime
from plyr.core.storage import StorageError, image_key
from plyr.moderation.images import repository, service
from plyr.moderation.images.classifier import UnreadableImage, scorer_for

log = logging.getLogger(__name__)

# the name media enqueues it by (`plyr.media` may not import moderation)
SCORE_IMAGE = "score_image"


async def score_image(image_id: str, ext: str) -> None:
    """Score the artwork unless it was already scored or decided. Never raises for an image
    that is gone or unreadable: it simply has no score."""
    await run_scoring(current_runtime(), image_id, ext)


async def run_scoring(runtime: Runtime, image_id: str, ext: str) -> str:
    """What `score_image` does; returns "scored", "flagged", "known" or "gone"."""
    async with runtime.sessionmaker() as db:
        if await repository.get(db, image_id) is not None:
            return "known"  # content-addressed: the same bytes, the same score
    data = await _read(runtime, image_id, ext)
    if data is None:
        return "gone"
    try:
        score = await anyio.to_thread.run_sync(scorer_for(runtime), data)
    except UnreadableImage as e:
        log.warning("moderation: image %s could not be scored: %s", image_id, e)
        return "gone"
    async with runtime.writer() as db:
        threshold = runtime.settings.nsfw_threshold
        item = await service.record_score(db, image_id, ext, score, threshold=threshold)
        await outbox.commit(runtime, db)
    log.info("moderation: image %s scored %.3f%s", image_id, score, " (flagged)" if item else "")
    return "flagged" if item is not None else "scored"


async def _read(runtime: Runtime, image_id: str, ext: str) -> bytes | None:
    key = image_key(image_id, ext)
    try:
        if not await runtime.storage.exists(key):
            return None
        return b"".join([chunk async for chunk in runtime.storage.read_chunks(key)])
    except (OSError, StorageError) as e:
        log.warning("moderation: image %s could not be read: %s", image_id, e)
        return None
