"""A track's, album's or playlist's artwork, replaced."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime
from plyr.media.images import prepare_image, queue_scoring, store_image
from plyr.media.release import release_image
from plyr.models import Album, Playlist, Track

Illustrated = Track | Album | Playlist


async def replace_artwork(
    db: AsyncSession, runtime: Runtime, row: Illustrated, path: Path | None
) -> None:
    """Give `row` the uploaded image at `path` (stored with its thumbnail; 4xx when it is no
    image plyr takes), or no artwork with `path=None`. In the caller's transaction: the old
    artwork's files go once it commits, when no row shows them any more."""
    old = (row.image_id, row.image_type)
    if path is not None:
        image = await prepare_image(path)
        stored = await store_image(runtime, image.data, image.thumbnail, image.ext)
        row.image_id, row.image_type = stored.image_id, stored.ext
        await queue_scoring(db, stored)
    else:
        row.image_id, row.image_type = None, None
    await db.flush()
    if old[0] != row.image_id:
        await release_image(db, *old)
